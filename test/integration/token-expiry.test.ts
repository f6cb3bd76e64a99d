import { afterEach, describe, expect, it } from 'vitest';
import { arenaGame } from '../../shared/games/arena';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { AuthOptions } from '../../src/auth/auth-options';
import { ManualClock } from '../../src/loop/clock';
import { ManualScheduler } from '../../src/loop/timers';
import { ClientState } from '../../src/sdk/client-state';
import { defineRoomType } from '../../src/rooms/room-type';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { TickwireServer } from '../../src/server/tickwire-server';
import { makeKey, mintHs256, mintWithKey, startJwksServer, TEST_SECRET } from '../support/jwt-fixtures';
import { flush, nextEvent, rawSocket, closeOf, startServer } from '../support/server-harness';

const AUD = 'tickwire-arena';
const ISS = 'https://id.test';
/** The wall time at server clock 0: 2026-11-22T12:00:00Z. */
const EPOCH_MS = 1_795_262_400_000;

/**
 * A server whose token verifier reads the wall clock from the test's ManualClock, so a token's
 * `exp` falls at a known server time. Notices go 10 s ahead; the grace is the default 5 s.
 * Heartbeat timeouts are long: the test yields to the sockets once per simulated second.
 */
async function securedServer(auth: Partial<AuthOptions> = {}) {
  const clock = new ManualClock(0);
  const h = await startServer({
    clock,
    idleTimeoutMs: 600_000,
    readStallMs: 600_000,
    auth: { secret: TEST_SECRET, audience: AUD, issuer: ISS, expiryNoticeSec: 10, now: () => EPOCH_MS + clock.now(), ...auth },
  });
  /** A token for `sub` minted now (server time), living `ttlSec`. */
  const token = (sub: string, ttlSec: number) =>
    mintHs256(TEST_SECRET, { subject: sub, audience: AUD, issuer: ISS, nowSec: Math.floor((EPOCH_MS + clock.now()) / 1000), ttlSec });
  /** Play on for `seconds`, one second of ticks at a time, letting every open client's messages through. */
  const play = async (seconds: number, clients: TickwireClient<any, any, any>[]) => {
    for (let s = 0; s < seconds; s++) {
      h.tick(30);
      for (const c of clients) if (c.isOpen) await flush(c);
    }
  };
  return { h, clock, token, play };
}

describe('tokens for the whole session', () => {
  let h: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('tells a session its token is expiring, closes it 4014 within its grace with a log line, and the bystander plays on', async () => {
    const s = await securedServer();
    h = s.h;
    const bystander = h.client('bystander', { token: await s.token('by', 3600) });
    await bystander.connect();
    const ada = h.client('ada', { token: await s.token('ada', 20) }); // exp at t = 20 s
    await ada.connect();
    const expiring: { secondsLeft: number; refreshing: boolean }[] = [];
    ada.on('tokenExpiring', (e) => void expiring.push(e));
    const notices: string[] = [];
    ada.on('notice', (n) => void notices.push(n.kind));

    // Lead 10 s (half the life is also 10 s): no notice at 9 s, one by 10.25 s.
    await s.play(9, [ada, bystander]);
    expect(expiring).toEqual([]);
    await s.play(2, [ada, bystander]);
    expect(expiring).toEqual([{ secondsLeft: 10, refreshing: false }]);
    expect(notices).toEqual(['token-expiring']);

    // exp (20 s) + grace (5 s): still open at 24 s, closed 4014 by 25.25 s.
    await s.play(13, [ada, bystander]);
    expect(ada.isOpen).toBe(true);
    const closed = nextEvent(ada, 'close');
    h.tick(39); // to 25.3 s
    const [close] = await closed;
    expect(close.code).toBe(CloseCode.TokenExpired);
    expect(close.reason).toMatch(/token expired/);
    const line = h.lines.find((l) => l.msg === 'closing client' && l.code === CloseCode.TokenExpired);
    expect(line).toMatchObject({ auth: 'expired', userId: 'ada' });
    expect(line!.expiredMs as number).toBeGreaterThanOrEqual(5000);
    expect(line!.expiredMs as number).toBeLessThan(5300);
    // The seat is freed (4014 is no drop), and the bystander plays on.
    await h.leaves(1);
    const before = bystander.stats.snapshots;
    h.tick(3);
    await nextEvent(bystander, 'snapshot');
    expect(bystander.stats.snapshots).toBeGreaterThan(before);
    expect(bystander.isOpen).toBe(true);
  });

  it('keeps a session that presents a fresh token (refreshToken) playing past the first expiry', async () => {
    const s = await securedServer();
    h = s.h;
    let asked = 0;
    const ada = h.client('ada', {
      token: await s.token('ada', 20),
      refreshToken: async () => {
        asked++;
        return s.token('ada', 60);
      },
    });
    const w = await ada.connect();
    const refreshed = nextEvent(ada, 'tokenRefreshed');
    await s.play(11, [ada]);
    const [{ secondsLeft }] = await refreshed;
    expect(asked).toBe(1);
    expect(secondsLeft).toBeGreaterThanOrEqual(59); // minted at ~10 s with 60 s to live
    expect(h.lines.some((l) => l.msg === 'token refreshed' && l.userId === 'ada')).toBe(true);
    // Well past the first token's exp + grace (25 s): still in, still receiving snapshots.
    await s.play(20, [ada]);
    expect(ada.isOpen).toBe(true);
    const n = ada.stats.snapshots;
    h.tick(3);
    const [tick] = await nextEvent(ada, 'snapshot');
    expect(tick).toBeGreaterThan(30 * 31);
    expect(ada.stats.snapshots).toBeGreaterThan(n);
    expect(h.server.rooms.rooms.get(w.roomId)!.getPlayer(w.playerId)!.identity?.userId).toBe('ada');
    expect(h.lines.some((l) => l.code === CloseCode.TokenExpired)).toBe(false);
  });

  it('refuses a fresh token for another user with 4011 Forbidden', async () => {
    const s = await securedServer();
    h = s.h;
    const ada = h.client('ada', { token: await s.token('ada', 20), refreshToken: () => s.token('eve', 60) });
    await ada.connect();
    const closed = nextEvent(ada, 'close');
    await s.play(11, [ada]);
    const [close] = await closed;
    expect(close.code).toBe(CloseCode.Forbidden);
    expect(close.reason).toMatch(/another user/);
    expect(h.lines.some((l) => l.msg === 'closing client' && l.code === CloseCode.Forbidden && l.userId === 'ada')).toBe(true);
  });

  it('refuses a garbled refresh with 4001 and a badly signed one with 4010, naming why', async () => {
    const s = await securedServer();
    h = s.h;
    const garbled = h.client('garbled', { token: await s.token('g', 600) });
    await garbled.connect();
    const g = nextEvent(garbled, 'close');
    garbled.sendRaw(Uint8Array.of(MessageType.TokenRefresh, 0x81, 0xa5)); // a map cut off inside its first key
    expect((await g)[0]).toMatchObject({ code: CloseCode.MalformedMessage, reason: expect.stringMatching(/not valid msgpack/) });

    const wrongShape = h.client('shape', { token: await s.token('s', 600) });
    await wrongShape.connect();
    const w = nextEvent(wrongShape, 'close');
    wrongShape.sendRaw(encodeControl(MessageType.TokenRefresh, { token: 42 }));
    expect((await w)[0]).toMatchObject({
      code: CloseCode.MalformedMessage,
      reason: expect.stringMatching(/TOKEN_REFRESH.token must be a string/),
    });

    const forged = h.client('forged', { token: await s.token('f', 600) });
    await forged.connect();
    const f = nextEvent(forged, 'close');
    const bad = await mintHs256('some-other-secret-that-is-32-bytes!!', { subject: 'f', audience: AUD, issuer: ISS });
    forged.sendRaw(encodeControl(MessageType.TokenRefresh, { token: bad }));
    expect((await f)[0]).toMatchObject({
      code: CloseCode.Unauthenticated,
      reason: 'token refresh refused: token signature does not verify',
    });
  });

  it('refuses a refresh before JOIN, and on a server without authentication, with 4002', async () => {
    const s = await securedServer();
    h = s.h;
    const raw = await rawSocket(h.url);
    const early = closeOf(raw);
    raw.send(encodeControl(MessageType.TokenRefresh, { token: await s.token('x', 60) }));
    expect(await early).toMatchObject({ code: CloseCode.UnexpectedMessage, reason: expect.stringMatching(/before JOIN/) });
    await h.close();

    h = await startServer();
    const guest = h.client('guest');
    await guest.connect();
    const closed = nextEvent(guest, 'close');
    guest.sendRaw(encodeControl(MessageType.TokenRefresh, { token: 'a.b.c' }));
    expect((await closed)[0]).toMatchObject({ code: CloseCode.UnexpectedMessage, reason: expect.stringMatching(/without authentication/) });
  });

  it('requires aud and iss unless turned off on purpose, which logs a warning naming the risk', async () => {
    const roomTypes = [defineRoomType({ game: arenaGame })];
    expect(() => new TickwireServer({ roomTypes, auth: { secret: TEST_SECRET, issuer: ISS } })).toThrow(
      /auth needs an audience: set auth.audience/,
    );
    expect(() => new TickwireServer({ roomTypes, auth: { secret: TEST_SECRET, audience: AUD } })).toThrow(/auth needs an issuer/);
    expect(() => new TickwireServer({ roomTypes, auth: { secret: TEST_SECRET, audience: '', issuer: ISS } })).toThrow(
      /auth needs an audience/,
    );
    h = await startServer({ auth: { secret: TEST_SECRET, audience: false, issuer: false } });
    const warnings = h.lines.filter((l) => l.level === 40 && /^auth: the (audience|issuer)/.test(l.msg)).map((l) => l.msg);
    expect(warnings).toEqual([
      expect.stringMatching(/audience \(aud\) check is off/),
      expect.stringMatching(/issuer \(iss\) check is off/),
    ]);
    // And with them off, a token without aud or iss is let in.
    expect((await h.client('ada', { token: await mintHs256(TEST_SECRET, { subject: 'ada' }) }).connect()).userId).toBe('ada');
  });

  it('refuses a resume with 4015 while the JWKS host is down, keeps the seat, and the SDK resumes once it is back', async () => {
    const k1 = await makeKey('RS256', 'k1');
    const k2 = await makeKey('RS256', 'k2');
    const jwks = await startJwksServer([k1]);
    try {
      h = await startServer({ auth: { jwks: jwks.url, jwksCooldownMs: 0, audience: AUD, issuer: ISS } });
      const mint = (key: typeof k1) => mintWithKey(key, { subject: 'ada', audience: AUD, issuer: ISS });
      let current = await mint(k1);
      // The SDK's own time: each reconnect attempt waits for the test to advance it.
      const time = new ManualScheduler(0);
      const ada = h.client('ada', { token: () => current, clock: time, timers: time });
      const w = await ada.connect();
      const bystander = h.client('bystander', { token: await mintWithKey(k1, { subject: 'by', audience: AUD, issuer: ISS }) });
      await bystander.connect();
      expect(jwks.requests).toBe(1);

      // The key source goes down, and the next token is signed with a key the server must fetch.
      await jwks.stop();
      current = await mint(k2);
      // The client has taken the 4015 as retryable once it schedules its second attempt.
      const retrying = nextEvent(ada, 'reconnecting', (e) => e.attempt === 2);
      const refused = nextEvent(ada, 'serverError');
      ada.killLink();
      await h.drops(1);
      time.advance(0); // the first attempt
      expect((await refused)[0].code).toBe(CloseCode.AuthUnavailable);
      await retrying;
      const line = h.lines.find((l) => l.msg === 'closing client' && l.code === CloseCode.AuthUnavailable)!;
      expect(line).toMatchObject({ auth: 'key_source_unavailable', reason: 'the key set could not be fetched; try again' });
      const room = h.server.rooms.rooms.get(w.roomId)!;
      expect(room.getPlayer(w.playerId)).toBeDefined(); // the seat is held
      expect(ada.state).toBe(ClientState.Reconnecting); // 4015 is not final
      h.tick(3);
      await nextEvent(bystander, 'snapshot');

      // Back up, with the new key: the next attempt resumes the same seat.
      jwks.setKeys([k1, k2]);
      await jwks.start();
      const resumed = nextEvent(ada, 'resumed');
      time.advance(1000);
      const [{ attempts }] = await resumed;
      expect(attempts).toBe(2);
      expect([ada.welcome!.playerId, ada.welcome!.resumed]).toEqual([w.playerId, true]);
      expect(jwks.requests).toBe(2);
    } finally {
      await h?.close();
      h = undefined;
      await jwks.close();
    }
  });

  it('keeps a session whose refresh cannot be checked (JWKS down): TOKEN_REFRESHED ok false, and the SDK sends it again', async () => {
    const k1 = await makeKey('RS256', 'r1');
    const k2 = await makeKey('RS256', 'r2');
    const jwks = await startJwksServer([k1]);
    try {
      const clock = new ManualClock(0);
      const wall = () => EPOCH_MS + clock.now();
      h = await startServer({
        clock,
        idleTimeoutMs: 600_000,
        readStallMs: 600_000,
        auth: { jwks: jwks.url, jwksCooldownMs: 0, audience: AUD, issuer: ISS, expiryNoticeSec: 10, now: wall },
      });
      const mint = (key: typeof k1, ttlSec: number) =>
        mintWithKey(key, { subject: 'ada', audience: AUD, issuer: ISS, nowSec: Math.floor(wall() / 1000), ttlSec });
      const time = new ManualScheduler(0);
      // The fresh token is signed with a key the server has not fetched yet.
      const ada = h.client('ada', { token: await mint(k1, 20), refreshToken: () => mint(k2, 600), clock: time, timers: time });
      await ada.connect();
      await jwks.stop();
      const failed = nextEvent(ada, 'tokenRefreshFailed');
      for (let s = 0; s < 11; s++) {
        h.tick(30);
        await flush(ada);
      }
      expect((await failed)[0]).toEqual({ reason: 'the key set could not be fetched; try again', willRetry: true });
      expect(ada.isOpen).toBe(true);
      expect(h.lines.some((l) => l.msg === 'token refresh could not be checked; the session plays on')).toBe(true);

      jwks.setKeys([k1, k2]);
      await jwks.start();
      const refreshed = nextEvent(ada, 'tokenRefreshed');
      time.advance(1000); // the SDK's retry (its backoff is on its own timers)
      expect((await refreshed)[0].secondsLeft).toBeGreaterThan(590);
      // Past the first token's exp + grace (25 s): still in.
      for (let s = 0; s < 16; s++) {
        h.tick(30);
        await flush(ada);
      }
      expect(ada.isOpen).toBe(true);
      expect(h.lines.some((l) => l.code === CloseCode.TokenExpired)).toBe(false);
    } finally {
      await h?.close();
      h = undefined;
      await jwks.close();
    }
  });

  it('writes no token into the log line of a request over the rate limit (429)', async () => {
    h = await startServer({ frontDoor: { httpRequestsPerSecondPerIp: 1 } });
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl';
    let status = 0;
    for (let i = 0; i < 5 && status !== 429; i++)
      status = (await fetch(`http://127.0.0.1:${h.server.port}/health?x=1&token=${secret}`)).status;
    expect(status).toBe(429);
    const line = h.lines.find((l) => l.msg === 'http request over the rate limit');
    expect(line?.url).toBe('/health?x=1&token=***');
    expect(JSON.stringify(h.lines)).not.toContain(secret);
  });
});
