import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { AuthError, forbidden } from '../../src/auth/auth-error';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { makeKey, mintHs256, mintWithKey, startJwksServer, TEST_SECRET } from '../support/jwt-fixtures';

/** A fixed "now" for every verification: 2026-11-22T12:00:00Z. */
const NOW_SEC = 1_795_262_400;
const now = () => NOW_SEC * 1000;

/** The AuthError `verify` rejects with. */
async function refusal(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
  throw new Error('the token was accepted');
}

describe('token verifier', () => {
  const hs = createTokenVerifier({ secret: TEST_SECRET, audience: 'arena', issuer: 'https://id.test', now });
  const good = { nowSec: NOW_SEC, audience: 'arena', issuer: 'https://id.test' };

  it('accepts a valid HS256 token and returns sub and claims', async () => {
    const id = await hs.verify(await mintHs256(TEST_SECRET, { ...good, subject: 'ada' }, { role: 'pilot' }));
    expect(id.userId).toBe('ada');
    expect(id.claims.role).toBe('pilot');
    expect(id.expiresAt).toBe(NOW_SEC + 3600);
  });

  it.each([
    ['missing', undefined],
    ['malformed', 'not.a.jwt'],
    ['malformed', 'x'.repeat(9 * 1024)],
  ])('refuses a %s token with 4010', async (reason, token) => {
    const e = await refusal(hs.verify(token));
    expect([e.closeCode, e.reasonCode]).toEqual([CloseCode.Unauthenticated, reason]);
  });

  it('refuses a bad signature, an expired token, a future nbf, another audience or issuer, and no sub', async () => {
    const cases: [string, Promise<string>][] = [
      ['bad_signature', mintHs256('another-secret-of-32-bytes-or-more!!', good)],
      ['expired', mintHs256(TEST_SECRET, { ...good, nowSec: NOW_SEC - 7200, ttlSec: 60 })],
      ['not_yet_valid', mintHs256(TEST_SECRET, { ...good, notBeforeSec: NOW_SEC + 600 })],
      ['wrong_audience', mintHs256(TEST_SECRET, { ...good, audience: 'chat' })],
      ['wrong_issuer', mintHs256(TEST_SECRET, { ...good, issuer: 'https://evil.test' })],
      ['no_subject', mintHs256(TEST_SECRET, { ...good, subject: null })],
    ];
    for (const [reason, token] of cases) {
      const e = await refusal(hs.verify(await token));
      expect([reason, e.closeCode, e.reasonCode]).toEqual([reason, CloseCode.Unauthenticated, reason]);
    }
  });

  it('allows the clock tolerance (5 s) on exp and nbf, and not a second more', async () => {
    const expired3s = await mintHs256(TEST_SECRET, { ...good, nowSec: NOW_SEC - 63, ttlSec: 60 });
    expect((await hs.verify(expired3s)).userId).toBe('user-1');
    const expired6s = await mintHs256(TEST_SECRET, { ...good, nowSec: NOW_SEC - 66, ttlSec: 60 });
    expect((await refusal(hs.verify(expired6s))).reasonCode).toBe('expired');
  });

  it('verifies RS256 with a PEM key and refuses algorithm confusion (an HS256 token keyed with the PEM)', async () => {
    const key = await makeKey('RS256', 'k1');
    const rs = createTokenVerifier({ publicKey: key.pem, now });
    expect((await rs.verify(await mintWithKey(key, { nowSec: NOW_SEC, subject: 'bo' }))).userId).toBe('bo');
    const confused = await mintHs256(key.pem, { nowSec: NOW_SEC });
    expect((await refusal(rs.verify(confused))).reasonCode).toBe('malformed');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: NOW_SEC + 60 })).toString('base64url')}.`;
    expect((await refusal(rs.verify(unsigned))).closeCode).toBe(CloseCode.Unauthenticated);
  });

  it('rotates keys from a JWKS file without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-jwks-'));
    const file = join(dir, 'jwks.json');
    const k1 = await makeKey('ES256', 'k1');
    const k2 = await makeKey('ES256', 'k2');
    writeFileSync(file, JSON.stringify({ keys: [k1.jwk] }));
    let t = NOW_SEC * 1000;
    const v = createTokenVerifier({ jwks: file, now: () => t });
    const k2Token = await mintWithKey(k2, { nowSec: NOW_SEC });
    expect((await v.verify(await mintWithKey(k1, { nowSec: NOW_SEC }))).userId).toBe('user-1');
    expect((await refusal(v.verify(k2Token))).reasonCode).toBe('unknown_key');
    writeFileSync(file, JSON.stringify({ keys: [k2.jwk] }));
    // Re-read at most once a second: within the second the old set still answers.
    t += 500;
    expect((await refusal(v.verify(k2Token))).reasonCode).toBe('unknown_key');
    t += 600;
    expect((await v.verify(k2Token)).userId).toBe('user-1');
    expect((await refusal(v.verify(await mintWithKey(k1, { nowSec: NOW_SEC })))).reasonCode).toBe('unknown_key');
  });

  it('fetches a JWKS over HTTP and follows its key rotation', async () => {
    const k1 = await makeKey('RS256', 'old');
    const k2 = await makeKey('RS256', 'new');
    const jwks = await startJwksServer([k1]);
    try {
      const v = createTokenVerifier({ jwks: jwks.url, now, jwksCooldownMs: 0 });
      expect((await v.verify(await mintWithKey(k1, { nowSec: NOW_SEC }))).userId).toBe('user-1');
      jwks.setKeys([k2]);
      expect((await v.verify(await mintWithKey(k2, { nowSec: NOW_SEC, subject: 'rotated' }))).userId).toBe('rotated');
      expect(jwks.requests).toBe(2);
    } finally {
      await jwks.close();
    }
  });

  it('refuses bad configurations at construction with a sentence', () => {
    expect(() => createTokenVerifier({})).toThrow(/exactly one key source/);
    expect(() => createTokenVerifier({ secret: 'short' })).toThrow(/at least 32 bytes/);
    expect(() => createTokenVerifier({ secret: TEST_SECRET, jwks: 'x.json' })).toThrow(/exactly one key source/);
    expect(() => createTokenVerifier({ publicKey: 'hello' })).toThrow(/PEM SPKI/);
    expect(() => createTokenVerifier({ secret: TEST_SECRET, algorithms: ['none'] })).toThrow(/not allowed/);
  });

  it('gives room code a Forbidden (4011) error to refuse a proven identity', () => {
    const e = forbidden('banned');
    expect([e.closeCode, e.reasonCode, e.message]).toEqual([CloseCode.Forbidden, 'forbidden', 'banned']);
  });
});
