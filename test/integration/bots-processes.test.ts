import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotsSummary } from '../../bench/bots/report';
import { arenaGame } from '../../shared/games/arena';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireServer } from '../../src/server/tickwire-server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm run bots -- --processes 2` end to end: the bots run as two forked processes against a
 * real server on port 0. The bots live in other processes on real time, so this server ticks
 * on its own clock (a ManualClock could not be stepped from here); nothing below depends on
 * how fast anything ran, only on what every bot did.
 */
let server: TickwireServer;
let url: string;
beforeAll(async () => {
  server = new TickwireServer({
    roomTypes: [defineRoomType({ game: arenaGame })],
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    staticDir: null,
    frontDoor: { perIpLimits: false },
  });
  await server.listen();
  url = `ws://127.0.0.1:${server.port}/ws`;
});
afterAll(() => server?.close());

/** Run `npm run bots` with `args`; resolves with its exit code and the --json summary. */
function runBots(args: string[]): Promise<{ code: number | null; summary: BotsSummary; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bots/main.ts', '--url', url, '--json', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve({ code, summary: JSON.parse(last) as BotsSummary, stderr });
      } catch {
        reject(new Error(`no JSON summary (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe('npm run bots -- --processes 2', () => {
  it('splits the bots over two processes and merges them into one summary in which every bot joined', async () => {
    const { code, summary, stderr } = await runBots(['--clients', '5', '--processes', '2', '--duration', '4', '--warmup', '0.5']);
    // One object, so a failure shows every count at once.
    expect({
      code,
      processes: summary.processes,
      clientsRequested: summary.clientsRequested,
      clientsConnected: summary.clientsConnected,
      failureReasons: summary.failureReasons,
      disconnectedDuringRun: summary.disconnectedDuringRun,
    }).toEqual({ code: 0, processes: 2, clientsRequested: 5, clientsConnected: 5, failureReasons: {}, disconnectedDuringRun: 0 });
    // One share per process (3 + 2), and the process counts add up to the summary's.
    const processes = summary.bots.processes;
    expect(processes.map((p) => [p.processIndex, p.clients])).toEqual([
      [0, 3],
      [1, 2],
    ]);
    expect(processes.reduce((s, p) => s + p.clients, 0)).toBe(summary.clientsConnected);
    // Both processes measured the one window the parent opened, and the parent probed the server over it.
    expect({ measured: summary.clientsMeasured, players: summary.server?.players, errors: summary.serverErrors }).toEqual({
      measured: 5,
      players: 5,
      errors: [],
    });
    expect(summary.windowS).toBeGreaterThan(0);
    expect(processes.every((p) => p.cpuPercent !== null && p.eventLoopDelayP99Ms !== null)).toBe(true);
    expect(summary.inputAckRttMs.samples).toBeGreaterThan(0);
    expect(typeof summary.bots.fellBehind).toBe('boolean');
    expect(summary.drops.allResumed).toBe(true);
    // The progress lines are merged: one line a second for both processes.
    expect(stderr).toMatch(/connected \d+\/5 .*\| [12]\/2 bots processes/);
  });
});
