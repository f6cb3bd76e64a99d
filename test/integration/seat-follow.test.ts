import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { matchmake } from '../../src/sdk/matchmake';
import { ClientState } from '../../src/sdk/client-state';
import type { ClientEvents } from '../../src/sdk/tickwire-client';
import { CloseCode } from '../../shared/protocol/close-codes';
import { nextEvent, startServer } from '../support/server-harness';
import { PrivateRedis } from '../support/redis-server';

/**
 * Players follow a drain (issue 22, part 2): two nodes share a private Redis; a player seated on
 * one through matchmaking is told it drains, matchmakes again by itself, and plays on the other.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis?.kill());

type Harness = Awaited<ReturnType<typeof startServer>>;
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
    const h = await startServer({
      cluster: { redisUrl: redis.url, keyPrefix, nodeId, publicUrl: 'ws://unset.test/ws', heartbeatMs: 100, nodeTtlMs: 600 },
      admin: { port: 0 },
      drainMs: DRAIN_MS,
    });
    // Port 0: the public URL is known once listening.
    h.server.cluster!.publicUrl = h.url;
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
