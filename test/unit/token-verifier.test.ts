import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, exportSPKI } from 'jose';
import { CloseCode } from '../../shared/protocol/close-codes';
import { AuthError, forbidden } from '../../src/auth/auth-error';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { authWarnings } from '../../src/auth/auth-options';
import {
  makeKey,
  mintHs256,
  mintUnsigned,
  mintWithKey,
  startJwksServer,
  TEST_SECRET,
  writeJwksFile,
  type TestKey,
} from '../support/jwt-fixtures';

/** A fixed "now" for every verification: 2026-11-22T12:00:00Z. */
const NOW_SEC = 1_795_262_400;
const now = () => NOW_SEC * 1000;

/** The AuthError `verify` rejects with; any other outcome fails the test. */
async function refusal(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
  throw new Error('the token was accepted');
}

/** [closeCode, reasonCode] of the refusal, to assert both at once. */
async function refused(p: Promise<unknown>): Promise<[number, string]> {
  const e = await refusal(p);
  return [e.closeCode, e.reasonCode];
}

const U = CloseCode.Unauthenticated;
/** aud and iss checks off on purpose: these tests are about keys, not claims. */
const OPEN = { audience: false, issuer: false } as const;

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'tickwire-jwks-')), name);
}

describe('token verifier', () => {
  const hs = createTokenVerifier({ secret: TEST_SECRET, audience: 'arena', issuer: 'https://id.test', now });
  const good = { nowSec: NOW_SEC, audience: 'arena', issuer: 'https://id.test' };
  // RSA keys are slow to make: one pair for the whole file.
  let rsa: TestKey;
  let rsa2: TestKey;
  beforeAll(async () => {
    [rsa, rsa2] = await Promise.all([makeKey('RS256', 'rsa-1'), makeKey('RS256', 'rsa-2')]);
  });

  describe('HS256 secret', () => {
    it('accepts a valid token and returns sub, frozen claims and exp', async () => {
      const id = await hs.verify(await mintHs256(TEST_SECRET, { ...good, subject: 'ada' }, { role: 'pilot' }));
      expect(id.userId).toBe('ada');
      expect(id.claims).toMatchObject({ sub: 'ada', role: 'pilot', aud: 'arena', iss: 'https://id.test' });
      expect(Object.isFrozen(id.claims)).toBe(true);
      expect(id.expiresAt).toBe(NOW_SEC + 3600);
    });

    it('leaves expiresAt unset for a token without exp', async () => {
      const id = await hs.verify(await mintHs256(TEST_SECRET, { ...good, ttlSec: null }));
      expect(id.expiresAt).toBeUndefined();
    });

    it.each([
      ['missing', undefined],
      ['missing', ''],
      ['malformed', 'not.a.jwt'],
      ['malformed', 'garbage'],
      ['malformed', 'x'.repeat(9 * 1024)],
    ])('refuses a %s token (%#) with 4010', async (reason, token) => {
      expect(await refused(hs.verify(token))).toEqual([U, reason]);
    });

    it('refuses a token over 8 KiB before parsing it, even with a valid signature', async () => {
      const big = await mintHs256(TEST_SECRET, good, { pad: 'p'.repeat(9 * 1024) });
      expect(big.length).toBeGreaterThan(8192);
      expect(await refused(hs.verify(big))).toEqual([U, 'malformed']);
      const justUnder = await mintHs256(TEST_SECRET, good, { pad: 'p'.repeat(5 * 1024) });
      expect((await hs.verify(justUnder)).userId).toBe('user-1');
    });

    it('refuses a non-string token as malformed (a caller passing JSON through)', async () => {
      expect(await refused(hs.verify(42 as unknown as string))).toEqual([U, 'malformed']);
    });

    it.each([
      ['bad_signature', () => mintHs256('another-secret-of-32-bytes-or-more!!', good)],
      ['expired', () => mintHs256(TEST_SECRET, { ...good, nowSec: NOW_SEC - 7200, ttlSec: 60 })],
      ['not_yet_valid', () => mintHs256(TEST_SECRET, { ...good, notBeforeSec: NOW_SEC + 600 })],
      ['wrong_audience', () => mintHs256(TEST_SECRET, { ...good, audience: 'chat' })],
      ['wrong_audience', () => mintHs256(TEST_SECRET, { ...good, audience: undefined })],
      ['wrong_issuer', () => mintHs256(TEST_SECRET, { ...good, issuer: 'https://evil.test' })],
      ['no_subject', () => mintHs256(TEST_SECRET, { ...good, subject: null })],
      ['no_subject', () => mintHs256(TEST_SECRET, { ...good, subject: '' })],
      ['no_subject', () => mintHs256(TEST_SECRET, { ...good, subject: 'u'.repeat(257) })],
    ])('refuses %s (%#) with 4010', async (reason, mint) => {
      const e = await refusal(hs.verify(await mint()));
      expect([e.closeCode, e.reasonCode]).toEqual([U, reason]);
      expect(e.message).not.toContain(TEST_SECRET);
    });

    it('accepts a 256-character sub', async () => {
      expect((await hs.verify(await mintHs256(TEST_SECRET, { ...good, subject: 'u'.repeat(256) }))).userId).toHaveLength(256);
    });

    it('allows the clock tolerance (5 s) on exp and nbf, and not a second more', async () => {
      const expired3s = await mintHs256(TEST_SECRET, { ...good, nowSec: NOW_SEC - 63, ttlSec: 60 });
      expect((await hs.verify(expired3s)).userId).toBe('user-1');
      const expired6s = await mintHs256(TEST_SECRET, { ...good, nowSec: NOW_SEC - 66, ttlSec: 60 });
      expect(await refused(hs.verify(expired6s))).toEqual([U, 'expired']);
      expect((await hs.verify(await mintHs256(TEST_SECRET, { ...good, notBeforeSec: NOW_SEC + 4 }))).userId).toBe('user-1');
      expect(await refused(hs.verify(await mintHs256(TEST_SECRET, { ...good, notBeforeSec: NOW_SEC + 6 })))).toEqual([U, 'not_yet_valid']);
    });

    it('takes the tolerance from clockToleranceSec, and the time from now()', async () => {
      let t = NOW_SEC * 1000;
      const strict = createTokenVerifier({ ...OPEN, secret: TEST_SECRET, clockToleranceSec: 0, now: () => t });
      const token = await mintHs256(TEST_SECRET, { nowSec: NOW_SEC, ttlSec: 60 });
      expect((await strict.verify(token)).userId).toBe('user-1');
      t += 61_000;
      expect(await refused(strict.verify(token))).toEqual([U, 'expired']);
    });

    it('refuses an RS256 token: a secret allows HS256 only', async () => {
      const v = createTokenVerifier({ ...OPEN, secret: TEST_SECRET, now });
      expect(await refused(v.verify(await mintWithKey(rsa, { nowSec: NOW_SEC })))).toEqual([U, 'malformed']);
    });
  });

  describe('PEM public key', () => {
    it('verifies RS256 and PS256 with an RSA key, ES256 with a P-256 key, EdDSA with an Ed25519 key', async () => {
      const rs = createTokenVerifier({ ...OPEN, publicKey: rsa.pem, now });
      expect((await rs.verify(await mintWithKey(rsa, { nowSec: NOW_SEC, subject: 'bo' }))).userId).toBe('bo');
      for (const alg of ['PS256', 'ES256', 'EdDSA'] as const) {
        const key = await makeKey(alg, 'k');
        const v = createTokenVerifier({ ...OPEN, publicKey: key.pem, now });
        expect((await v.verify(await mintWithKey(key, { nowSec: NOW_SEC, subject: alg }))).userId).toBe(alg);
      }
    });

    it('refuses a token signed with another key pair as bad_signature', async () => {
      const rs = createTokenVerifier({ ...OPEN, publicKey: rsa.pem, now });
      expect(await refused(rs.verify(await mintWithKey(rsa2, { nowSec: NOW_SEC })))).toEqual([U, 'bad_signature']);
    });

    it('refuses algorithm confusion: an HS256 token keyed with the public PEM, and alg none', async () => {
      const rs = createTokenVerifier({ ...OPEN, publicKey: rsa.pem, now });
      expect(await refused(rs.verify(await mintHs256(rsa.pem, { nowSec: NOW_SEC })))).toEqual([U, 'malformed']);
      expect(await refused(rs.verify(mintUnsigned({ sub: 'x', exp: NOW_SEC + 60 })))).toEqual([U, 'malformed']);
      expect(await refused(hs.verify(mintUnsigned({ sub: 'x', exp: NOW_SEC + 60, aud: 'arena', iss: 'https://id.test' })))).toEqual([
        U,
        'malformed',
      ]);
    });

    it('restricts the algorithms to `algorithms` when given', async () => {
      const ps = await makeKey('PS256', 'ps');
      const psOnly = createTokenVerifier({ ...OPEN, publicKey: ps.pem, algorithms: ['PS256'], now });
      expect((await psOnly.verify(await mintWithKey(ps, { nowSec: NOW_SEC }))).userId).toBe('user-1');
      expect(await refused(psOnly.verify(await mintWithKey(rsa, { nowSec: NOW_SEC })))).toEqual([U, 'malformed']);
    });
  });

  describe('JWKS file', () => {
    it('verifies ES256 and rotates keys when the file is rewritten, without a restart', async () => {
      const file = tempFile('jwks.json');
      const k1 = await makeKey('ES256', 'k1');
      const k2 = await makeKey('ES256', 'k2');
      writeJwksFile(file, [k1]);
      let t = NOW_SEC * 1000;
      const v = createTokenVerifier({ ...OPEN, jwks: file, now: () => t });
      const k1Token = await mintWithKey(k1, { nowSec: NOW_SEC });
      const k2Token = await mintWithKey(k2, { nowSec: NOW_SEC });
      expect((await v.verify(k1Token)).userId).toBe('user-1');
      expect(await refused(v.verify(k2Token))).toEqual([U, 'unknown_key']);
      writeJwksFile(file, [k2]);
      // Looked at again at most once a second: within the second the old set still answers.
      t += 500;
      expect(await refused(v.verify(k2Token))).toEqual([U, 'unknown_key']);
      t += 600;
      expect((await v.verify(k2Token)).userId).toBe('user-1');
      expect(await refused(v.verify(k1Token))).toEqual([U, 'unknown_key']);
    });

    it('stops accepting a key removed from the file within a second, with no unknown kid to prompt it', async () => {
      const file = tempFile('jwks.json');
      const k1 = await makeKey('ES256', 'k1');
      const k2 = await makeKey('ES256', 'k2');
      writeJwksFile(file, [k1, k2]);
      let t = NOW_SEC * 1000;
      const v = createTokenVerifier({ ...OPEN, jwks: file, now: () => t });
      const k1Token = await mintWithKey(k1, { nowSec: NOW_SEC });
      expect((await v.verify(k1Token)).userId).toBe('user-1');
      writeJwksFile(file, [k2]);
      utimesSync(file, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000)); // an mtime that surely moved
      t += 1000;
      expect(await refused(v.verify(k1Token))).toEqual([U, 'unknown_key']);
      expect((await v.verify(await mintWithKey(k2, { nowSec: NOW_SEC }))).userId).toBe('user-1');
    });

    it('keeps the last good key set while the file is half-written or gone', async () => {
      const file = tempFile('jwks.json');
      const k1 = await makeKey('ES256', 'k1');
      writeJwksFile(file, [k1]);
      let t = NOW_SEC * 1000;
      const v = createTokenVerifier({ ...OPEN, jwks: file, now: () => t });
      const token = await mintWithKey(k1, { nowSec: NOW_SEC });
      writeFileSync(file, '{"keys": [');
      t += 1000;
      expect((await v.verify(token)).userId).toBe('user-1');
      t += 1000;
      const stranger = await mintWithKey(await makeKey('ES256', 'k9'), { nowSec: NOW_SEC });
      expect(await refused(v.verify(stranger))).toEqual([U, 'unknown_key']);
      expect((await v.verify(token)).userId).toBe('user-1');
    });

    it('refuses an HS256 token even when the JWKS holds a symmetric key (algorithm confusion)', async () => {
      const file = tempFile('jwks.json');
      const secretJwk = { kty: 'oct', kid: 'oct', k: Buffer.from(TEST_SECRET).toString('base64url') };
      writeFileSync(file, JSON.stringify({ keys: [rsa.jwk, secretJwk] }));
      const v = createTokenVerifier({ ...OPEN, jwks: file, now });
      expect((await v.verify(await mintWithKey(rsa, { nowSec: NOW_SEC }))).userId).toBe('user-1');
      expect(await refused(v.verify(await mintHs256(TEST_SECRET, { nowSec: NOW_SEC })))).toEqual([U, 'malformed']);
    });
  });

  describe('JWKS URL', () => {
    it('fetches the key set over HTTP and follows its key rotation', async () => {
      const jwks = await startJwksServer([rsa]);
      try {
        const v = createTokenVerifier({ ...OPEN, jwks: jwks.url, now, jwksCooldownMs: 0 });
        expect((await v.verify(await mintWithKey(rsa, { nowSec: NOW_SEC }))).userId).toBe('user-1');
        expect((await v.verify(await mintWithKey(rsa, { nowSec: NOW_SEC, subject: 'again' }))).userId).toBe('again');
        expect(jwks.requests).toBe(1); // cached
        jwks.setKeys([rsa2]);
        expect((await v.verify(await mintWithKey(rsa2, { nowSec: NOW_SEC, subject: 'rotated' }))).userId).toBe('rotated');
        expect(jwks.requests).toBe(2);
      } finally {
        await jwks.close();
      }
    });

    it('does not refetch for made-up key ids within the cooldown', async () => {
      const jwks = await startJwksServer([rsa]);
      try {
        const v = createTokenVerifier({ ...OPEN, jwks: jwks.url, now }); // default cooldown, 30 s
        expect((await v.verify(await mintWithKey(rsa, { nowSec: NOW_SEC }))).userId).toBe('user-1');
        for (const kid of ['a', 'b', 'c']) {
          expect(await refused(v.verify(await mintWithKey(rsa, { nowSec: NOW_SEC }, {}, { kid })))).toEqual([U, 'unknown_key']);
        }
        expect(jwks.requests).toBe(1);
      } finally {
        await jwks.close();
      }
    });

    it('reports an unreachable or failing JWKS as key_source_unavailable, not as a bad token', async () => {
      const jwks = await startJwksServer([rsa]);
      try {
        jwks.setStatus(503);
        const v = createTokenVerifier({ ...OPEN, jwks: jwks.url, now, jwksCooldownMs: 0 });
        const token = await mintWithKey(rsa, { nowSec: NOW_SEC });
        expect(await refused(v.verify(token))).toEqual([CloseCode.AuthUnavailable, 'key_source_unavailable']);
        jwks.setStatus(200);
        expect((await v.verify(token)).userId).toBe('user-1');
      } finally {
        await jwks.close();
      }
      const gone = createTokenVerifier({ ...OPEN, jwks: jwks.url, now });
      expect(await refused(gone.verify(await mintWithKey(rsa, { nowSec: NOW_SEC })))).toEqual([
        CloseCode.AuthUnavailable,
        'key_source_unavailable',
      ]);
    });
  });

  describe('configuration', () => {
    it('refuses bad configurations at construction with a sentence', () => {
      expect(() => createTokenVerifier({ ...OPEN })).toThrow(/exactly one key source/);
      expect(() => createTokenVerifier({ ...OPEN, secret: 'short' })).toThrow(/at least 32 bytes/);
      expect(() => createTokenVerifier({ ...OPEN, secret: TEST_SECRET, jwks: 'x.json' })).toThrow(/exactly one key source/);
      expect(() => createTokenVerifier({ ...OPEN, publicKey: 'hello' })).toThrow(/PEM SPKI/);
      expect(() => createTokenVerifier({ ...OPEN, publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n' })).toThrow(
        /not a readable PEM SPKI key/,
      );
      expect(() => createTokenVerifier({ ...OPEN, secret: TEST_SECRET, algorithms: ['none'] })).toThrow(/not allowed/);
      expect(() => createTokenVerifier({ ...OPEN, secret: TEST_SECRET, algorithms: ['HS512'] })).toThrow(
        /"HS512" is not allowed.*allowed: HS256/,
      );
      expect(() => createTokenVerifier({ ...OPEN, publicKey: rsa.pem, algorithms: ['HS256'] })).toThrow(/not allowed/);
      expect(() => createTokenVerifier({ ...OPEN, publicKey: rsa.pem, algorithms: ['ES256'] })).toThrow(
        /cannot be verified with this rsa key/,
      );
      expect(() => createTokenVerifier({ ...OPEN, jwks: 'ftp://keys.example/jwks.json' })).toThrow(/file path or an http\(s\):\/\/ URL/);
      expect(() => createTokenVerifier({ ...OPEN, jwks: '/nonexistent/jwks.json' })).toThrow(/cannot load the auth JWKS file/);
      const notJson = tempFile('jwks.json');
      writeFileSync(notJson, 'keys?');
      expect(() => createTokenVerifier({ ...OPEN, jwks: notJson })).toThrow(/cannot load the auth JWKS file/);
      expect(() => createTokenVerifier({ ...OPEN, secret: TEST_SECRET, clockToleranceSec: -1 })).toThrow(/clockToleranceSec/);
    });

    it('requires aud and iss unless each is turned off on purpose (false), and names the risk of turning one off', async () => {
      expect(() => createTokenVerifier({ secret: TEST_SECRET })).toThrow(
        /auth needs an audience: set auth.audience \(--auth-audience\) to the "aud".*or to false \(--auth-audience off\)/,
      );
      expect(() => createTokenVerifier({ secret: TEST_SECRET, audience: 'arena' })).toThrow(/auth needs an issuer/);
      expect(() => createTokenVerifier({ secret: TEST_SECRET, audience: ' ', issuer: 'https://id.test' })).toThrow(
        /auth needs an audience/,
      );
      expect(() => createTokenVerifier({ secret: TEST_SECRET, ...OPEN, expiryNoticeSec: -1 })).toThrow(/expiryNoticeSec must be 0-3600/);
      expect(authWarnings({ secret: TEST_SECRET, audience: 'arena', issuer: 'https://id.test' })).toEqual([]);
      expect(authWarnings({ secret: TEST_SECRET, ...OPEN })).toEqual([
        expect.stringMatching(/audience \(aud\) check is off: a token your issuer made for any other service opens a seat here/),
        expect.stringMatching(/issuer \(iss\) check is off/),
      ]);
      // Off means off: a token with any aud and iss (or none) passes; on means a wrong one is refused.
      const open = createTokenVerifier({ secret: TEST_SECRET, ...OPEN, now });
      expect((await open.verify(await mintHs256(TEST_SECRET, { nowSec: NOW_SEC, audience: 'chat', issuer: 'x' }))).userId).toBe('user-1');
      const onlyIss = createTokenVerifier({ secret: TEST_SECRET, audience: false, issuer: 'https://id.test', now });
      expect(await refused(onlyIss.verify(await mintHs256(TEST_SECRET, { nowSec: NOW_SEC, audience: 'chat' })))).toEqual([
        U,
        'wrong_issuer',
      ]);
    });

    it('refuses a P-384 key: only P-256 is allowed for EC', async () => {
      const { publicKey } = await generateKeyPair('ES384', { extractable: true });
      const pem = await exportSPKI(publicKey);
      expect(() => createTokenVerifier({ ...OPEN, publicKey: pem })).toThrow(/only P-256/);
    });
  });

  it('gives room code a Forbidden (4011) error to refuse a proven identity', () => {
    const e = forbidden('banned');
    expect(e).toBeInstanceOf(AuthError);
    expect([e.closeCode, e.reasonCode, e.message]).toEqual([CloseCode.Forbidden, 'forbidden', 'banned']);
  });
});
