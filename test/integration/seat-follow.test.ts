import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/loop/clock';
import { ManualScheduler } from '../../src/loop/timers';
import { SocketHandlers, type WebSocketLike } from '../../src/sdk/socket-like';
import { matchmake } from '../../src/sdk/matchmake';
import { ClientState } from '../../src/sdk/client-state';
import type { ClientEvents, TickwireClient } from '../../src/sdk/tickwire-client';
import { CloseCode } from '../../shared/protocol/close-codes';
import { startClusterNode, type Harness } from '../support/cluster-node';
import { nextEvent, startServer } from '../support/server-harness';
import { PrivateRedis, freePort } from '../support/redis-server';
import { matchmakeBaseOf } from '../../src/sdk/seat-follower';

/**
 * Players follow a drain (issue 22, part 2): two nodes share a private Redis; a player seated on
 * one through matchmaking is told it drains, matchmakes again by itself, and plays on the other.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis?.kill());

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close().catch(() => undefined)));
});

let prefixes = 0;
/** Shorter than the server's idle timeout, which a clock advanced at once past it would fire first. */
const DRAIN_MS = 2000;

/** Two nodes on one Redis, each draining for DRAIN_MS when closed, their public URLs their own. */
async function twoNodes(): Promise<[Harness, Harness]> {
  const keyPrefix = `follow${process.pid}-${++prefixes}:`;
  const nodes: Harness[] = [];
  for (const nodeId of ['node-a', 'node-b']) {
    // Rooms stay where they are (no room moves): these are the players that follow a drain by
    // matchmaking, as for a room type that does not move (room-move.test.ts has the moves).
    const h = await startClusterNode(
      { redisUrl: redis.url, keyPrefix, nodeId, roomMoves: false },
      { admin: { port: 0 }, drainMs: DRAIN_MS },
    );
    open.push(h);
    nodes.push(h);
  }
  await Promise.all(nodes.map((n) => n.server.cluster!.heartbeat()));
  return nodes as [Harness, Harness];
}

/** A player matchmade at `at`, seated and playing; `home` is its node and `other` the other one. */
async function seatedPlayer(a: Harness, b: Harness, follow?: false) {
  const ticket = await matchmake(`http://127.0.0.1:${a.server.port}`, 'arena');
  const [home, other] = ticket.nodeId === 'node-a' ? [a, b] : [b, a];
  const client = home.client('mover', {
    url: ticket.url,
    reservation: ticket.reservation,
    ...(follow === false ? { matchmake: false } : {}),
  });
  await client.connect();
  const first = nextEvent(client, 'snapshot');
  home.tick();
  await first;
  return { client, home, other, ticket };
}

describe('players follow a drain (SDK option `matchmake`)', () => {
  it('a drain notice sends the player through matchmaking to a seat on the other node, where snapshots come', async () => {
    const [a, b] = await twoNodes();
    const { client, home, other, ticket } = await seatedPlayer(a, b);
    const oldPlayer = client.playerId;
    const moving = nextEvent(client, 'moving');
    const moved = nextEvent(client, 'moved');
    const closing = home.server.close();
    const [m] = await moving;
    expect(m).toMatchObject({ cause: 'drain', from: { roomId: ticket.roomId } });
    const [done] = await moved;
    // The new seat is the other node's: its room, claimed with the new reservation.
    const newRoom = [...other.server.rooms.rooms.values()][0]!;
    expect(done).toMatchObject({ cause: 'drain', from: { roomId: ticket.roomId }, to: { roomId: newRoom.id } });
    expect(done.to.roomId).not.toBe(ticket.roomId);
    expect(client.state).toBe(ClientState.Open);
    expect(client.welcome!.roomId).toBe(newRoom.id);
    expect(client.welcome!.resumed).toBe(false);
    expect(client.stats.moves).toBe(1);
    expect(client.latestTick).toBe(-1); // the old room's snapshots are forgotten
    // It plays there: the other node's tick reaches it.
    const snap = nextEvent(client, 'snapshot');
    other.tick();
    const [tick] = await snap;
    expect(tick).toBeGreaterThan(0);
    expect(client.latest.indexOf(client.playerId)).toBeGreaterThanOrEqual(0);
    expect(client.players.get(client.playerId)).toBe('mover');
    // It left its old seat (a normal leave): the drain ends once the node is empty.
    await home.leaves(1);
    home.server.pump();
    await closing;
    expect(client.state).toBe(ClientState.Open);
    expect(oldPlayer).toBeGreaterThan(0);
    client.close();
    await other.leaves(1); // so the other node's own close has nobody to drain for
  });

  it('spreads a drained crowd: the first ask waits a random share of drainSpreadMs, capped at a quarter of the drain', async () => {
    const [a, b] = await twoNodes();
    const ticket = await matchmake(`http://127.0.0.1:${a.server.port}`, 'arena');
    const [home, other] = ticket.nodeId === 'node-a' ? [a, b] : [b, a];
    const time = new ManualScheduler(0);
    // Half of min(1000 ms, a quarter of the 2 s drain): 250 ms on the client's timers.
    let asks = 0;
    const counting: typeof fetch = (input, init) => {
      asks++;
      return fetch(input, init);
    };
    const client = home.client('spread', {
      url: ticket.url,
      reservation: ticket.reservation,
      clock: time,
      timers: time,
      random: () => 0.5,
      matchmake: { fetch: counting },
    });
    await client.connect();
    const moving = nextEvent(client, 'moving');
    const closing = home.server.close();
    await moving;
    time.advance(249);
    // An ask due by now would have started in advance() and reached fetch within a turn.
    await new Promise((r) => setImmediate(r));
    expect(asks).toBe(0);
    const moved = nextEvent(client, 'moved');
    time.advance(1);
    expect((await moved)[0].ms).toBe(250);
    expect(asks).toBe(1);
    expect(other.server.rooms.rooms.size).toBe(1);
    client.close();
    await other.leaves(1);
    await home.leaves(1);
    home.server.pump();
    await closing;
  });

  it('with `matchmake: false` the player is told, stays, and is closed 1001 when the drain ends', async () => {
    const [a, b] = await twoNodes();
    const { client, home, other } = await seatedPlayer(a, b, false);
    const events: (keyof ClientEvents)[] = [];
    for (const e of ['moving', 'moved', 'moveFailed'] as const) client.on(e, () => events.push(e));
    const notice = nextEvent(client, 'notice');
    const closing = home.server.close();
    expect((await notice)[0].kind).toBe('shutdown');
    const closed = nextEvent(client, 'close');
    home.clock.advance(DRAIN_MS);
    home.server.pump();
    expect((await closed)[0].code).toBe(CloseCode.GoingAway);
    await closing;
    expect(events).toEqual([]);
    expect(other.server.rooms.rooms.size).toBe(0);
  });
});

/** A link to a dead node: never opens, closes 1006 on the next turn (connection refused, or the proxy's 503). */
class RefusedLink extends SocketHandlers implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;
  readonly bufferedAmount = 0;
  constructor() {
    super();
    setImmediate(() => {
      this.readyState = 3;
      this.onerror?.({ message: 'connect ECONNREFUSED' });
      this.onclose?.({ code: 1006, reason: '' });
    });
  }
  send(): void {}
  close(): void {}
}

/** Every event of a move and of resuming, in order. */
function moveLog(client: TickwireClient<any, any, any>) {
  const log: string[] = [];
  client.on('reconnecting', (e) => log.push(`reconnecting ${e.attempt}`));
  client.on('moving', (e) => log.push(`moving ${e.cause}`));
  client.on('moved', (e) => log.push(`moved ${e.cause}`));
  client.on('moveFailed', (e) => log.push(`moveFailed ${e.cause}`));
  client.on('resumeFailed', (e) => log.push(`resumeFailed ${e.code}`));
  client.on('close', (e) => log.push(`close ${e.code}`));
  return log;
}

describe('a node that stopped answering (no Redis: two lone nodes, the second one matchmakes)', () => {
  /**
   * A player on `a` whose node then dies: its link drops and every link to `a` is refused. The
   * SDK's matchmaking asks `b`, a lone node that seats it there. `clock` is the client's: each
   * refused attempt takes `attemptMs` of it.
   */
  async function dyingNode(follow: { goneAfterAttempts?: number; goneAfterMs?: number }, attemptMs = 0) {
    const a = await startServer();
    const b = await startServer();
    open.push(a, b);
    const clock = new ManualClock(0);
    let dead = false;
    const client = a.client('survivor', {
      clock,
      connect: (url) => {
        if (dead && url.startsWith(a.url)) {
          clock.advance(attemptMs);
          return new RefusedLink();
        }
        return new WebSocket(url) as unknown as WebSocketLike;
      },
      matchmake: { base: `http://127.0.0.1:${b.server.port}`, ...follow },
    });
    await client.connect();
    const log = moveLog(client);
    const kill = () => {
      dead = true;
      client.killLink();
    };
    return { a, b, client, log, kill };
  }

  it('after 3 resume attempts in a row that never open a socket, it matchmakes and plays on the other node', async () => {
    const { b, client, log, kill } = await dyingNode({});
    const moved = nextEvent(client, 'moved');
    kill();
    const [e] = await moved;
    expect(log).toEqual(['reconnecting 1', 'reconnecting 2', 'reconnecting 3', 'moving node-gone', 'moved node-gone']);
    const room = [...b.server.rooms.rooms.values()][0]!;
    expect(e.to.roomId).toBe(room.id);
    const snap = nextEvent(client, 'snapshot');
    b.tick();
    await snap;
    expect(client.state).toBe(ClientState.Open);
    client.close();
  });

  it('…or once `goneAfterMs` has passed since the drop with no attempt opening one', async () => {
    // Each refused attempt takes a second of the client's clock: the third ends 3 s after the drop.
    const { client, log, kill } = await dyingNode({ goneAfterAttempts: 100, goneAfterMs: 3000 }, 1000);
    const moved = nextEvent(client, 'moved');
    kill();
    await moved;
    expect(log).toEqual(['reconnecting 1', 'reconnecting 2', 'reconnecting 3', 'moving node-gone', 'moved node-gone']);
    client.close();
  });

  it('when matchmaking finds no seat (nothing listens there), it says so after maxTries and closes with the drop', async () => {
    const a = await startServer();
    open.push(a);
    let dead = false;
    const client = a.client('stranded', {
      connect: (url) => (dead ? new RefusedLink() : (new WebSocket(url) as unknown as WebSocketLike)),
      matchmake: { base: `http://127.0.0.1:${await freePort()}`, maxTries: 2 },
    });
    await client.connect();
    const log = moveLog(client);
    const failed = nextEvent(client, 'moveFailed');
    const closed = nextEvent(client, 'close');
    dead = true;
    client.killLink();
    expect((await failed)[0].reason).toMatch(/^no new seat after 2 tries: /);
    expect((await closed)[0].code).toBe(CloseCode.ConnectionLost);
    expect(log).toEqual(['reconnecting 1', 'reconnecting 2', 'reconnecting 3', 'moving node-gone', 'moveFailed node-gone', 'close 1006']);
    expect(client.state).toBe(ClientState.Closed);
  });

  it('the default matchmaking address is the origin of the game URL, over HTTP(S)', () => {
    expect(matchmakeBaseOf('wss://play.example.com/ws?node=n2')).toBe('https://play.example.com');
    expect(matchmakeBaseOf('ws://127.0.0.1:8080/ws')).toBe('http://127.0.0.1:8080');
  });

  it('a refusal by a live server (4009: the seat is not there) ends the client as before: no move', async () => {
    const a = await startServer();
    const b = await startServer();
    open.push(a, b);
    let dead = false;
    // After the drop, links "to a" reach b: a live server that knows nothing of the seat.
    const client = a.client('refused', {
      connect: (url) => new WebSocket(dead ? url.replace(a.url, b.url) : url) as unknown as WebSocketLike,
      matchmake: { base: `http://127.0.0.1:${b.server.port}` },
    });
    await client.connect();
    const log = moveLog(client);
    const closed = nextEvent(client, 'close');
    dead = true;
    client.killLink();
    expect((await closed)[0].code).toBe(CloseCode.ResumeRejected);
    expect(log).toEqual(['reconnecting 1', `resumeFailed ${CloseCode.ResumeRejected}`, `close ${CloseCode.ResumeRejected}`]);
  });
});
