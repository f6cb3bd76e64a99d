import { describe, expect, it } from 'vitest';
import { REFRESH_BURST, TokenDue, TokenLifetime } from '../../src/session/token-lifetime';
import { redactTokenParam } from '../../src/logging/redact-url';

/** Server clock 0 is this wall time, ms. */
const WALL0 = 1_795_262_400_000;

function lifetime(leadMs = 60_000, graceMs = 5000) {
  let serverNow = 0;
  const t = new TokenLifetime({ noticeLeadMs: leadMs, graceMs, wallNow: () => WALL0 + serverNow });
  return {
    t,
    /** Place a token with `exp` this many seconds after wall time 0, at server time `at`. */
    set(expInSec: number | undefined, at: number) {
      serverNow = at;
      t.set(expInSec === undefined ? undefined : WALL0 / 1000 + expInSec, at);
    },
  };
}

describe('a session token lifetime', () => {
  it('notices the lead ahead once, then expires past exp + grace', () => {
    const { t, set } = lifetime();
    set(3600, 0);
    expect([t.expiresAt, t.noticeAt]).toEqual([3_600_000, 3_540_000]);
    expect(t.due(3_539_999)).toBe(TokenDue.Nothing);
    expect(t.due(3_540_000)).toBe(TokenDue.Notice);
    expect(t.due(3_540_250)).toBe(TokenDue.Nothing); // once
    expect(t.secondsLeft(3_540_000)).toBe(60);
    expect(t.due(3_604_999)).toBe(TokenDue.Nothing); // inside the grace
    expect(t.due(3_605_000)).toBe(TokenDue.Expired);
    expect(t.secondsLeft(3_700_000)).toBe(0);
  });

  it('gives a short-lived token its notice at half its remaining life', () => {
    const { t, set } = lifetime();
    set(40, 10_000); // 30 s left when taken
    expect([t.expiresAt, t.noticeAt]).toEqual([40_000, 25_000]);
    set(5, 6000); // already past exp (inside the verifier's tolerance): notice at once
    expect(t.due(6000)).toBe(TokenDue.Notice);
    expect(t.due(9999)).toBe(TokenDue.Nothing);
    expect(t.due(10_000)).toBe(TokenDue.Expired);
  });

  it('moves the deadlines with a refreshed token, and has none for a token without exp', () => {
    const { t, set } = lifetime();
    set(100, 0);
    expect(t.due(49_999)).toBe(TokenDue.Nothing); // half of 100 s left: 50 s ahead
    expect(t.due(50_000)).toBe(TokenDue.Notice);
    set(400, 60_000); // refreshed before exp
    expect([t.expiresAt, t.noticeAt]).toEqual([400_000, 340_000]);
    expect(t.due(106_000)).toBe(TokenDue.Nothing);
    set(undefined, 70_000);
    expect([t.due(1e12), t.secondsLeft(0)]).toEqual([TokenDue.Nothing, undefined]);
  });

  it('allows a burst of refreshes, then one per 15 s', () => {
    const { t } = lifetime();
    for (let i = 0; i < REFRESH_BURST; i++) expect(t.takeRefresh(0)).toBe(true);
    expect(t.takeRefresh(0)).toBe(false);
    expect(t.takeRefresh(14_000)).toBe(false);
    expect(t.takeRefresh(15_000)).toBe(true);
  });
});

describe('token redaction in logged URLs', () => {
  it('hides every token parameter, however spelled, and leaves the rest as sent', () => {
    expect(redactTokenParam('/ws?token=abc.def.ghi')).toBe('/ws?token=***');
    expect(redactTokenParam('/monitor?x=1&token=zz&y=%E0')).toBe('/monitor?x=1&token=***&y=%E0');
    expect(redactTokenParam('/ws?%74oken=sec&TOKEN=kept&tok=1')).toBe('/ws?%74oken=***&TOKEN=kept&tok=1');
    expect(redactTokenParam('/ws?a#&token=sec&token=two')).toBe('/ws?a#&token=***&token=***');
    expect(redactTokenParam('/health')).toBe('/health');
    expect(redactTokenParam('/ws?token')).toBe('/ws?token');
  });
});
