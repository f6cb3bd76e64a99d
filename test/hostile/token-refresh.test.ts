import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl, MAX_TOKEN_LENGTH } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { mintHs256, TEST_SECRET } from '../support/jwt-fixtures';
import { nextEvent, startServer } from '../support/server-harness';

const AUD = 'tickwire-arena';
const ISS = 'https://id.test';
const token = (sub: string) => mintHs256(TEST_SECRET, { subject: sub, audience: AUD, issuer: ISS });

/**
 * TOKEN_REFRESH makes the server verify a signature: the one message a joined client can send
 * that costs crypto work. Each case has an attacker who abuses it and a bystander who must keep
 * receiving snapshots throughout.
 */
describe('hostile token refreshes', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  async function withBystander(extra: Parameters<typeof startServer>[0] = {}) {
    h = await startServer({ auth: { secret: TEST_SECRET, audience: AUD, issuer: ISS }, ...extra });
    const bystander = h.client('bystander', { token: await token('bystander') });
    await bystander.connect();
    const attacker = h.client('mallory', { token: await token('mallory') });
    await attacker.connect();
    return { bystander, attacker };
  }

  /** The bystander still gets snapshots and is still in. */
  async function playsOn(bystander: TickwireClient<any, any, any>): Promise<void> {
    const before = bystander.stats.snapshots;
    h.tick(3);
    await nextEvent(bystander, 'snapshot');
    expect(bystander.stats.snapshots).toBeGreaterThan(before);
    expect(bystander.isOpen).toBe(true);
  }

  it('closes a flood of refreshes with 4003 after at most a burst of verifications, and the bystander plays on', async () => {
    const { bystander, attacker } = await withBystander();
    const fresh = encodeControl(MessageType.TokenRefresh, { token: await token('mallory') });
    let verified = 0;
    attacker.on('tokenRefreshed', () => void verified++);
    const closed = nextEvent(attacker, 'close');
    for (let i = 0; i < 200; i++) attacker.sendRaw(fresh);
    const [close] = await closed;
    expect(close.code).toBe(CloseCode.RateLimited);
    expect(close.reason).toMatch(/TOKEN_REFRESH/);
    // Either the one-at-a-time rule or the budget cut it: never more than the burst was verified.
    expect(verified).toBeLessThanOrEqual(4);
    expect(h.lines.filter((l) => l.msg === 'token refreshed').length).toBeLessThanOrEqual(4);
    expect(h.lines.some((l) => l.msg === 'closing client' && l.code === CloseCode.RateLimited)).toBe(true);
    await playsOn(bystander);
  });

  it('paces refreshes one at a time and a few a minute, each answered, then refuses the next', async () => {
    const { bystander, attacker } = await withBystander();
    const fresh = encodeControl(MessageType.TokenRefresh, { token: await token('mallory') });
    for (let i = 0; i < 4; i++) {
      const answered = nextEvent(attacker, 'tokenRefreshed');
      attacker.sendRaw(fresh);
      expect((await answered)[0].secondsLeft).toBeGreaterThan(3500);
    }
    const closed = nextEvent(attacker, 'close');
    attacker.sendRaw(fresh);
    expect((await closed)[0]).toMatchObject({ code: CloseCode.RateLimited, reason: expect.stringMatching(/too many TOKEN_REFRESH/) });
    await playsOn(bystander);
  });

  it('cuts an oversized refresh: 1009 at the frame limit, 4001 over the token limit when frames may be larger', async () => {
    const huge = encodeControl(MessageType.TokenRefresh, { token: 'x'.repeat(MAX_TOKEN_LENGTH + 1) });
    {
      const { bystander, attacker } = await withBystander();
      const closed = nextEvent(attacker, 'close');
      attacker.sendRaw(huge);
      expect((await closed)[0].code).toBe(CloseCode.MessageTooBig);
      await playsOn(bystander);
      await h.close();
    }
    const { bystander, attacker } = await withBystander({ maxPayloadBytes: 16 * 1024 });
    const closed = nextEvent(attacker, 'close');
    attacker.sendRaw(huge);
    expect((await closed)[0]).toMatchObject({
      code: CloseCode.MalformedMessage,
      reason: `malformed message: TOKEN_REFRESH.token must be a string of 1-${MAX_TOKEN_LENGTH} characters`,
    });
    await playsOn(bystander);
  });
});
