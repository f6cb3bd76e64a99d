import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { arenaGame } from '../../shared/games/arena';
import { SQLITE_FILE } from '../../src/persistence/database';
import { openSqlite } from '../../src/persistence/sqlite-database';
import { TickwireClient, type WebSocketConstructor } from '../../src/sdk/tickwire-client';
import { mintHs256, TEST_SECRET } from '../support/jwt-fixtures';

/** The chat store's batch interval (ChatStore), ms; profiles' is 1 000. */
const CHAT_INTERVAL_MS = 250;
/**
 * Time a batch may take beyond its interval on this shared 2-core box: the timer firing late
 * under load, and the write itself (~1 ms). The README's bound is "one interval plus the write".
 */
const SLACK_MS = 500;

/** `npm start`'s server (from the sources) on the embedded database in `dataDir`; resolves with its port once it listens. */
async function startCli(dataDir: string): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', '--port', '0', '--host', '127.0.0.1', '--drain-seconds', '0', '--per-ip-limits', 'off'],
    {
      env: {
        ...process.env,
        TICKWIRE_DATA_DIR: dataDir,
        TICKWIRE_AUTH_SECRET: TEST_SECRET,
        TICKWIRE_AUTH_AUDIENCE: 'tickwire-test',
        TICKWIRE_AUTH_ISSUER: 'tickwire-test',
        TICKWIRE_CHAT_RATE: '100',
        TICKWIRE_CHAT_BURST: '100',
        TICKWIRE_STATIC_DIR: mkdtempSync(join(tmpdir(), 'tickwire-static-')),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (raw) => {
      const line = JSON.parse(raw) as { msg: string; port?: number };
      if (line.msg === 'listening') resolve(line.port!);
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before it listened`)));
  });
  return { child, port, exited };
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a kill -9 of the server', () => {
  it('loses at most the last batch interval of each store: everything older is there after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-crash-'));
    dirs.push(dir);
    const first = await startCli(dir);
    const client = new TickwireClient({
      url: `ws://127.0.0.1:${first.port}/ws`,
      game: arenaGame,
      name: 'ann',
      token: await mintHs256(TEST_SECRET, { subject: 'u-ann', audience: 'tickwire-test', issuer: 'tickwire-test' }),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      pingIntervalMs: 0,
    });
    // When the server took each line: its echo back to the sender.
    const accepted = new Map<string, number>();
    client.on('chat', (e) => {
      if (e.kind === 'live') for (const l of e.lines) accepted.set(l.text, performance.now());
    });
    await client.connect();
    const joinedAt = performance.now();
    // Mid-match: the arena runs on its real clock while lines go out every 20 ms (50/s), and the
    // process is killed 1.8 s after the join, between two lines.
    let sent = 0;
    await new Promise<void>((resolve) => {
      const pace = setInterval(() => {
        if (performance.now() - joinedAt >= 1800) {
          clearInterval(pace);
          resolve();
          return;
        }
        client.say('lobby', `line ${sent++}`);
      }, 20);
    });
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    client.close();

    // The same folder, its pid claim left behind by the dead process: taken over.
    const second = await startCli(dir);
    const profile = await fetch(`http://127.0.0.1:${second.port}/profiles/u-ann`);
    expect(profile.status).toBe(200); // joined 1.8 s before the kill: past the profiles' 1 s interval
    expect(await profile.json()).toMatchObject({ userId: 'u-ann', displayName: 'ann' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const db = openSqlite(join(dir, SQLITE_FILE), { readOnly: true });
    const stored = new Set((db.raw.prepare('select body from chat_messages').all() as { body: string }[]).map((r) => r.body));
    db.close();
    const due = [...accepted].filter(([, at]) => at < killedAt - CHAT_INTERVAL_MS - SLACK_MS).map(([text]) => text);
    expect(due.length).toBeGreaterThanOrEqual(30); // the bound was really put to the test
    expect(due.filter((text) => !stored.has(text))).toEqual([]);
    for (const text of stored) expect(accepted.has(text)).toBe(true); // nothing stored that was not taken
    expect(stored.size).toBeLessThanOrEqual(sent);
  });
});
