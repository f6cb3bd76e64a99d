import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { BotsSummary } from '../bots/report';

/** A server process started for a measurement. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  /** Stop it (SIGTERM; SIGKILL after `graceMs`) and wait for it to exit. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The compiled server's arguments for a CPU bench (`node [nodeFlags] dist/cli.js …`): rooms of
 * `maxPlayers`, every client on 127.0.0.1 (per-address limits off), no persistence, no admin
 * listener, and no drain, so the rounds start and stop quickly.
 */
export function benchServerArgs(port: number, maxPlayers: number): string[] {
  return [
    'dist/cli.js',
    '--port',
    String(port),
    '--max-players',
    String(maxPlayers),
    '--per-ip-limits',
    'off',
    '--log-level',
    'warn',
    '--persistence',
    'off',
    '--admin-port',
    'off',
    '--drain-seconds',
    '0',
  ];
}

/**
 * Start `command args` in `cwd` and wait until it is ready (at most `timeoutMs`): `ready` is a
 * URL that must answer 200, or a check of its own. Its stderr is passed through so that a
 * crash says why.
 */
export async function startServer(
  command: string,
  args: string[],
  cwd: string,
  ready: string | (() => Promise<boolean>),
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerProcess> {
  const isReady = typeof ready === 'string' ? async () => (await fetch(ready)).ok : ready;
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(child, 'exit');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited with ${child.exitCode} before it answered`);
    try {
      if (await isReady()) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} ${args.join(' ')} was not ready within ${timeoutMs} ms`);
    }
    await sleep(200);
  }
  return {
    child,
    pid: child.pid!,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Poll `check` every 200 ms until it is true (at most `timeoutMs`). */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** The number of players a tickwire server's /health reports. */
export async function tickwirePlayers(healthUrl: string): Promise<number> {
  const body = (await (await fetch(healthUrl)).json()) as { players: number };
  return body.players;
}

/**
 * `npm run bots` as `processes` child processes side by side, each with its share of `clients`
 * (one bots process saturates a core near 1,000 walkers). Resolves with each one's JSON summary.
 */
export async function runBotsProcesses(
  cwd: string,
  url: string,
  clients: number,
  processes: number,
  extraArgs: string[],
  stop?: AbortSignal,
): Promise<BotsSummary[]> {
  const runs: Promise<BotsSummary>[] = [];
  for (let i = 0; i < processes; i++) {
    const share = Math.floor(clients / processes) + (i < clients % processes ? 1 : 0);
    runs.push(runBots(cwd, url, share, extraArgs, stop));
  }
  return Promise.all(runs);
}

/** One bots process; `stop` ends it early (SIGINT: the bots close their sockets and report). */
async function runBots(cwd: string, url: string, clients: number, extraArgs: string[], stop?: AbortSignal): Promise<BotsSummary> {
  const args = ['--import', 'tsx', 'bench/bots/main.ts', '--url', url, '--clients', String(clients), '--json', ...extraArgs];
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  // The child is the bots process itself (node --import tsx, no npx or tsx wrapper between).
  stop?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
  const [code] = (await once(child, 'exit')) as [number | null];
  const last = out.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) throw new Error(`bots exited with ${code} and no JSON summary:\n${out.slice(-2000)}`);
  return JSON.parse(last) as BotsSummary;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
