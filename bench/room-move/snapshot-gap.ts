/**
 * The snapshot gap across a room move, on loopback (issue 22, part 3). Two servers in this
 * process share a Redis (REDIS_URL, default 127.0.0.1:6379, a fresh key prefix); `--players`
 * SDK clients play arena on node A in rooms of `--per-room`, each sending its input every tick
 * on the SDK's input clock. After `--warmup-s` and a window of `--after-s` without a move (its
 * longest gaps are the box's own, for comparison), A drains: its rooms move to B and every client
 * resumes there. Printed: each player's longest gap between snapshots (the move's), max and p99;
 * the ms from the drain to each `moved`; inputs lost (sent but not the one applied at its tick),
 * before the drain, across it, and after.
 *
 *   npx tsx bench/room-move/snapshot-gap.ts --players 100 --per-room 25
 *
 * `--servers cli`: the two nodes are `npm start` processes of their own (the CLI, a private
 * redis-server on a free port), A stopped with SIGTERM as on a deploy; the clients stay here.
 * Inputs lost are then not counted (the servers' rooms are out of reach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { arenaGame, type ArenaInput, type ArenaState } from '../../shared/games/arena';
import type { Room } from '../../src/rooms/room';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireClient, type TickwireClientOptions, type WebSocketConstructor } from '../../src/sdk/tickwire-client';
import { TickwireServer } from '../../src/server/tickwire-server';
import { percentile } from '../lib/stats';
import { freePort } from '../soak/server-process';

const { values } = parseArgs({
  options: {
    players: { type: 'string', default: '100' },
    'per-room': { type: 'string', default: '25' },
    'warmup-s': { type: 'string', default: '3' },
    'after-s': { type: 'string', default: '3' },
    servers: { type: 'string', default: 'inproc' },
  },
});
const cli = values.servers === 'cli';
const players = Number(values.players);
const perRoom = Number(values['per-room']);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `gap${process.pid}-${Date.now()}:`;
const aimFor = (seq: number) => (seq * 97) & 0xffff;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applied inputs: `${roomId}:${playerId}` → tick → aim, on whichever node ran the tick. */
const applied = new Map<string, Map<number, number>>();
const record = (room: Room<ArenaState, ArenaInput, unknown>) => {
  for (const p of room.players) {
    const key = `${room.id}:${p.id}`;
    let m = applied.get(key);
    if (!m) applied.set(key, (m = new Map()));
    m.set(room.tick, p.current.aim);
  }
};

async function node(nodeId: string): Promise<TickwireServer> {
  const server = new TickwireServer({
    roomTypes: [defineRoomType({ game: arenaGame, maxPlayers: perRoom, onTick: record })],
    port: 0,
    host: '127.0.0.1',
    // The drain's own line says how long handing the rooms over took.
    logger: pino({ level: 'warn' }).child({}, { level: nodeId === 'gap-a' ? 'info' : 'warn' }),
    staticDir: null,
    frontDoor: { perIpLimits: false },
    drainMs: 10_000,
    metrics: false,
    cluster: { redisUrl, keyPrefix, nodeId, heartbeatMs: 200 },
  });
  await server.listen();
  server.cluster!.publicUrl = `ws://127.0.0.1:${server.port}/ws`;
  await server.cluster!.heartbeat();
  return server;
}

/** A node as `npm start` runs it, its own process on a free port; resolves once /health answers. */
async function cliNode(nodeId: string, redis: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const args = [
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--max-players',
    String(perRoom),
    '--log-level',
    nodeId === 'gap-a' ? 'info' : 'warn',
  ];
  args.push('--admin-port', 'off', '--persistence', 'off', '--per-ip-limits', 'off', '--drain-seconds', '10');
  args.push('--redis-url', redis, '--node-id', nodeId, '--public-url', `ws://127.0.0.1:${port}/ws`);
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { port, child };
    await sleep(100);
  }
}

let a: TickwireServer | undefined;
let b: TickwireServer | undefined;
let aPort: number;
const stops: (() => void)[] = [];
let stopA: () => Promise<void>;
if (cli) {
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  stops.push(() => redis.kill());
  await sleep(300);
  const na = await cliNode('gap-a', `redis://127.0.0.1:${redisPort}`);
  const nb = await cliNode('gap-b', `redis://127.0.0.1:${redisPort}`);
  stops.push(() => nb.child.kill('SIGTERM'));
  aPort = na.port;
  const exited = new Promise((r) => na.child.once('exit', r));
  stopA = async () => {
    na.child.kill('SIGTERM');
    await exited;
  };
  await sleep(1500); // a heartbeat or two: each node sees the other in the registry
} else {
  a = await node('gap-a');
  b = await node('gap-b');
  await Promise.all([a, b].map((s) => s.cluster!.heartbeat()));
  aPort = a.port;
  stopA = () => a!.close();
}

interface Bot {
  client: TickwireClient<ArenaState, ArenaInput, unknown>;
  sent: [number, number][]; // [seq, sent at ms]
  lastSnapshotAt: number;
  longestGapMs: number;
  movedAt: number;
}
const bots: Bot[] = [];
const joinStarted = performance.now();
for (let i = 0; i < players; i++) {
  const client = new TickwireClient({
    url: `ws://127.0.0.1:${aPort}/ws`,
    game: arenaGame,
    name: `bot${i}`,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  } as TickwireClientOptions<ArenaState, ArenaInput, unknown>);
  const bot: Bot = { client, sent: [], lastSnapshotAt: Number.NaN, longestGapMs: 0, movedAt: Number.NaN };
  client.on('snapshot', () => {
    const now = performance.now();
    if (!Number.isNaN(bot.lastSnapshotAt)) bot.longestGapMs = Math.max(bot.longestGapMs, now - bot.lastSnapshotAt);
    bot.lastSnapshotAt = now;
  });
  client.on('moved', (e) => {
    if (e.cause === 'room-moved') bot.movedAt = performance.now();
  });
  await client.connect();
  bots.push(bot);
}
/** The first joins, one after another: what a WebSocket connect and a JOIN cost on this box. */
const joinMsEach = (performance.now() - joinStarted) / players;
const input: ArenaInput = { buttons: 0, aim: 0 };
const pacer = setInterval(() => {
  const now = performance.now();
  for (const bot of bots) {
    const c = bot.client;
    for (let n = c.inputsDue(); n > 0; n--) {
      input.aim = aimFor(Math.max(c.lastInputTick + 1, c.tickSync?.nextTick ?? 0));
      const seq = c.sendInput(input);
      if (seq > 0 && aimFor(seq) === input.aim) bot.sent.push([seq, now]);
    }
  }
}, 4);

await sleep(Number(values['warmup-s']) * 1000);
// The same window without a move first: the longest gap this box gives anyway.
for (const bot of bots) bot.longestGapMs = 0;
await sleep(Number(values['after-s']) * 1000);
const baseline = bots.map((bot) => bot.longestGapMs).sort((x, y) => x - y);
for (const bot of bots) bot.longestGapMs = 0; // the move's gap, not the warm-up's
const drainAt = performance.now();
const closing = stopA();
for (let waited = 0; bots.some((bot) => Number.isNaN(bot.movedAt)) && waited < 10_000; waited += 20) await sleep(20);
const allMovedAt = performance.now();
await sleep(Number(values['after-s']) * 1000);
clearInterval(pacer);
await sleep(200);

const gaps = bots.map((bot) => bot.longestGapMs).sort((x, y) => x - y);
const moveMs = bots
  .filter((bot) => !Number.isNaN(bot.movedAt))
  .map((bot) => bot.movedAt - drainAt)
  .sort((x, y) => x - y);
const lost = { before: 0, across: 0, after: 0, checked: 0 };
const newest = b ? Math.min(...[...b.rooms.rooms.values()].map((r) => r.tick)) - 2 : -1;
for (const bot of bots) {
  const got = applied.get(`${bot.client.welcome!.roomId}:${bot.client.playerId}`) ?? new Map();
  for (const [seq, at] of bot.sent) {
    if (seq > newest) continue;
    lost.checked++;
    if (got.get(seq) === aimFor(seq)) continue;
    if (at < drainAt) lost.before++;
    else if (at <= allMovedAt) lost.across++;
    else lost.after++;
  }
}
const r = (x: number) => Math.round(x);
console.log(
  JSON.stringify(
    {
      players,
      perRoom,
      moved: moveMs.length,
      roomMovesOut: a?.mover?.stats.movedOut,
      snapshotGapMs: { max: r(gaps[gaps.length - 1]), p99: r(percentile(gaps, 99)), p50: r(percentile(gaps, 50)) },
      // The same per-player figure over as long a window just before the drain, with no move.
      snapshotGapWithoutMoveMs: {
        max: r(baseline[baseline.length - 1]),
        p99: r(percentile(baseline, 99)),
        p50: r(percentile(baseline, 50)),
      },
      drainToMovedMs: moveMs.length
        ? { max: r(moveMs[moveMs.length - 1]), p99: r(percentile(moveMs, 99)), p50: r(percentile(moveMs, 50)) }
        : null,
      inputsLost: b ? lost : null,
      rematchmakes: bots.reduce((n, bot) => n + bot.client.stats.moves, 0),
      // One per player when every resume got through at the first try.
      firstJoinMsEach: Math.round(joinMsEach * 10) / 10,
      resumeAttempts: bots.reduce((n, bot) => n + bot.client.stats.reconnectAttempts, 0),
    },
    null,
    2,
  ),
);
for (const bot of bots) bot.client.close();
await closing;
await b?.close();
for (const stop of stops) stop();
process.exit(0);
