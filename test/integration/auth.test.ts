import { afterEach, describe, expect, it } from 'vitest';
import { arenaGame, type ArenaState } from '../../shared/games/arena';
import { CloseCode } from '../../shared/protocol/close-codes';
import { defineRoomType } from '../../src/rooms/room-type';
import { makeKey, mintHs256, mintWithKey, startJwksServer, TEST_SECRET } from '../support/jwt-fixtures';
import { nextEvent, startServer } from '../support/server-harness';

const AUD = 'tickwire-arena';
const ISS = 'https://id.test';
const token = (sub: string, extra: Parameters<typeof mintHs256>[1] = {}) =>
  mintHs256(TEST_SECRET, { subject: sub, audience: AUD, issuer: ISS, ...extra });

describe('JWT identity over real sockets', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  const secured = (extra: Parameters<typeof startServer>[0] = {}) =>
    startServer({ auth: { secret: TEST_SECRET, audience: AUD, issuer: ISS }, ...extra });

  it('admits a valid token (in JOIN or in the URL) and gives room code the user id', async () => {
    const seen: (string | undefined)[] = [];
    h = await secured({ roomTypes: [defineRoomType({ game: arenaGame, onJoin: (_room, p) => void seen.push(p.userId) })] });
    const w = await h.client('ada', { token: await token('user-ada') }).connect();
    expect(w.userId).toBe('user-ada');
    const viaUrl = h.client('bo', { url: `${h.url}?token=${await token('user-bo')}` });
    expect((await viaUrl.connect()).userId).toBe('user-bo');
    expect(seen).toEqual(['user-ada', 'user-bo']);
    expect(h.server.rooms.rooms.get(w.roomId)!.getPlayer(w.playerId)!.identity?.claims.aud).toBe(AUD);
  });

  it('refuses a missing, badly signed, expired, wrong-audience or wrong-issuer token with 4010, an ERROR and a log line', async () => {
    h = await secured();
    const cases: [string, string | undefined][] = [
      ['missing', undefined],
      ['bad_signature', await mintHs256('some-other-secret-that-is-32-bytes!!', { audience: AUD, issuer: ISS })],
      ['expired', await token('u', { nowSec: Math.floor(Date.now() / 1000) - 7200, ttlSec: 60 })],
      ['wrong_audience', await mintHs256(TEST_SECRET, { audience: 'chat', issuer: ISS })],
      ['wrong_issuer', await mintHs256(TEST_SECRET, { audience: AUD, issuer: 'https://evil.test' })],
    ];
    for (const [reason, t] of cases) {
      const c = h.client(`c-${reason}`, { token: t });
      const error = nextEvent(c, 'serverError').catch(() => undefined);
      await expect(c.connect()).rejects.toMatchObject({ code: CloseCode.Unauthenticated });
      expect((await error)?.[0].code).toBe(CloseCode.Unauthenticated);
      expect(h.lines.some((l) => l.msg === 'closing client' && l.auth === reason)).toBe(true);
    }
    await h.logged((l) => l.msg === 'connection closed' && l.code === CloseCode.Unauthenticated, cases.length);
    expect(h.server.health().totals.closeCodes[CloseCode.Unauthenticated]).toBe(cases.length);
    expect(h.server.rooms.rooms.size).toBe(0);
  });

  it('lets the room type refuse a proven identity (onAuth) with 4011 Forbidden', async () => {
    h = await secured({
      roomTypes: [
        defineRoomType({ game: arenaGame, onAuth: async (identity) => (identity.claims.banned ? 'you are banned from the arena' : true) }),
      ],
    });
    await expect(h.client('ok', { token: await token('fine') }).connect()).resolves.toMatchObject({ userId: 'fine' });
    const banned = h.client('banned', {
      token: await mintHs256(TEST_SECRET, { subject: 'bad', audience: AUD, issuer: ISS }, { banned: true }),
    });
    await expect(banned.connect()).rejects.toMatchObject({ code: CloseCode.Forbidden, reason: 'you are banned from the arena' });
  });

  it('walls off a room that throws while admitting an authenticated player (4006), and serves the next', async () => {
    let throwOnce = true;
    h = await secured({
      roomTypes: [
        defineRoomType({
          game: arenaGame,
          onJoin: () => {
            if (throwOnce) {
              throwOnce = false;
              throw new Error('boom');
            }
          },
        }),
      ],
    });
    // onJoin runs after the WELCOME went out: the player is let in, then the crashed room closes it.
    const first = h.client('first', { token: await token('a') });
    const closed = nextEvent(first, 'close');
    await first.connect().catch(() => undefined);
    expect((await closed)[0].code).toBe(CloseCode.RoomCrashed);
    expect((await h.client('second', { token: await token('b') }).connect()).userId).toBe('b');
  });

  it('gives one identity one seat: a second login takes the seat over and the first link is closed 4012', async () => {
    h = await secured();
    const tab1 = h.client('ada', { token: await token('ada') });
    const w1 = await tab1.connect();
    const room = h.server.rooms.rooms.get(w1.roomId)!;
    (room.state as ArenaState).players.find((p) => p.id === w1.playerId)!.score = 3;
    const closed = nextEvent(tab1, 'close');
    const tab2 = h.client('ada-2', { token: await token('ada') });
    const w2 = await tab2.connect();
    expect((await closed)[0].code).toBe(CloseCode.Superseded);
    expect([w2.playerId, w2.resumed, w2.userId]).toEqual([w1.playerId, true, 'ada']);
    expect(room.players.length).toBe(1);
    expect((room.state as ArenaState).players.find((p) => p.id === w1.playerId)!.score).toBe(3);
  });

  it('refuses a resume token presented by another identity (4009), and keeps it for its owner', async () => {
    h = await secured();
    const ada = h.client('ada', { token: await token('ada'), reconnect: false });
    const wa = await ada.connect();
    ada.killLink();
    await h.drops(1);
    const thief = h.client('eve', { token: await token('eve'), resumeToken: wa.resumeToken });
    // The SDK falls back to a fresh join once its resume token is refused: Eve gets a seat of her own.
    const we = await thief.connect();
    expect(we.playerId).not.toBe(wa.playerId);
    expect(
      h.lines.some((l) => l.msg === 'closing client' && l.code === CloseCode.ResumeRejected && /another identity/.test(String(l.reason))),
    ).toBe(true);
    const back = h.client('ada', { token: await token('ada'), resumeToken: wa.resumeToken });
    const wb = await back.connect();
    expect([wb.playerId, wb.resumed]).toEqual([wa.playerId, true]);
  });

  it('verifies RS256 tokens from a JWKS URL and follows its key rotation', async () => {
    const k1 = await makeKey('RS256', '2026-a');
    const k2 = await makeKey('RS256', '2026-b');
    const jwks = await startJwksServer([k1]);
    try {
      h = await startServer({ auth: { jwks: jwks.url, jwksCooldownMs: 0, audience: false, issuer: false } });
      expect((await h.client('a', { token: await mintWithKey(k1, { subject: 'a' }) }).connect()).userId).toBe('a');
      jwks.setKeys([k2]);
      expect((await h.client('b', { token: await mintWithKey(k2, { subject: 'b' }) }).connect()).userId).toBe('b');
      const stale = h.client('c', { token: await mintWithKey(k1, { subject: 'c' }) });
      await expect(stale.connect()).rejects.toMatchObject({ code: CloseCode.Unauthenticated });
    } finally {
      await h.close();
      await jwks.close();
    }
  });
});
