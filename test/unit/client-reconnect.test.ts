import { describe, expect, it } from 'vitest';
import { Button, tickRules, type ArenaState } from '../../shared/games/arena';
import { CloseCode } from '../../shared/protocol/close-codes';
import { backoffDelayMs } from '../../src/sdk/backoff';
import { ClientState } from '../../src/sdk/client-state';
import type { ClientEvents } from '../../src/sdk/tickwire-client';
import { memoryServer } from '../support/memory-harness';

const STEP = tickRules(30).playerStep;

/** Record every event of these kinds, in order, as "kind detail". */
function recorder(client: { on: <K extends keyof ClientEvents>(k: K, fn: (...a: ClientEvents[K]) => void) => () => void }) {
  const log: string[] = [];
  client.on('drop', (e) => log.push(`drop ${e.code}`));
  client.on('reconnecting', (e) => log.push(`reconnecting ${e.attempt}`));
  client.on('resumed', (e) => log.push(`resumed after ${e.attempts}`));
  client.on('resumeFailed', (e) => log.push(`resumeFailed ${e.code}`));
  client.on('close', (e) => log.push(`close ${e.code}`));
  return log;
}

function xOf(state: unknown, id: number): number {
  return (state as ArenaState).players.find((p) => p.id === id)!.x;
}

describe('backoff with full jitter', () => {
  it('waits a random share of base × 2^attempt, capped', () => {
    const opts = { baseDelayMs: 250, maxDelayMs: 5000 };
    expect(backoffDelayMs(0, opts, () => 0.999)).toBeLessThan(250);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(10, opts, () => 0.999)).toBeLessThan(5000);
    expect(backoffDelayMs(1000, opts, () => 0.999)).toBeLessThan(5000);
    expect(backoffDelayMs(5, opts, () => 0)).toBe(0);
  });
});

describe('the SDK over an in-memory link (no sockets, manual time)', () => {
  it('resends inputs that were lost with the link, so none is lost and none applied twice', async () => {
    const m = memoryServer();
    const alice = m.client('alice');
    const wa = await (async () => {
      const p = alice.connect();
      await m.settle();
      return p;
    })();
    await m.tick();
    const room = m.server.rooms.rooms.get(wa.roomId)!;
    const x0 = xOf(room.state, wa.playerId);
    const sign = x0 < 800 * 8 ? 1 : -1;
    const input = { buttons: sign > 0 ? Button.Right : Button.Left, aim: 0 };
    // Inputs are stamped for the ticks after the newest snapshot's: 2 and 3.
    const first = alice.sendInput(input);
    expect(first).toBe(2);
    alice.sendInput(input);
    await m.tick(2); // ticks 2 and 3 apply them
    // The link stalls: the inputs for ticks 4 and 5 are held in it, then it is cut and they are lost.
    m.links[0].stall();
    alice.sendInput(input);
    const last = alice.sendInput(input);
    m.links[0].cut();
    const log = recorder(alice);
    await m.settle();
    await m.advance(1); // the retry timer (0 ms with no jitter) and the resume
    expect(log).toEqual([`drop ${CloseCode.ConnectionLost}`, 'reconnecting 1', 'resumed after 1']);
    expect(alice.welcome!.lastSeq).toBe(first + 1);
    await m.tick(2); // exactly the two resent inputs, at their own ticks
    expect(xOf(room.state, wa.playerId)).toBe(x0 + sign * 4 * STEP);
    expect(alice.lastAckedSeq).toBe(last);
    expect(alice.predicted!.x).toBe(xOf(room.state, wa.playerId));
    expect(alice.stats.mispredictions).toBe(0);
  });

  it('notices a silent link by itself (no snapshot, no pong) and resumes on a new one', async () => {
    const m = memoryServer();
    const alice = m.client('alice', { livenessTimeoutMs: 2000 });
    const p = alice.connect();
    await m.settle();
    const wa = await p;
    await m.tick(3);
    const log = recorder(alice);
    // Frozen: nothing crosses, and neither end's transport notices.
    m.links[0].stall();
    await m.advance(1900);
    expect(log).toEqual([]);
    await m.advance(700); // past 2000 ms of silence, at the next liveness check (every 500 ms)
    expect(log).toEqual([`drop ${CloseCode.ConnectionLost}`, 'reconnecting 1', 'resumed after 1']);
    expect(alice.playerId).toBe(wa.playerId);
    expect(m.links.length).toBe(2);
  });

  it('backs off between failed attempts and gives up when the resume window is over', async () => {
    const m = memoryServer({ resumeWindowMs: 3000, maxConnections: 1 });
    const alice = m.client('alice', { random: () => 0.5, reconnect: { baseDelayMs: 200, maxDelayMs: 1000 } });
    const p = alice.connect();
    await m.settle();
    await p;
    const log = recorder(alice);
    const delays: number[] = [];
    alice.on('reconnecting', (e) => delays.push(e.delayMs));
    // Someone else takes the only connection slot: every attempt is refused 4007 (retryable).
    m.links[0].cut();
    await m.settle();
    const squatter = m.client('squatter');
    void squatter.connect().catch(() => {});
    await m.settle();
    await m.advance(3500);
    expect(delays.slice(0, 4)).toEqual([100, 200, 400, 500]);
    expect(log.at(-2)).toBe(`resumeFailed ${CloseCode.ResumeRejected}`);
    expect(log.at(-1)).toBe(`close ${CloseCode.ResumeRejected}`);
    expect(alice.state).toBe(ClientState.Closed);
    expect(alice.stats.reconnectAttempts).toBeGreaterThanOrEqual(4);
  });

  it('never retries a refusal: a resume the server rejects ends the client', async () => {
    const m = memoryServer();
    const alice = m.client('alice', { reconnect: { baseDelayMs: 1000 }, random: () => 0.5 });
    const p = alice.connect();
    await m.settle();
    const wa = await p;
    const log = recorder(alice);
    m.links[0].cut();
    await m.settle();
    // Game code frees the seat while Alice is away (a kick): her retry at 500 ms is refused.
    const room = m.server.rooms.rooms.get(wa.roomId)!;
    m.server.rooms.leave(room, room.getPlayer(wa.playerId)!);
    await m.advance(3000);
    expect(log).toEqual([
      `drop ${CloseCode.ConnectionLost}`,
      'reconnecting 1',
      `resumeFailed ${CloseCode.ResumeRejected}`,
      `close ${CloseCode.ResumeRejected}`,
    ]);
    expect(m.links.length).toBe(2);
  });

  it('does not reconnect after a deliberate close, a kick or a takeover', async () => {
    const m = memoryServer();
    const alice = m.client('alice');
    const p = alice.connect();
    await m.settle();
    const wa = await p;
    const log = recorder(alice);
    // Kicked: the server closes it for a protocol violation.
    alice.sendRaw(Uint8Array.of(0x7f));
    await m.advance(100);
    expect(log).toEqual([`close ${CloseCode.MalformedMessage}`]);
    expect(m.links.length).toBe(1);
    expect(m.server.rooms.rooms.get(wa.roomId)).toBeUndefined(); // a kick frees the seat
  });
});

describe('the SDK and tokens (in-memory, manual time)', () => {
  it('asks its token function again on every reconnect, and gives up (4010) when it fails', async () => {
    const { mintHs256, TEST_SECRET } = await import('../support/jwt-fixtures');
    const m = memoryServer({ auth: { secret: TEST_SECRET, audience: false, issuer: false } });
    const tokens = [await mintHs256(TEST_SECRET, { subject: 'ada' }), await mintHs256(TEST_SECRET, { subject: 'ada' })];
    let asked = 0;
    const alice = m.client('alice', { token: () => tokens[asked++] });
    const p = alice.connect();
    await m.settle();
    expect((await p).userId).toBe('ada');
    const log = recorder(alice);
    const resumed = new Promise((resolve) => alice.on('resumed', resolve));
    m.links[0].cut();
    await m.settle();
    await m.advance(1); // the retry; verifying the token is asynchronous (WebCrypto)
    await resumed;
    expect(log).toEqual([`drop ${CloseCode.ConnectionLost}`, 'reconnecting 1', 'resumed after 1']);
    expect(asked).toBe(2);

    const bob = m.client('bob', { token: () => Promise.reject(new Error('refresh failed')) });
    await expect(bob.connect().finally(() => {})).rejects.toMatchObject({
      code: CloseCode.Unauthenticated,
      reason: 'the token function failed: refresh failed',
    });
  });

  it('asks refreshToken on the expiring notice, and again before a resume past the known expiry, which then uses the fresh token', async () => {
    const { mintHs256, TEST_SECRET } = await import('../support/jwt-fixtures');
    const EPOCH_MS = 1_795_262_400_000;
    let wallNow = () => EPOCH_MS;
    const m = memoryServer({
      // A long grace (30 s): the old session must not be closed 4014 before a slow resume lands.
      auth: { secret: TEST_SECRET, audience: false, issuer: false, expiryNoticeSec: 10, clockToleranceSec: 30, now: () => wallNow() },
      // The client's liveness timeout, not the server's heartbeat, is to notice the silent link.
      idleTimeoutMs: 60_000,
      readStallMs: 60_000,
    });
    wallNow = () => EPOCH_MS + m.time.now();
    const mint = (ttlSec: number) => mintHs256(TEST_SECRET, { subject: 'ada', nowSec: Math.floor(wallNow() / 1000), ttlSec });
    const first = await mint(20); // exp at 20 s; the notice at 10 s
    const handedOut: (string | undefined)[] = [];
    const alice = m.client('alice', {
      token: first,
      livenessTimeoutMs: 6000,
      // The login service is down at the notice, up again later.
      refreshToken: async () => {
        const t = handedOut.length === 0 ? undefined : await mint(600);
        handedOut.push(t);
        return t;
      },
    });
    const events: string[] = [];
    alice.on('tokenExpiring', (e) => void events.push(`expiring ${e.secondsLeft} ${e.refreshing}`));
    alice.on('tokenRefreshFailed', (e) => void events.push(`failed ${e.willRetry}`));
    alice.on('resumed', () => void events.push('resumed'));
    const p = alice.connect();
    await m.settle();
    const w = await p;
    await m.advance(10_300);
    expect(events).toEqual(['expiring 10 true', 'failed false']);
    // The link goes silent at 15 s; the liveness timeout drops it at ~21 s, after the known
    // expiry (20 s), so the resume asks for a fresh token first.
    await m.advance(4700);
    m.links[0].stall();
    await m.advance(4700);
    expect(events).toEqual(['expiring 10 true', 'failed false']);
    const resumed = new Promise<void>((resolve) => {
      const off = alice.on('resumed', () => {
        off();
        resolve();
      });
    });
    await m.advance(7000);
    await resumed; // minting and verifying the fresh token run on WebCrypto: real time, not ours
    expect(events).toEqual(['expiring 10 true', 'failed false', 'resumed']);
    expect(handedOut.length).toBe(2);
    const player = m.server.rooms.rooms.get(w.roomId)!.getPlayer(w.playerId)!;
    // The seat holds the fresh token's identity: its exp is 600 s after the resume, not 20 s.
    expect(player.identity!.claims.exp).toBeGreaterThan(EPOCH_MS / 1000 + 600);
    // And it plays on past the old token's exp + grace (50 s) with no 4014.
    await m.advance(30_000);
    expect(alice.state).toBe(ClientState.Open);
    expect(m.lines.some((l) => l.code === CloseCode.TokenExpired)).toBe(false);
  });
});
