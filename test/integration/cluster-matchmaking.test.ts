import { describe, expect, it } from 'vitest';
import { defineRoomType } from '../../src/rooms/room-type';
import { arenaGame } from '../../shared/games/arena';
import { nextEvent, startServer } from '../support/server-harness';
import { until, useRedisCluster, type Harness } from '../support/redis-cluster';
import { matchmake, type MatchmakeTicket } from '../../src/sdk/matchmake';
import { CloseCode } from '../../shared/protocol/close-codes';

/** Matchmaking across nodes on Redis (POST /matchmake, seat reservations), and on one node without it. */
const rc = useRedisCluster();
const { node, prefix, open } = rc;

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
