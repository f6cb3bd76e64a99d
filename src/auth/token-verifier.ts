import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { MAX_TOKEN_LENGTH } from '../../shared/protocol/control-messages';
import { ASYMMETRIC_ALGORITHMS, validateAuthOptions, type AuthOptions } from './auth-options';
import { unauthenticated, type AuthError } from './auth-error';

/** Who a verified token says the player is. */
export interface Identity {
  /** The token's `sub`. */
  userId: string;
  /** Every verified claim. */
  claims: Readonly<Record<string, unknown>>;
  /** The token's `exp`, seconds since the epoch, if it has one. */
  expiresAt?: number;
}

/** Turns a bearer token into an {@link Identity}, or throws an {@link AuthError}. */
export interface TokenVerifier {
  verify(token: string | undefined): Promise<Identity>;
  /** Release timers or caches, if any. */
  close?(): void;
}

/** Longest accepted `sub`, characters. */
const MAX_SUBJECT_LENGTH = 256;
/** A JWKS file is re-read for an unknown key id at most this often, ms. */
const JWKS_FILE_REREAD_MS = 1000;

/** The verification key, or a key set, as jose takes it. */
type KeySource = Uint8Array | KeyObject | JWTVerifyGetKey;

/**
 * Make a verifier for one key source (see {@link AuthOptions}); bad options throw at once.
 *
 * ```ts
 * const verifier = createTokenVerifier({ secret: process.env.JWT_SECRET, audience: 'my-game' });
 * const { userId } = await verifier.verify(token); // or throws AuthError (4010)
 * ```
 */
export function createTokenVerifier(options: AuthOptions): TokenVerifier {
  validateAuthOptions(options);
  const { key, algorithms } = keySource(options);
  const verifyOptions: JWTVerifyOptions = {
    algorithms: options.algorithms ?? algorithms,
    audience: options.audience,
    issuer: options.issuer,
    clockTolerance: options.clockToleranceSec ?? 5,
  };
  const now = options.now;
  return {
    async verify(token) {
      if (token === undefined || token === '') throw unauthenticated('missing', 'authentication required: send a token (JOIN.token or ?token=)');
      if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('malformed', `token is over ${MAX_TOKEN_LENGTH} characters`);
      let payload: JWTPayload;
      try {
        const opts = now ? { ...verifyOptions, currentDate: new Date(now()) } : verifyOptions;
        ({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], opts));
      } catch (err) {
        throw mapJoseError(err);
      }
      const sub = payload.sub;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
        throw unauthenticated('no_subject', `token has no usable "sub" claim (1-${MAX_SUBJECT_LENGTH} characters)`);
      }
      return { userId: sub, claims: payload as Record<string, unknown>, expiresAt: payload.exp };
    },
  };
}

function keySource(o: AuthOptions): { key: KeySource; algorithms: string[] } {
  if (o.secret !== undefined) return { key: new TextEncoder().encode(o.secret), algorithms: ['HS256'] };
  if (o.publicKey !== undefined) {
    const key = createPublicKey(o.publicKey);
    return { key, algorithms: algorithmsFor(key) };
  }
  const where = o.jwks!;
  if (/^https?:\/\//i.test(where)) {
    const remote = createRemoteJWKSet(new URL(where), { cooldownDuration: o.jwksCooldownMs ?? 30_000, timeoutDuration: 5000, cacheMaxAge: 10 * 60_000 });
    return { key: remote, algorithms: [...ASYMMETRIC_ALGORITHMS] };
  }
  return { key: jwksFile(where, o.now ?? Date.now), algorithms: [...ASYMMETRIC_ALGORITHMS] };
}

/** The algorithms a public key can verify, from its type (an RSA key: RS* and PS*). */
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? ['ES384'] : ['ES256'];
    case 'ed25519':
      return ['EdDSA'];
    default:
      throw new Error(`auth public key of type ${key.asymmetricKeyType} is not supported: use RSA, EC P-256/P-384 or Ed25519`);
  }
}

/**
 * A JWKS file, re-read when a token names a key id it lacks (at most once a second): an
 * operator rotates keys by writing the new set to the file, with no restart.
 */
function jwksFile(path: string, clock: () => number): JWTVerifyGetKey {
  const load = () => createLocalJWKSet(JSON.parse(readFileSync(path, 'utf8')));
  let set = load();
  let loadedAt = clock();
  return async (header, token) => {
    try {
      return await set(header, token);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || clock() - loadedAt < JWKS_FILE_REREAD_MS) throw err;
      try {
        set = load();
      } catch {
        throw err; // a half-written file: keep the old set, refuse this token
      } finally {
        loadedAt = clock();
      }
      return set(header, token);
    }
  };
}

/** jose's error codes → our reasons. Anything unknown is a malformed token. */
function mapJoseError(err: unknown): AuthError {
  const e = err as { code?: string; claim?: string; message?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return unauthenticated('expired', 'token expired', err);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf') return unauthenticated('not_yet_valid', 'token is not valid yet (nbf)', err);
      if (e.claim === 'aud') return unauthenticated('wrong_audience', 'token is for another audience', err);
      if (e.claim === 'iss') return unauthenticated('wrong_issuer', 'token is from another issuer', err);
      return unauthenticated('malformed', `token claim "${e.claim}" is invalid`, err);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthenticated('bad_signature', 'token signature does not verify', err);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return unauthenticated('unknown_key', 'token is signed with a key this server does not know', err);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return unauthenticated('key_source_unavailable', 'the key set could not be fetched; try again', err);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return unauthenticated('malformed', 'token algorithm is not allowed', err);
    default:
      // A network failure fetching a JWKS has no jose code.
      if (e.code === undefined && err instanceof TypeError) return unauthenticated('key_source_unavailable', 'the key set could not be fetched; try again', err);
      return unauthenticated('malformed', 'token is malformed', err);
  }
}
