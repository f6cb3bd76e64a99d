import { spawn, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Button, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { ClientState } from '../../src/sdk/client-state';
import { RedisRegistry } from '../../src/cluster/redis-registry';
import { TickwireServer } from '../../src/server/tickwire-server';
import { defineRoomType } from '../../src/rooms/room-type';
import { arenaGame } from '../../shared/games/arena';
import { arenaClient, flush, nextEvent, startServer } from '../support/server-harness';
import { PrivateRedis, freePort } from '../support/redis-server';
import { matchmake, type MatchmakeTicket } from '../../src/sdk/matchmake';
import { CloseCode } from '../../shared/protocol/close-codes';
import { TEST_SECRET, mintHs256 } from '../support/jwt-fixtures';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { scratchPostgres } from '../support/test-database';
import * as wrtc from 'node-datachannel/polyfill';

/**
 * The cluster registry against a real redis-server: a private one per file (its own port, no
 * persistence), so a test may kill and restart it. Heartbeats here are 100 ms and a node lives
 * 600 ms without one; waits poll the registry until it says what the test expects.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis?.kill());

type Harness = Awaited<ReturnType<typeof startServer>>;
const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** The operator token of the CLI nodes here: the game port serves /cluster to it alone. */
const OPERATOR_TOKEN = 'cluster-test-operator-token-0123456789';

async function node(nodeId: string, keyPrefix: string, extra: Parameters<typeof startServer>[0] = {}, roomMoves?: false): Promise<Harness> {
  const h = await startServer({
    cluster: { redisUrl: redis.url, keyPrefix, nodeId, publicUrl: `ws://${nodeId}.test/ws`, heartbeatMs: 100, nodeTtlMs: 600, roomMoves },
    admin: { port: 0 },
    ...extra,
  });
  open.push(h);
  return h;
}

/** Poll `read` until `ok` holds (every 20 ms); the test's own timeout bounds it. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The CLI (`npm start`'s server, from the sources) as a child process on 127.0.0.1:`port`. */
function spawnCli(port: number, args: string[], env: Record<string, string>, stdio: StdioOptions = 'ignore') {
  const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  // No database: these nodes share one working directory, and an embedded one is one process's.
  return spawn(process.execPath, ['--import', 'tsx', cli, '--port', String(port), '--host', '127.0.0.1', '--persistence', 'off', ...args], {
    // No admin port (it would be the game port + 1, which nothing here reserved).
    env: { ...process.env, TICKWIRE_ADMIN_PORT: 'off', ...env },
    stdio,
  });
}

let prefixes = 0;
const prefix = () => `t${process.pid}-${++prefixes}:`;

describe('cluster registry in Redis', () => {
  it('two nodes see each other and each other’s rooms, with player counts and public URLs', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const b = await node('node-b', p);
    const c1 = a.client('one');
    await c1.connect();
    await a.server.cluster!.heartbeat();
    const rooms = await b.server.cluster!.registry.rooms('arena');
    expect(rooms).toHaveLength(1);
    expect(rooms[0]).toMatchObject({ nodeId: 'node-a', type: 'arena', players: 1, capacity: 32 });
    const nodes = await b.server.cluster!.registry.nodes();
    expect(nodes.map((n) => `${n.id} ${n.publicUrl} ${n.players}`).sort()).toEqual([
      'node-a ws://node-a.test/ws 1',
      'node-b ws://node-b.test/ws 0',
    ]);
    // The operator's view over HTTP, from the other node.
    const view = (await (await fetch(`http://127.0.0.1:${b.server.adminPort}/cluster`)).json()) as {
      rooms: { nodeId: string }[];
      node: string;
    };
    expect(view.node).toBe('node-b');
    expect(view.rooms.map((r) => r.nodeId)).toEqual(['node-a']);
    // The last player leaves: the room is disposed and, once A publishes, gone from the registry.
    c1.close();
    await a.leaves(1);
    await a.server.cluster!.heartbeat();
    expect(await b.server.cluster!.registry.rooms()).toEqual([]);
  });

  it('a cleanly closed node leaves at once; a draining node says so first', async () => {
    const p = prefix();
    // Its player's room stays (no room moves), so the drain lasts until the player leaves.
    const a = await node('node-a', p, { drainMs: 60_000 }, false);
    const b = await node('node-b', p);
    const c = a.client('one');
    await c.connect();
    const closed = a.server.close();
    await until(
      () => b.server.cluster!.registry.nodes(),
      (ns) => ns.some((n) => n.id === 'node-a' && n.draining),
    );
    c.close();
    // The drain ends on the server's clock once every client has gone.
    await a.leaves(1);
    a.server.pump();
    await closed;
    expect((await b.server.cluster!.registry.nodes()).map((n) => n.id)).toEqual(['node-b']);
  });

  it('a SIGKILLed node (the real CLI, default 1 s heartbeat, 3 s time-to-live) is reaped with its rooms', async () => {
    const p = prefix();
    const b = await node('node-b', p);
    const port = await freePort();
    const child = spawnCli(port, ['--log-level', 'warn'], { REDIS_URL: redis.url, TICKWIRE_NODE_ID: 'doomed' });
    try {
      // Give it a room: a player joins over a real socket.
      await until(
        () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok),
        (ok) => ok,
      );
      // The CLI uses the default key prefix; look there.
      const view = await RedisRegistry.connect({ url: redis.url });
      try {
        const player = arenaClient(`ws://127.0.0.1:${port}/ws`, 'doomed-player', { reconnect: false });
        await player.connect();
        await until(
          () => view.rooms(),
          (rs) => rs.some((r) => r.nodeId === 'doomed' && r.players === 1),
        );
        child.kill('SIGKILL');
        player.close();
        const killedAt = Date.now();
        // Node B reaps with its own prefix; the doomed node lives under the default one, so a
        // registry on that prefix does the reaping here, exactly as any live node would.
        await until(
          async () => {
            await view.reap();
            return view.nodes();
          },
          (ns) => !ns.some((n) => n.id === 'doomed'),
        );
        expect(Date.now() - killedAt).toBeLessThan(10_000);
        expect(await view.rooms()).toEqual([]);
      } finally {
        await view.close('unused');
      }
    } finally {
      child.kill('SIGKILL');
    }
    expect(b.server.cluster!.stats.reachable).toBe(true);
  }, 30_000);

  it('Redis killed mid-game: the room keeps ticking, the node reports it, and republishes when Redis is back', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const player = a.client('one');
    const watcher = a.client('two');
    await player.connect();
    await watcher.connect();
    await redis.kill();
    await a.server.cluster!.heartbeat();
    expect(a.server.cluster!.stats.reachable).toBe(false);
    expect(a.server.cluster!.stats.publishFailures).toBeGreaterThan(0);
    expect(a.lines.some((l) => l.msg.startsWith('cluster: registry unreachable'))).toBe(true);
    // Play goes on without Redis.
    for (let i = 0; i < 5; i++) {
      player.sendInput({ buttons: Button.Right, aim: 0 });
      await flush(player);
      const snap = nextEvent(watcher, 'snapshot');
      a.tick();
      await snap;
    }
    expect((await fetch(`http://127.0.0.1:${a.server.port}/health`).then((r) => r.json())).cluster.reachable).toBe(false);
    await redis.restart();
    // The restarted Redis is empty; the next heartbeat that gets through puts the node back.
    await until(
      async () => a.server.cluster!.stats.reachable,
      (ok) => ok,
    );
    const fresh = await RedisRegistry.connect({ url: redis.url, keyPrefix: p });
    try {
      const rooms = await until(
        () => fresh.rooms(),
        (rs) => rs.length === 1,
      );
      expect(rooms[0]).toMatchObject({ nodeId: 'node-a', players: 2 });
    } finally {
      await fresh.close('unused');
    }
    expect(a.lines.some((l) => l.msg.startsWith('cluster: registry reachable again'))).toBe(true);
  }, 20_000);

  it('listen() refuses to start when REDIS_URL points nowhere, saying where', async () => {
    const port = await freePort();
    const server = new TickwireServer({
      roomTypes: [defineRoomType({ game: arenaGame })],
      port: 0,
      host: '127.0.0.1',
      staticDir: null,
      logger: (await import('pino')).default({ level: 'silent' }),
      cluster: { redisUrl: `redis://:secret@127.0.0.1:${port}` },
    });
    await expect(server.listen()).rejects.toThrow(`cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    await server.close();
  });
});

describe('matchmaking across nodes (POST /matchmake, seat reservations)', () => {
  const twoSeats = { roomTypes: [defineRoomType({ game: arenaGame, maxPlayers: 2 })] };

  async function ticketFrom(h: Harness, roomType = 'arena') {
    return matchmake(`http://127.0.0.1:${h.server.port}`, roomType);
  }

  function clientFor(h: Harness, ticket: MatchmakeTicket, name: string) {
    return h.client(name, { url: ticket.url, reservation: ticket.reservation });
  }

  it('fills the room on the other node before making a new one; the reservation seats the player there', async () => {
    const p = prefix();
    const a = await node('node-a', p, twoSeats);
    const b = await node('node-b', p, twoSeats);
    // Port 0: the public URLs are known once listening.
    a.server.cluster!.publicUrl = a.url;
    b.server.cluster!.publicUrl = b.url;
    await a.server.cluster!.heartbeat();
    await b.server.cluster!.heartbeat();
    const first = await ticketFrom(a);
    const c1 = clientFor(a, first, 'one');
    await c1.connect();
    expect(c1.welcome!.roomId).toBe(first.roomId);
    await a.server.cluster!.heartbeat();
    await b.server.cluster!.heartbeat();
    // Asked at node B, the seat is in A's room (it has one free), and the ticket says so.
    const second = await ticketFrom(b);
    expect(second).toMatchObject({ nodeId: first.nodeId, roomId: first.roomId, url: first.nodeId === 'node-a' ? a.url : b.url });
    const owner = second.nodeId === 'node-a' ? a : b;
    const c2 = clientFor(owner, second, 'two');
    await c2.connect();
    expect(c2.welcome!.roomId).toBe(first.roomId);
    // The room is full now: the next one is a new room, on the less loaded node.
    await a.server.cluster!.heartbeat();
    await b.server.cluster!.heartbeat();
    const third = await ticketFrom(a);
    expect(third.roomId).not.toBe(first.roomId);
    expect(third.nodeId).not.toBe(first.nodeId);
  });

  it('a reservation is single use, and one for another node or an unknown one is refused 4013', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const ticket = await ticketFrom(a);
    const c1 = a.client('one', { reservation: ticket.reservation });
    await c1.connect();
    const again = a.client('again', { reservation: ticket.reservation });
    const closed = nextEvent(again, 'close');
    await again.connect().catch(() => undefined);
    expect((await closed)[0].code).toBe(CloseCode.ReservationRejected);
    const forged = a.client('forged', { reservation: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const closed2 = nextEvent(forged, 'close');
    await forged.connect().catch(() => undefined);
    expect((await closed2)[0].code).toBe(CloseCode.ReservationRejected);
  });

  it('no seat is double-booked: 200 racing matchmakes at three nodes into 4-seat rooms', async () => {
    const p = prefix();
    const fourSeats = { roomTypes: [defineRoomType({ game: arenaGame, maxPlayers: 4 })] };
    const nodes = [await node('n1', p, fourSeats), await node('n2', p, fourSeats), await node('n3', p, fourSeats)];
    for (const n of nodes) n.server.cluster!.publicUrl = n.url;
    await Promise.all(nodes.map((n) => n.server.cluster!.heartbeat()));
    const tickets = await Promise.all(Array.from({ length: 200 }, (_, i) => ticketFrom(nodes[i % 3]!)));
    const perRoom = new Map<string, number>();
    for (const t of tickets) perRoom.set(t.roomId, (perRoom.get(t.roomId) ?? 0) + 1);
    expect(Math.max(...perRoom.values())).toBeLessThanOrEqual(4);
    // Every node's own count agrees: held seats never exceed a room's capacity.
    let held = 0;
    for (const n of nodes) {
      held += n.server.rooms.reservedSeats;
      for (const room of n.server.rooms.rooms.values()) expect(n.server.rooms.freeSeats(room)).toBeGreaterThanOrEqual(0);
    }
    expect(held).toBe(200);
    expect(new Set(tickets.map((t) => t.nodeId)).size).toBeGreaterThan(1);
  }, 20_000);

  it('an unclaimed reservation lapses and its empty room goes; a draining node is not matched', async () => {
    const p = prefix();
    // Its player's room stays (no room moves), so the drain lasts until the player leaves.
    const a = await node('node-a', p, { drainMs: 60_000 }, false);
    const b = await node('node-b', p);
    a.server.cluster!.publicUrl = a.url;
    b.server.cluster!.publicUrl = b.url;
    const ticket = await ticketFrom(a);
    const owner = ticket.nodeId === 'node-a' ? a : b;
    expect(owner.server.rooms.rooms.size).toBe(1);
    owner.clock.advance(ticket.expiresInMs);
    owner.server.pump();
    expect(owner.server.rooms.reservedSeats).toBe(0);
    expect(owner.server.rooms.rooms.size).toBe(0);
    // Drain A (a player keeps it draining): every new ticket, asked at either node, is B's.
    const keep = a.client('keep');
    await keep.connect();
    const closing = a.server.close();
    await until(
      () => b.server.cluster!.registry.nodes(),
      (ns) => ns.some((n) => n.id === 'node-a' && n.draining),
    );
    for (const at of [a, b]) expect((await ticketFrom(at)).nodeId).toBe('node-b');
    keep.close();
    await a.leaves(1);
    a.server.pump();
    await closing;
  });
});

describe('matchmaking on one node without Redis (the embedded default)', () => {
  it('POST /matchmake answers with this node’s own address, and GET is refused', async () => {
    const h = await startServer();
    open.push(h);
    const ticket = await matchmake(`http://127.0.0.1:${h.server.port}`, 'arena');
    expect(ticket.url).toBe(h.url);
    const c = h.client('one', { url: ticket.url, reservation: ticket.reservation });
    await c.connect();
    expect(c.welcome!.roomId).toBe(ticket.roomId);
    expect((await fetch(`http://127.0.0.1:${h.server.port}/matchmake`)).status).toBe(405);
    await expect(matchmake(`http://127.0.0.1:${h.server.port}`, 'nope')).rejects.toThrow(/400.*unknown room type "nope"/);
  });

  it('a held seat is taken for plain joins too: they go to another room', async () => {
    const h = await startServer({ roomTypes: [defineRoomType({ game: arenaGame, maxPlayers: 2 })] });
    open.push(h);
    const ticket = await matchmake(`http://127.0.0.1:${h.server.port}`, 'arena');
    const plain1 = h.client('plain1');
    const plain2 = h.client('plain2');
    await plain1.connect();
    await plain2.connect();
    expect(plain1.welcome!.roomId).toBe(ticket.roomId);
    expect(plain2.welcome!.roomId).not.toBe(ticket.roomId);
    const held = h.client('held', { reservation: ticket.reservation });
    await held.connect();
    expect(held.welcome!.roomId).toBe(ticket.roomId);
  });
});

describe('messages across nodes (pub/sub)', () => {
  it('lobby chat: every line from either node reaches every player on both, each once and in one order', async () => {
    const p = prefix();
    const a = await node('node-a', p, { chat: { ratePerSecond: 100, burst: 100 } });
    const b = await node('node-b', p, { chat: { ratePerSecond: 100, burst: 100 } });
    const [ann, amy, ben] = [a.client('ann'), a.client('amy'), b.client('ben')];
    for (const c of [ann, amy, ben]) await c.connect();
    for (let i = 0; i < 10; i++) {
      ann.say('lobby', `a${i}`);
      ben.say('lobby', `b${i}`);
    }
    ann.say('room', 'only node a’s room');
    const all = () => [ann, amy, ben].every((c) => c.chat.get('lobby').length >= 20);
    while (!all()) {
      a.tick();
      b.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
    const order = ann.chat.get('lobby').map((l) => l.text);
    expect(order).toHaveLength(20);
    for (const c of [amy, ben]) expect(c.chat.get('lobby').map((l) => l.text)).toEqual(order);
    expect(order.filter((t) => t.startsWith('a'))).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
    expect(order.filter((t) => t.startsWith('b'))).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));
    await flush(ben);
    b.tick();
    expect(ben.chat.get('room')).toEqual([]);
    // The servers' own history (what a joiner gets) is in the order Redis delivered, the same on both.
    const joinerA = a.client('late-a');
    const joinerB = b.client('late-b');
    const histories = [joinerA, joinerB].map((c) => nextEvent(c, 'chat', (e) => e.ch === 'lobby' && e.kind === 'history'));
    await joinerA.connect();
    await joinerB.connect();
    const [ha, hb] = await Promise.all(histories);
    expect(ha[0].lines.map((l) => l.id)).toEqual(hb[0].lines.map((l) => l.id));
  });

  it('an operator notice (POST /notice at one node) reaches every player on all three nodes, once', async () => {
    const p = prefix();
    const nodes = [await node('n1', p), await node('n2', p), await node('n3', p)];
    const players = nodes.map((n, i) => n.client(`p${i}`));
    for (const c of players) await c.connect();
    const got = players.map((c) => nextEvent(c, 'notice'));
    const res = await fetch(`http://127.0.0.1:${nodes[1]!.server.adminPort}/notice`, {
      method: 'POST',
      body: 'server restarts at 04:00 UTC',
    });
    expect(res.status).toBe(202);
    for (const n of await Promise.all(got)) expect(n[0]).toEqual({ kind: 'info', message: 'server restarts at 04:00 UTC' });
    // Once: a second notice is the next one each player sees.
    const next = players.map((c) => nextEvent(c, 'notice'));
    await nodes[0]!.server.bus!.notifyAll('second');
    for (const n of await Promise.all(next)) expect(n[0].message).toBe('second');
    expect(nodes[1]!.lines.some((l) => l.msg === 'operator notice to every node')).toBe(true);
  });

  it('a stored notification posted at one node reaches its user playing on another, and is read there', async () => {
    const pg = await scratchPostgres();
    const stores = [await TickwireData.open({ url: pg.url }), await TickwireData.open({ url: pg.url })];
    try {
      const p = prefix();
      const auth = { secret: TEST_SECRET, audience: false, issuer: false } as const;
      const a = await node('node-a', p, { auth, data: stores[0] });
      const b = await node('node-b', p, { auth, data: stores[1] });
      const zed = b.client('zed', { token: await mintHs256(TEST_SECRET, { subject: 'u-zed' }) });
      await zed.connect();
      const told = nextEvent(zed, 'notice');
      const res = await fetch(`http://127.0.0.1:${a.server.adminPort}/notice?user=u-zed`, { method: 'POST', body: 'your match is ready' });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: number };
      expect((await told)[0]).toMatchObject({ kind: 'direct', id, message: 'your match is ready' });
      await flush(zed);
      // Marked read by node b, which holds the link (its store writes the read; a read there flushes it).
      expect(await stores[1]!.notifications.unread('u-zed')).toEqual([]);
      await a.close();
      await b.close();
    } finally {
      for (const s of stores) await s.close();
      await pg.drop();
    }
  });

  it('a message to one identity reaches it on whichever node it plays, and no one else', async () => {
    const p = prefix();
    const auth = { auth: { secret: TEST_SECRET, audience: false, issuer: false } as const };
    const a = await node('node-a', p, auth);
    const b = await node('node-b', p, auth);
    const ada = a.client('ada', { token: await mintHs256(TEST_SECRET, { subject: 'user-ada' }) });
    const bo = b.client('bo', { token: await mintHs256(TEST_SECRET, { subject: 'user-bo' }) });
    await ada.connect();
    await bo.connect();
    const seenByAda: string[] = [];
    ada.on('notice', (n) => seenByAda.push(n.message));
    const toBo = nextEvent(bo, 'notice');
    await a.server.bus!.notifyUser('user-bo', 'your friend is online');
    expect((await toBo)[0]).toEqual({ kind: 'direct', message: 'your friend is online' });
    await flush(ada);
    expect(seenByAda).toEqual([]);
  });

  it('game code’s topics: a handler on every node gets the data and the sender; unsubscribe stops it', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const b = await node('node-b', p);
    const atB: [unknown, string][] = [];
    const arrived = new Promise<void>((resolve) => {
      const off = b.server.bus!.subscribe('lobby', (data, from) => {
        atB.push([data, from]);
        if (atB.length === 2) {
          off();
          resolve();
        }
      });
    });
    const atA: unknown[] = [];
    a.server.bus!.subscribe('lobby', (data) => atA.push(data));
    await a.server.bus!.publishTopic('lobby', { open: 3 });
    await a.server.bus!.publishTopic('lobby', { open: 2 });
    await arrived;
    expect(atB).toEqual([
      [{ open: 3 }, 'node-a'],
      [{ open: 2 }, 'node-a'],
    ]);
    expect(atA).toEqual([{ open: 3 }, { open: 2 }]);
    // After b unsubscribed, a third goes to a alone: b's handler list is empty.
    // Order is kept per publisher: once 'sync' is at b, so is (or is not) the third 'lobby'.
    const synced = new Promise<void>((resolve) => b.server.bus!.subscribe('sync', () => resolve()));
    await a.server.bus!.publishTopic('lobby', { open: 1 });
    await a.server.bus!.publishTopic('sync', null);
    await synced;
    expect(atB).toHaveLength(2);
    expect(atA).toHaveLength(3);
  });

  it('with Redis down, a notice still reaches this node’s players and the caller is told the others missed it', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const player = a.client('one');
    await player.connect();
    await redis.kill();
    try {
      const got = nextEvent(player, 'notice');
      await expect(a.server.bus!.notifyAll('local only')).rejects.toThrow(/delivered on this node only/);
      expect((await got)[0].message).toBe('local only');
      const res = await fetch(`http://127.0.0.1:${a.server.adminPort}/notice`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(502);
    } finally {
      await redis.restart();
    }
  });
});

/**
 * `npm start -- --workers 2 ...args` on a free port, on Redis database `db`, with per-address
 * limits off and the operator token; resolves once both workers are in the registry.
 */
async function startWorkers(args: string[], db: number) {
  const port = await freePort();
  const child = spawnCli(port, ['--workers', '2', ...args], {
    REDIS_URL: `${redis.url}/${db}`,
    TICKWIRE_LOG_LEVEL: 'warn',
    TICKWIRE_PER_IP_LIMITS: 'off',
    TICKWIRE_OPERATOR_TOKEN: OPERATOR_TOKEN,
  });
  const base = `http://127.0.0.1:${port}`;
  /** The registry as the front's /cluster shows it (the operator token opens it on the game port). */
  const cluster = () =>
    fetch(`${base}/cluster`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } }).then(
      (r) => r.json() as Promise<{ nodes: { players: number }[] }>,
    );
  try {
    await until(cluster, (v) => v.nodes.length === 2);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { port, base, child, cluster };
}

describe('npm start -- --workers 2 (one port, two processes, a routing front)', () => {
  it('matchmade players reach the worker holding their seat, and so do their resumes; the workers share the cluster', async () => {
    const { base, child, cluster } = await startWorkers(['--max-players', '2'], 2);
    const clients: TickwireClient<ArenaState, ArenaInput, Mover>[] = [];
    try {
      const tickets: MatchmakeTicket[] = [];
      for (let i = 0; i < 4; i++) {
        const ticket = await matchmake(base, 'arena');
        tickets.push(ticket);
        const c = arenaClient(ticket.url, `p${i}`, { reservation: ticket.reservation, random: () => 0 });
        clients.push(c);
        const w = await c.connect();
        // The seat was held on the node the ticket names: the claim worked there.
        expect(w.roomId).toBe(ticket.roomId);
        expect(w.node).toBe(ticket.nodeId);
        // Let the registry catch up (a heartbeat, 1 s) so the next choice sees this seat taken.
        await until(cluster, (v) => v.nodes.reduce((n, node) => n + node.players, 0) === i + 1);
      }
      // Two-seat rooms: four players fill two rooms, and both workers took part.
      expect(new Set(tickets.map((t) => t.roomId)).size).toBe(2);
      expect(new Set(tickets.map((t) => t.nodeId)).size).toBe(2);
      // A killed link resumes through the front on the worker that holds the seat.
      for (const c of clients) {
        const resumed = nextEvent(c, 'resumed');
        c.killLink();
        await resumed;
      }
      for (const c of clients) expect(c.state).toBe(ClientState.Open);
      // Each resume kept its seat: same room, no 4009 (a resume on the wrong worker is refused).
      expect(clients.map((c) => c.welcome!.roomId)).toEqual(tickets.map((t) => t.roomId));
    } finally {
      for (const c of clients) c.close();
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('--webrtc on: WebRTC players join through the front, each client’s signalling requests all reaching one worker (round robin would split them)', async () => {
    const udp = await freePort();
    const { port, child } = await startWorkers(['--webrtc', 'on', '--webrtc-ports', `${udp}-${udp + 1}`], 3);
    const clients: TickwireClient<ArenaState, ArenaInput, Mover>[] = [];
    try {
      // Each signalling takes several requests, some on new TCP connections, which round robin
      // would spread over both workers (the second worker knows no such connection: 404).
      for (let i = 0; i < 4; i++) {
        const c = arenaClient(`ws://127.0.0.1:${port}/ws`, `rtc${i}`, {
          transport: 'webrtc',
          webrtc: { wrtc: { RTCPeerConnection: wrtc.RTCPeerConnection, RTCSessionDescription: wrtc.RTCSessionDescription } },
          reconnect: false,
        });
        clients.push(c);
        await c.connect();
        expect(c.transport).toBe('webrtc');
        await nextEvent(c, 'snapshot');
      }
    } finally {
      for (const c of clients) c.close();
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('stops with exit code 1 when a worker cannot start (Redis unreachable), rather than never opening the port', async () => {
    const dead = await freePort();
    const child = spawnCli(await freePort(), ['--workers', '2'], { REDIS_URL: `redis://127.0.0.1:${dead}`, TICKWIRE_LOG_LEVEL: 'fatal' }, [
      'ignore',
      'pipe',
      'ignore',
    ]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(out).toMatch(/cannot reach Redis/);
  }, 30_000);
});
