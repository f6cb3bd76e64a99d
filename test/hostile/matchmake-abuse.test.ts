import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { defineRoomType } from '../../src/rooms/room-type';
import { arenaGame } from '../../shared/games/arena';
import { mintHs256, TEST_SECRET } from '../support/jwt-fixtures';
import { nextEvent, startServer } from '../support/server-harness';

type Harness = Awaited<ReturnType<typeof startServer>>;

/** POST /matchmake from `localAddress` (any of 127.0.0.0/8: each is its own client address). */
function matchmakeFrom(
  port: number,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { error?: string; reservation?: string; roomId?: string; url?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/matchmake?roomType=arena', method: 'POST', localAddress, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server's reservation TTL (10 s) and a housekeeping round (250 ms), in 30 Hz ticks. */
const PAST_TTL_TICKS = 310;

describe('matchmaking under the front door', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('30 addresses matchmaking and never joining hold 4 seats each in 4 rooms that do not tick; a bystander matchmakes and plays', async () => {
    // Per-address limits on, as a server on the internet has them (the harness lifts them).
    h = await startServer({ frontDoor: {} });
    const bystander = h.client('bystander');
    await bystander.connect();
    const statuses = new Map<number, number>();
    const attackers = Array.from({ length: 30 }, (_, i) => `127.0.0.${10 + i}`);
    // Eight at once from each address, as fast as they can: more than the limit, raced.
    const answers = await Promise.all(attackers.flatMap((ip) => Array.from({ length: 8 }, () => matchmakeFrom(h!.server.port, ip))));
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 120, 429: 120 });
    expect(answers.find((a) => a.status === 429)!.body.error).toMatch(/too many unclaimed seats from 127\.0\.0\.\d+: at most 4 at once/);
    expect(h.server.rooms.reservedSeats).toBe(120);
    // Filled first: the bystander's room, then three more (120 + 1 seats, 32 a room).
    expect(h.server.rooms.rooms.size).toBe(4);
    expect(h.lines.filter((l) => l.msg === 'matchmaking refused')).toHaveLength(120);

    // Rooms that only hold reservations cost no ticks; the bystander's room plays on.
    h.tick(30);
    const rooms = [...h.server.rooms.rooms.values()];
    const played = rooms.filter((r) => r.players.length > 0);
    expect(played).toHaveLength(1);
    expect(played[0]!.loop.steps).toBeGreaterThanOrEqual(30);
    for (const r of rooms) if (r.players.length === 0) expect(r.loop.steps).toBe(0);

    // A bystander from another address matchmakes, sits down and plays.
    const ticket = await matchmakeFrom(h.server.port, '127.0.0.2');
    expect(ticket.status).toBe(200);
    const late = h.client('late', { reservation: ticket.body.reservation });
    const welcome = await late.connect();
    expect(welcome.roomId).toBe(ticket.body.roomId);
    const snap = nextEvent(late, 'snapshot');
    const bystanderSnap = nextEvent(bystander, 'snapshot');
    h.tick();
    await Promise.all([snap, bystanderSnap]);
    // Its room starts at its first player: no catch-up burst for the time it was held.
    expect(h.server.rooms.rooms.get(ticket.body.roomId!)!.loop.droppedSteps).toBe(0);

    // The holds lapse: their rooms go, and the addresses may matchmake again.
    h.tick(PAST_TTL_TICKS);
    expect(h.server.rooms.reservedSeats).toBe(0);
    expect([...h.server.rooms.rooms.values()].every((r) => r.players.length > 0)).toBe(true);
    expect(h.server.matchmaking.quota.holdsOutstanding).toBe(0);
    expect((await matchmakeFrom(h.server.port, attackers[0]!)).status).toBe(200);
  });

  it('a claimed seat gives its place back at once', async () => {
    h = await startServer({ frontDoor: {} });
    const tickets = await Promise.all(Array.from({ length: 4 }, () => matchmakeFrom(h!.server.port, '127.0.0.20')));
    expect(tickets.map((t) => t.status)).toEqual([200, 200, 200, 200]);
    expect((await matchmakeFrom(h.server.port, '127.0.0.20')).status).toBe(429);
    const player = h.client('player', { reservation: tickets[0]!.body.reservation });
    await player.connect();
    expect((await matchmakeFrom(h.server.port, '127.0.0.20')).status).toBe(200);
  });

  it('a node holds at most maxReservations seats, from however many addresses', async () => {
    h = await startServer({ frontDoor: {}, matchmaking: { maxReservations: 10 } });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => matchmakeFrom(h!.server.port, `127.0.1.${i + 1}`)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).toHaveLength(2);
    expect(refused[0]!.body.error).toMatch(/already holds 10 seats for matchmade players/);
    expect(h.server.rooms.reservedSeats).toBe(10);
  });

  it('with requireAuth, matchmaking needs a token, and the seat is its identity’s alone', async () => {
    const claims = { audience: 'tickwire-test', issuer: 'tickwire-test' };
    const auth = { secret: TEST_SECRET, ...claims };
    h = await startServer({ auth, frontDoor: {}, matchmaking: { requireAuth: true } });
    const port = h.server.port;
    expect((await matchmakeFrom(port, '127.0.0.30')).status).toBe(401);
    const bad = await matchmakeFrom(port, '127.0.0.30', { authorization: 'Bearer not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatch(/token/);
    const alice = await mintHs256(TEST_SECRET, { subject: 'u-alice', ...claims });
    const ticket = await matchmakeFrom(port, '127.0.0.30', { authorization: `Bearer ${alice}` });
    expect(ticket.status).toBe(200);
    // Someone else who got hold of the reservation cannot use it.
    const thief = h.client('thief', {
      reservation: ticket.body.reservation,
      token: await mintHs256(TEST_SECRET, { subject: 'u-mallory', ...claims }),
    });
    const stolen = nextEvent(thief, 'close');
    await thief.connect().catch(() => undefined);
    expect((await stolen)[0]).toMatchObject({ code: CloseCode.ReservationRejected, reason: expect.stringMatching(/another identity/) });
    const owner = h.client('alice', { reservation: ticket.body.reservation, token: alice });
    expect((await owner.connect()).roomId).toBe(ticket.body.roomId);
    // Two unclaimed seats per identity, whatever address it asks from.
    for (const ip of ['127.0.0.31', '127.0.0.32'])
      expect((await matchmakeFrom(port, ip, { authorization: `Bearer ${alice}` })).status).toBe(200);
    const third = await matchmakeFrom(port, '127.0.0.33', { authorization: `Bearer ${alice}` });
    expect(third.status).toBe(429);
    expect(third.body.error).toMatch(/for this identity: at most 2/);
  });

  it('requireAuth without a key source is refused at construction', async () => {
    await expect(startServer({ matchmaking: { requireAuth: true } })).rejects.toThrow(/requireAuth needs auth/);
  });

  it('a room type’s reservation-only room is disposed when its last hold lapses', async () => {
    h = await startServer({ roomTypes: [defineRoomType({ game: arenaGame, maxPlayers: 2 })], frontDoor: {} });
    const t = await matchmakeFrom(h.server.port, '127.0.0.40');
    expect(t.status).toBe(200);
    expect(h.server.rooms.rooms.has(t.body.roomId!)).toBe(true);
    h.tick(PAST_TTL_TICKS);
    expect(h.server.rooms.rooms.has(t.body.roomId!)).toBe(false);
    expect(h.lines.some((l) => l.msg === 'room disposed' && l.room === t.body.roomId && l.ticks === 0)).toBe(true);
  });
});
