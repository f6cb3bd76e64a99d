import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A test secret for HS256, at least 32 bytes. */
export const TEST_SECRET = 'tickwire-test-secret-0123456789abcdef';

/** Algorithms {@link makeKey} can make a key pair for. */
export type TestAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface TestKey {
  kid: string;
  alg: TestAlg;
  privateKey: CryptoKey;
  /** SPKI PEM of the public key. */
  pem: string;
  /** Public JWK with kid, alg and use. */
  jwk: JWK;
}

/** A fresh key pair (RSA keys take ~50-200 ms to make: share them across tests where you can). */
export async function makeKey(alg: TestAlg, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, pem: await exportSPKI(publicKey), jwk };
}

export interface MintOptions {
  /** Seconds since the epoch used for iat (default: the real now). */
  nowSec?: number;
  /** Lifetime, seconds (default 3600); a negative one makes an expired token; null: no exp. */
  ttlSec?: number | null;
  notBeforeSec?: number;
  audience?: string;
  issuer?: string;
  /** The `sub` (default 'user-1'); null: no sub. */
  subject?: string | null;
}

function builder(claims: JWTPayload, o: MintOptions): SignJWT {
  const now = o.nowSec ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setIssuedAt(now);
  if (o.ttlSec !== null) jwt.setExpirationTime(now + (o.ttlSec ?? 3600));
  if (o.subject !== null) jwt.setSubject(o.subject ?? 'user-1');
  if (o.notBeforeSec !== undefined) jwt.setNotBefore(o.notBeforeSec);
  if (o.audience) jwt.setAudience(o.audience);
  if (o.issuer) jwt.setIssuer(o.issuer);
  return jwt;
}

/** An HS256 token signed with `secret`; `claims` are extra payload claims. */
export function mintHs256(secret: string, o: MintOptions = {}, claims: JWTPayload = {}): Promise<string> {
  return builder(claims, o).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

/** A token signed with a test key pair, its kid in the header (`kid: null` leaves it out). */
export function mintWithKey(
  key: TestKey,
  o: MintOptions = {},
  claims: JWTPayload = {},
  header: { kid?: string | null } = {},
): Promise<string> {
  const kid = header.kid === null ? undefined : (header.kid ?? key.kid);
  return builder(claims, o).setProtectedHeader({ alg: key.alg, kid }).sign(key.privateKey);
}

/** An unsecured token (`alg: none`, empty signature), which a verifier must always refuse. */
export function mintUnsigned(payload: JWTPayload): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

/** Write `keys` as a JWKS file (public JWKs only). */
export function writeJwksFile(path: string, keys: TestKey[]): void {
  writeFileSync(path, JSON.stringify({ keys: keys.map((k) => k.jwk) }));
}

export interface JwksServer {
  /** `http://127.0.0.1:PORT/.well-known/jwks.json` */
  url: string;
  /** How many requests the server has answered. */
  readonly requests: number;
  /** Serve another key set from now on (key rotation). */
  setKeys(keys: TestKey[]): void;
  /** Answer with this HTTP status and no key set (an outage), or 200 again. */
  setStatus(status: number): void;
  /** Stop listening (an outage: connections are refused), keeping the port for {@link start}. */
  stop(): Promise<void>;
  /** Listen again on the same port after {@link stop}. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A JWKS over real HTTP on 127.0.0.1, port 0, whose key set can be swapped (key rotation). */
export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let body = JSON.stringify({ keys: keys.map((k) => k.jwk) });
  let status = 200;
  let requests = 0;
  const http = createServer((_req, res) => {
    requests++;
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      http.closeAllConnections(); // jose's fetch keeps the socket alive
      http.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setKeys(next) {
      body = JSON.stringify({ keys: next.map((k) => k.jwk) });
    },
    setStatus(next) {
      status = next;
    },
    stop,
    start: () =>
      new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, '127.0.0.1', () => {
          http.off('error', reject);
          resolve();
        });
      }),
    close: () => (http.listening ? stop() : Promise.resolve()),
  };
}
