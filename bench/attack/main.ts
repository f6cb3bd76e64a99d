#!/usr/bin/env node
/**
 * `npm run attack -- [--attackers 20] [--seconds 5] [--json]`
 *
 * The front door under fire. A server with its default limits, and its embedded database in a
 * temporary folder, runs in a child process; a bystander joins from 127.0.0.2 and plays; then,
 * one kind at a time, `--attackers` clients attack for `--seconds`: from 127.0.0.1 (one
 * address), or spread over 127.0.0.10-40 where many addresses are the point (the whole
 * 127.0.0.0/8 is loopback). For each kind the bystander's snapshot rate and the server's
 * dropped ticks are reported. Every loop is bounded in count and time, and every target is
 * this machine's loopback.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import WebSocket from 'ws';
import { arenaGame } from '../../shared/games/arena';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { numberArg, parseStrictArgs, UsageError } from '../../src/cli/cli-args';
import type { HealthReport } from '../../src/server/health';
import { TickwireClient, type WebSocketConstructor } from '../../src/sdk/tickwire-client';
import { startServerProcess } from '../soak/server-process';

const BYSTANDER_ADDRESS = '127.0.0.2';
/** Where attacks from many addresses come from: 127.0.0.10 to 127.0.0.40. */
const MANY_ADDRESSES = Array.from({ length: 31 }, (_, i) => `127.0.0.${10 + i}`);
/** Most connections one attacker opens in one phase: bounds every loop. */
const MAX_ATTEMPTS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bystander's sockets come from 127.0.0.2, so the attackers' address limits are not its own. */
class BystanderSocket extends WebSocket {
  constructor(url: string) {
    super(url, { localAddress: BYSTANDER_ADDRESS, perMessageDeflate: false });
  }
}

function health(port: number): Promise<HealthReport> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', localAddress: BYSTANDER_ADDRESS }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body) as HealthReport));
    });
    req.on('error', reject);
    req.end();
  });
}

const join = encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'attacker' });

/** One attacker (number `index`): runs until `until` (ms, performance.now), counting what it managed. */
type Attack = (ctx: {
  url: string;
  port: number;
  until: number;
  index: number;
  tally: Record<string, number>;
  held: WebSocket[];
}) => Promise<void>;

/** An SDK WebSocket whose sockets come from `address`. */
function socketFrom(address: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { localAddress: address, perMessageDeflate: false });
    }
  } as unknown as WebSocketConstructor;
}

/** An SDK client from `address` that does not reconnect, decodes no entities and sends no pings. */
function clientFrom(url: string, address: string, name: string) {
  return new TickwireClient({
    url,
    game: arenaGame,
    name,
    WebSocket: socketFrom(address),
    decodeEntities: false,
    pingIntervalMs: 0,
    reconnect: false,
  });
}

/** GET `path` on `agent` (its sockets bound to one address): the status, or 'error'. */
function getStatus(port: number, path: string, agent: Agent): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(`HTTP ${res.statusCode}`));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve('error'));
    req.end();
  });
}

let lobbyFilled: Promise<void> | undefined;
/**
 * Say enough in the lobby (5 lines from each of 45 guests, each within the chat rate) that
 * its oldest lines fall out of the server's memory (200 kept): older pages then come from
 * the database.
 */
async function fillLobby(url: string): Promise<void> {
  for (let i = 0; i < 45; i++) {
    const c = clientFrom(url, `127.0.0.${50 + i}`, `filler${i}`);
    try {
      await c.connect();
      for (let k = 0; k < 5; k++) c.say('lobby', `filler ${i}.${k}`);
      // The PONG comes after the server has handled every line sent before the PING.
      await new Promise<void>((resolve) => {
        const off = c.on('pong', () => {
          off();
          resolve();
        });
        c.ping();
      });
    } catch {
      // a refused filler leaves the lobby a little shorter; the pages still run
    }
    c.close();
  }
}

const bump = (t: Record<string, number>, k: string) => (t[k] = (t[k] ?? 0) + 1);

/** Open a WebSocket and report how it ended: 'open', an HTTP status, or 'error'. */
function openWs(url: string): Promise<{ ws: WebSocket; outcome: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 3000 });
    ws.on('error', () => resolve({ ws, outcome: 'error' }));
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      resolve({ ws, outcome: `HTTP ${res.statusCode}` });
    });
    ws.on('open', () => resolve({ ws, outcome: 'open' }));
  });
}

/**
 * Open a socket, misbehave with `offend`, count how the server closed it (or how the door
 * refused it), and go again until the phase ends.
 */
async function offendRepeatedly({ url, until, tally }: Parameters<Attack>[0], offend: (ws: WebSocket) => void): Promise<void> {
  for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
    const { ws, outcome } = await openWs(url);
    if (outcome !== 'open') {
      bump(tally, outcome);
      await sleep(50);
      continue;
    }
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    offend(ws);
    bump(tally, `closed ${await Promise.race([closed, sleep(2000).then(() => 0)])}`);
    ws.terminate();
  }
}

const ATTACKS: Record<string, Attack> = {
  /** Open sockets and never join, as fast as the door lets it. */
  'connection flood': async ({ url, until, tally }) => {
    const held: WebSocket[] = [];
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const { ws, outcome } = await openWs(url);
      bump(tally, outcome);
      if (outcome === 'open') held.push(ws);
      else await sleep(20);
    }
    for (const ws of held) ws.terminate();
  },
  /** TCP connections that start an HTTP request and never finish it. */
  slowloris: async ({ port, until, tally }) => {
    const sockets: net.Socket[] = [];
    while (performance.now() < until && sockets.length < 200) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => bump(tally, 'closed by the server'));
      s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      sockets.push(s);
      bump(tally, 'opened');
      await sleep(25);
    }
    await sleep(Math.max(0, until - performance.now()));
    for (const s of sockets) s.destroy();
  },
  /** Pipelined GET /health and GET / on keep-alive sockets. */
  'http flood': async ({ port, until, tally }) => {
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () =>
          s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(50)),
        );
        s.on('data', (d) => {
          for (const m of d.toString().matchAll(/HTTP\/1\.1 (\d{3})/g)) bump(tally, `HTTP ${m[1]}`);
        });
        s.on('error', () => {});
        s.on('close', () => resolve());
        setTimeout(() => s.destroy(), 500);
      });
    }
  },
  /** Join, then send messages far over the rate limit; reconnect when thrown out. */
  'message flood': (ctx) => {
    const ping = encodeControl(MessageType.Ping, { t: 0 });
    return offendRepeatedly(ctx, (ws) => {
      ws.send(join);
      for (let k = 0; k < 1000 && ws.readyState === 1; k++) ws.send(ping);
    });
  },
  /** WebSocket ping frames, which ws answers by itself, as fast as possible. */
  'ping-frame flood': (ctx) =>
    offendRepeatedly(ctx, (ws) => {
      for (let k = 0; k < 1000 && ws.readyState === 1; k++) ws.ping();
    }),
  /**
   * Join, then stop reading. A paused socket cannot see its own close either, so the run
   * watches the server's connection count instead (in `main`).
   */
  'clients that never read': async ({ url, tally, held }) => {
    const { ws, outcome } = await openWs(url);
    bump(tally, outcome);
    if (outcome !== 'open') return;
    ws.send(join);
    ws.pause(); // ws stops reading the socket: nothing is read, so no heartbeat is answered
    held.push(ws);
  },
  /**
   * GET /profiles/<id> and /leaderboard?limit=100 on keep-alive sockets, each attacker walking
   * over 127.0.0.10-40 so that every address's read rate (5/s) is spent over and over.
   */
  'profile/leaderboard reads': async ({ port, until, index, tally }) => {
    const agents = MANY_ADDRESSES.map((localAddress) => new Agent({ keepAlive: true, maxSockets: 1, localAddress }));
    for (let i = 0; i < MAX_ATTEMPTS * 5 && performance.now() < until; i++) {
      const agent = agents[(index + i) % agents.length]!;
      bump(tally, await getStatus(port, i % 2 ? '/leaderboard?by=kills&limit=100' : `/profiles/user-${index}-${i}`, agent));
    }
    for (const a of agents) a.destroy();
  },
  /**
   * Join (from 127.0.0.10-40), then ask for CHAT_HISTORY pages older than the lobby's memory
   * (from the database) a hundred at a time; join again when closed.
   */
  'chat-history pages': async ({ url, until, index, tally }) => {
    await (lobbyFilled ??= fillLobby(url));
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const c = clientFrom(url, MANY_ADDRESSES[index % MANY_ADDRESSES.length]!, 'pager');
      try {
        await c.connect();
      } catch {
        bump(tally, 'join refused');
        await sleep(50);
        continue;
      }
      const closed = new Promise<number>((resolve) => c.on('close', (e) => resolve(e.code)));
      c.on('chat', (e) => void (e.kind === 'page' && bump(tally, 'page served')));
      c.on('chatRejected', (r) => bump(tally, `page refused (${r.reason})`));
      const ask = encodeControl(MessageType.ChatHistory, { ch: 'lobby', before: c.chat.oldestId('lobby') ?? '~', limit: 100 });
      for (let k = 0; k < 100 && c.isOpen; k++) c.sendRaw(ask);
      bump(tally, `closed ${await Promise.race([closed, sleep(3000).then(() => 0)])}`);
      c.close();
    }
  },
  /** Malformed bytes: an unknown message type, then a truncated JOIN, then garbage. */
  malformed: (ctx) => {
    const offences = [Uint8Array.of(0x7f), join.subarray(0, 5), Uint8Array.of(0x10, 0xff, 0xff, 0xff)];
    let n = 0;
    return offendRepeatedly(ctx, (ws) => ws.send(offences[n++ % offences.length]));
  },
};

async function main(): Promise<void> {
  let attackers: number;
  let seconds: number;
  let json: boolean;
  try {
    const v = parseStrictArgs(process.argv.slice(2), {
      attackers: { type: 'string' },
      seconds: { type: 'string' },
      json: { type: 'boolean' },
    });
    attackers = numberArg('--attackers', v.attackers ?? '20', 1, 200);
    seconds = numberArg('--seconds', v.seconds ?? '5', 1, 60, false);
    json = v.json === true;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tickwire attack: ${err.message}\nUsage: npm run attack -- [--attackers 20] [--seconds 5] [--json]\n`);
    process.exit(2);
  }
  // Its warnings go to its own stdout, sampled per address; error level keeps this report readable.
  // The embedded database in a folder of its own: the reads below go to it.
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'tickwire-attack-'));
  const server = await startServerProcess(64, ['--log-level', 'error', '--persistence', 'on', '--data-dir', dataDir]);
  const results: {
    attack: string;
    bystanderSnapshotsPerSec: number;
    droppedTicks: number;
    overruns: number;
    attackers: Record<string, number>;
  }[] = [];
  try {
    const bystander = new TickwireClient({
      url: server.url,
      game: arenaGame,
      name: 'bystander',
      WebSocket: BystanderSocket as unknown as WebSocketConstructor,
      decodeEntities: false,
      pingIntervalMs: 0,
    });
    await bystander.connect();
    const input = { buttons: 0, aim: 0 };
    const inputs = setInterval(() => bystander.sendInput(input), 1000 / 30);
    await sleep(1000);
    for (const [name, attack] of Object.entries(ATTACKS)) {
      const before = await health(server.port);
      const snaps0 = bystander.stats.snapshots;
      const t0 = performance.now();
      const until = t0 + seconds * 1000;
      const tally: Record<string, number> = {};
      const held: WebSocket[] = [];
      await Promise.all(
        Array.from({ length: attackers }, (_, index) => attack({ url: server.url, port: server.port, until, index, tally, held })),
      );
      if (held.length > 0) {
        // Sockets left open on purpose: time how long the server takes to close them (its
        // readStallMs is 8 s), watching its connection count (/health is cached for 1 s)
        // fall back to the bystander's alone.
        let left = held.length;
        while (performance.now() - t0 < 15_000) {
          await sleep(1100);
          left = (await health(server.port)).connections - 1;
          if (left === 0) break;
        }
        tally[
          left === 0
            ? `all closed by the server within ${((performance.now() - t0) / 1000).toFixed(1)} s of joining`
            : `${left} still open after 15 s`
        ] = held.length;
        for (const ws of held) ws.terminate();
      }
      const elapsed = (performance.now() - t0) / 1000;
      const rate = (bystander.stats.snapshots - snaps0) / elapsed;
      const after = await health(server.port);
      const row = {
        attack: name,
        bystanderSnapshotsPerSec: Math.round(rate * 100) / 100,
        droppedTicks: after.totals.droppedSteps - before.totals.droppedSteps,
        overruns: after.totals.overruns - before.totals.overruns,
        attackers: tally,
      };
      results.push(row);
      process.stderr.write(
        `${name.padEnd(26)} bystander ${row.bystanderSnapshotsPerSec.toFixed(2)} snapshots/s, ${row.droppedTicks} ticks dropped; attackers: ${JSON.stringify(tally)}\n`,
      );
      await sleep(1500); // let the door's counts drain before the next kind
    }
    clearInterval(inputs);
    const h = await health(server.port);
    process.stdout.write(
      `\nafter every attack: ${h.connections} connections, server heap ${(h.process.heapUsedBytes / 1e6).toFixed(1)} MB, bystander ${bystander.isOpen ? 'still playing' : 'GONE'}\n`,
    );
    const ok = results.every((r) => r.bystanderSnapshotsPerSec >= 29 && r.droppedTicks === 0) && bystander.isOpen;
    process.stdout.write(
      ok
        ? 'the bystander kept ≥ 29 snapshots/s and no tick was dropped in every attack\n'
        : 'an attack hurt the bystander or the tick (see above)\n',
    );
    if (json) process.stdout.write(`${JSON.stringify({ attackers, seconds, results, ok })}\n`);
    bystander.close();
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`tickwire attack: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
