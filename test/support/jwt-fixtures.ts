import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

/** A 32-byte test secret for HS256. */
export const TEST_SECRET = 'tickwire-test-secret-0123456789abcdef';

export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  /** SPKI PEM of the public key. */
  pem: string;
  /** Public JWK with kid, alg and use. */
  jwk: JWK;
}

export async function makeKey(alg: 'RS256' | 'ES256', kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, pem: await exportSPKI(publicKey), jwk };
}

export interface MintOptions {
  /** Seconds since the epoch used for iat (default now). */
  nowSec?: number;
  /** Lifetime, seconds (default 3600); a negative one makes an expired token. */
  ttlSec?: number;
  notBeforeSec?: number;
  audience?: string;
  issuer?: string;
  subject?: string | null;
}

function builder(claims: JWTPayload, o: MintOptions): SignJWT {
  const now = o.nowSec ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setIssuedAt(now).setExpirationTime(now + (o.ttlSec ?? 3600));
  if (o.subject !== null) jwt.setSubject(o.subject ?? 'user-1');
  if (o.notBeforeSec !== undefined) jwt.setNotBefore(o.notBeforeSec);
  if (o.audience) jwt.setAudience(o.audience);
  if (o.issuer) jwt.setIssuer(o.issuer);
  return jwt;
}

/** An HS256 token signed with `secret`. */
export function mintHs256(secret: string, o: MintOptions = {}, claims: JWTPayload = {}): Promise<string> {
  return builder(claims, o).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

/** A token signed with a test key pair, its kid in the header. */
export function mintWithKey(key: TestKey, o: MintOptions = {}, claims: JWTPayload = {}): Promise<string> {
  return builder(claims, o).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** A JWKS over real HTTP on 127.0.0.1, port 0, whose key set can be swapped (key rotation). */
export async function startJwksServer(keys: TestKey[]) {
  let body = JSON.stringify({ keys: keys.map((k) => k.jwk) });
  let requests = 0;
  const http = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setKeys(next: TestKey[]): void {
      body = JSON.stringify({ keys: next.map((k) => k.jwk) });
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
