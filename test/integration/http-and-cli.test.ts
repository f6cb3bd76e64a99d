import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { arenaGame } from '../../shared/games/arena';
import { CloseCode } from '../../shared/protocol/close-codes';
import { PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { TickwireClient, type WebSocketConstructor } from '../../src/sdk/tickwire-client';
import { nextEvent, startServer } from '../support/server-harness';

describe('HTTP endpoints', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('serves /health as JSON with live room and process figures', async () => {
    h = await startServer();
    const c = h.client('alice');
    await c.connect();
    h.tick(3);
    const res = await fetch(`http://127.0.0.1:${h.server.port}/health`);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', protocolVersion: PROTOCOL_VERSION, connections: 1, players: 1, roomCount: 1 });
    expect(body.rooms[0]).toMatchObject({ type: 'arena', players: 1, tick: 3 });
    expect(body.totals.ticks).toBe(3);
    expect(body.totals.snapshotsSent).toBe(3);
    expect(body.process.cpuUserMicros).toBeGreaterThan(0);
  });

  it('serves the static folder at / and refuses WebSocket upgrades off /ws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-static-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>demo</title>');
    h = await startServer({ staticDir: dir });
    const page = await fetch(`http://127.0.0.1:${h.server.port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>demo</title>');
    expect((await fetch(`http://127.0.0.1:${h.server.port}/nope.js`)).status).toBe(404);
    const wrong = new WebSocket(`ws://127.0.0.1:${h.server.port}/other`);
    const err = await new Promise<Error>((resolve) => wrong.once('error', resolve));
    expect(err.message).toMatch(/404/);
  });

  it('says how to build the demo when it is missing', async () => {
    h = await startServer({ staticDir: join(tmpdir(), 'definitely-not-built') });
    const res = await fetch(`http://127.0.0.1:${h.server.port}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build:demo/);
  });

  it('takes a join storm of 300 clients into one room without a failed join', async () => {
    h = await startServer({ maxPlayers: 500 });
    const clients = Array.from({ length: 300 }, (_, i) => h.client(`bot${i}`, { decodeEntities: false }));
    const welcomes = await Promise.all(clients.map((c) => c.connect()));
    expect(new Set(welcomes.map((w) => w.roomId)).size).toBe(1);
    const all = Promise.all(clients.map((c) => nextEvent(c, 'snapshot')));
    h.tick();
    await all;
    expect(h.server.health().players).toBe(300);
  });
});

describe('the CLI (npm start)', () => {
  it('starts from flags and env vars, serves a game, and drains then shuts down cleanly on a doubled SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', '--port', '0', '--host', '127.0.0.1', '--max-players', '500', '--drain-seconds', '0.5'],
      {
        env: {
          ...process.env,
          TICKWIRE_TICK_RATE: '60',
          TICKWIRE_STATIC_DIR: mkdtempSync(join(tmpdir(), 'tickwire-cli-')),
          // The embedded database, as `npm start` has it, in a folder of its own.
          TICKWIRE_DATA_DIR: mkdtempSync(join(tmpdir(), 'tickwire-data-')),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: Record<string, unknown>[] = [];
    const waiters: [(l: Record<string, unknown>) => boolean, (l: Record<string, unknown>) => void][] = [];
    createInterface({ input: child.stdout! }).on('line', (raw) => {
      const line = JSON.parse(raw);
      lines.push(line);
      for (const w of waiters.slice())
        if (w[0](line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w[1](line);
        }
    });
    const logLine = (msg: string) => new Promise<Record<string, unknown>>((resolve) => waiters.push([(l) => l.msg === msg, resolve]));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const listening = await logLine('listening');
      const port = listening.port as number;
      expect(port).toBeGreaterThan(0);
      // The operator routes: on the admin port (a free one with --port 0), to this host alone;
      // the game port serves none without the operator token.
      const adminPort = listening.adminPort as number;
      expect(adminPort).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${adminPort}/metrics`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(403);
      const client = new TickwireClient({
        url: `ws://127.0.0.1:${port}/ws`,
        game: arenaGame,
        name: 'cli',
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        pingIntervalMs: 0,
      });
      const welcome = await client.connect();
      expect(welcome.tickRate).toBe(60); // from TICKWIRE_TICK_RATE
      await nextEvent(client, 'snapshot'); // the real clock ticks the room
      const closed = nextEvent(client, 'close');
      const notice = nextEvent(client, 'notice');
      // Twice, as a group kill of `npm start` delivers it: once direct, once forwarded by npm.
      // The second arrives mid-shutdown and must not kill the process before it is done.
      const received = logLine('signal received');
      child.kill('SIGTERM');
      await received;
      child.kill('SIGTERM');
      // First the warning, while the game goes on; then the close.
      expect((await notice)[0]).toEqual({ kind: 'shutdown', message: 'the server is shutting down', secondsLeft: 0.5 });
      await nextEvent(client, 'snapshot');
      expect((await closed)[0]).toEqual({ code: CloseCode.GoingAway, reason: 'server shutting down' });
      expect(await exited).toBe(0);
      const order = lines
        .map((l) => l.msg)
        .filter((m) => ['signal received', 'draining: clients told, closing in drainMs', 'shutting down', 'stopped'].includes(m as string));
      expect(order).toEqual(['signal received', 'draining: clients told, closing in drainMs', 'shutting down', 'stopped']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a bad flag with exit code 2 and says which', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--tick-rate', '500'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--tick-rate must be an integer from 10 to 128, got "500"/);
  });
});
