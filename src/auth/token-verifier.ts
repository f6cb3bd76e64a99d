import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { MAX_TOKEN_LENGTH } from '../../shared/protocol/control-messages';
import { ASYMMETRIC_ALGORITHMS, isJwksUrl, SECRET_ALGORITHMS, validateAuthOptions, type AuthOptions } from './auth-options';
import { authUnavailable, unauthenticated, type AuthError } from './auth-error';

/** Who a verified token says the player is. */
export interface Identity {
  /** The token's `sub`. */
  userId: string;
  /** Every verified claim (frozen). */
  claims: Readonly<Record<string, unknown>>;
  /** The token's `exp`, seconds since the epoch, if it has one. */
  expiresAt?: number;
}

/** Turns a bearer token into an {@link Identity}, or throws an {@link AuthError}. */
export interface TokenVerifier {
  /**
   * Resolves to the identity, or rejects with an {@link AuthError}: 4010 for a token that proves
   * nothing, 4015 when the key source could not be reached; never another error.
   */
  verify(token: string | undefined): Promise<Identity>;
  /** Release timers or caches, if any (none of the built-in key sources holds any). */
  close?(): void;
}

/** Leeway for `exp` and `nbf` when the options give none, seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
/** Longest accepted `sub`, characters. */
const MAX_SUBJECT_LENGTH = 256;
/** A JWKS file is looked at again (stat, and re-read if changed or a kid is unknown) at most this often, ms. */
const JWKS_FILE_RECHECK_MS = 1000;
/** Default least time between two fetches of a JWKS URL for unknown key ids, ms. */
const JWKS_COOLDOWN_MS = 30_000;
/** A JWKS fetch that takes longer fails (the join is refused, retryably), ms. */
const JWKS_TIMEOUT_MS = 5000;
/** A fetched JWKS is refetched anyway after this long, ms (10 min, jose's default). */
const JWKS_MAX_AGE_MS = 10 * 60_000;

/** The verification key, or a key set, as jose takes it. */
type KeySource = Uint8Array | KeyObject | JWTVerifyGetKey;

/**
 * The JWKS URL failed (network, timeout, not 200, not a key set): the server's problem, not the
 * token's, so it gets its own reason rather than "malformed".
 */
class KeySourceUnavailable extends Error {
  constructor(cause: unknown) {
    super('the JWKS could not be fetched', { cause });
  }
}

/**
 * Make a verifier for one key source (see {@link AuthOptions}). Bad options, an unreadable PEM
 * key or an unreadable JWKS file throw at once, with a sentence that says what to change.
 *
 * ```ts
 * const verifier = createTokenVerifier({ secret: process.env.JWT_SECRET, audience: 'my-game' });
 * const { userId } = await verifier.verify(token); // or rejects with AuthError (4010)
 * ```
 */
export function createTokenVerifier(options: AuthOptions): TokenVerifier {
  validateAuthOptions(options);
  const { key, algorithms } = keySource(options);
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    // validateAuthOptions made both a string or false (off on purpose): false checks nothing.
    audience: options.audience || undefined,
    issuer: options.issuer || undefined,
    clockTolerance: options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
  };
  const now = options.now;
  return {
    async verify(token) {
      if (token === undefined || token === '')
        throw unauthenticated('missing', 'authentication required: send a token (JOIN.token or ?token=)');
      // Before any parsing: a huge token costs base64 and JSON work for nothing.
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
        throw unauthenticated('malformed', `token must be a string of at most ${MAX_TOKEN_LENGTH} characters`);
      let payload: JWTPayload;
      try {
        const opts = now ? { ...verifyOptions, currentDate: new Date(now()) } : verifyOptions;
        // One call site for three key shapes; jose's overloads cannot take the union.
        ({ payload } = await jwtVerify(token, key as Uint8Array, opts));
      } catch (err) {
        throw mapJoseError(err);
      }
      const sub = payload.sub;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
        throw unauthenticated('no_subject', `token has no usable "sub" claim (1-${MAX_SUBJECT_LENGTH} characters)`);
      }
      return { userId: sub, claims: Object.freeze({ ...payload }), expiresAt: payload.exp };
    },
  };
}

function keySource(o: AuthOptions): { key: KeySource; algorithms: string[] } {
  if (o.secret !== undefined) return { key: new TextEncoder().encode(o.secret), algorithms: o.algorithms ?? [...SECRET_ALGORITHMS] };
  if (o.publicKey !== undefined) {
    let key: KeyObject;
    try {
      key = createPublicKey(o.publicKey);
    } catch (err) {
      throw new Error(
        `the auth public key is not a readable PEM SPKI key (${(err as Error).message}): export it with \`openssl pkey -pubout\``,
        { cause: err },
      );
    }
    const usable = algorithmsFor(key);
    const algorithms = o.algorithms ? o.algorithms.filter((a) => usable.includes(a)) : usable;
    if (algorithms.length === 0)
      throw new Error(
        `auth algorithms ${o.algorithms!.join(', ')} cannot be verified with this ${key.asymmetricKeyType} key: it verifies ${usable.join(', ')}`,
      );
    return { key, algorithms };
  }
  const where = o.jwks!;
  const algorithms = o.algorithms ?? [...ASYMMETRIC_ALGORITHMS];
  if (isJwksUrl(where)) {
    let url: URL;
    try {
      url = new URL(where);
    } catch (err) {
      throw new Error(`the auth JWKS URL "${where}" is not a valid URL`, { cause: err });
    }
    return { key: jwksUrl(url, o.jwksCooldownMs ?? JWKS_COOLDOWN_MS), algorithms };
  }
  return { key: jwksFile(where, o.now ?? Date.now), algorithms };
}

/** The algorithms a public key can verify, from its type (an RSA key: RS256 and PS256). */
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'PS256'];
    case 'rsa-pss':
      return ['PS256'];
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return ['ES256'];
      throw new Error(`the auth public key is on curve ${key.asymmetricKeyDetails?.namedCurve}: only P-256 (ES256) is supported`);
    case 'ed25519':
      return ['EdDSA'];
    default:
      throw new Error(
        `the auth public key is of type ${key.asymmetricKeyType}: use RSA (RS256, PS256), EC P-256 (ES256) or Ed25519 (EdDSA)`,
      );
  }
}

/**
 * A JWKS URL, fetched on first use, cached for {@link JWKS_MAX_AGE_MS} and refetched when a
 * token names an unknown key id (at most once per `cooldownMs`, so made-up key ids cannot turn
 * into a flood of fetches). jose does the fetching; this only tells its failures apart.
 */
function jwksUrl(url: URL, cooldownMs: number): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, { cooldownDuration: cooldownMs, timeoutDuration: JWKS_TIMEOUT_MS, cacheMaxAge: JWKS_MAX_AGE_MS });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      const code = joseCode(err);
      if (code === errors.JWKSNoMatchingKey.code || code === errors.JWKSMultipleMatchingKeys.code) throw err;
      // Network error, timeout, a status other than 200, not JSON, not a key set.
      throw new KeySourceUnavailable(err);
    }
  };
}

/** A JWKS file as loaded, with the stat it was loaded at. */
interface LoadedJwks {
  getKey: JWTVerifyGetKey;
  stamp: string;
}

/** Identifies a version of a file without reading it: inode, size, mtime ("missing" if gone). */
function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function loadJwksFile(path: string): LoadedJwks {
  const stamp = fileStamp(path); // before the read: a write in between shows as a change next time
  return { getKey: createLocalJWKSet(JSON.parse(readFileSync(path, 'utf8'))), stamp };
}

/**
 * A JWKS file, so an operator rotates keys by rewriting it, with no restart. At most once a
 * second it is stat'ed and re-read if it changed (so a removed key stops verifying), and it is
 * re-read when a token names a key id it lacks (so a new key works even if the file system's
 * mtime did not move). A file that fails to load (half-written, gone) keeps the last good set.
 * Reads are synchronous: a small file, at most one stat and one read a second.
 */
function jwksFile(path: string, clock: () => number): JWTVerifyGetKey {
  let current: LoadedJwks;
  try {
    current = loadJwksFile(path);
  } catch (err) {
    throw new Error(
      `cannot load the auth JWKS file "${path}" (${(err as Error).message}): give a JSON file {"keys": [...]} or an http(s):// URL`,
      { cause: err },
    );
  }
  let checkedAt = clock();
  let loadedAt = checkedAt;
  const reload = (): boolean => {
    checkedAt = loadedAt = clock();
    try {
      current = loadJwksFile(path);
      return true;
    } catch {
      return false;
    }
  };
  return async (header, token) => {
    if (clock() - checkedAt >= JWKS_FILE_RECHECK_MS) {
      checkedAt = clock();
      if (fileStamp(path) !== current.stamp) reload();
    }
    try {
      return await current.getKey(header, token);
    } catch (err) {
      if (joseCode(err) !== errors.JWKSNoMatchingKey.code || clock() - loadedAt < JWKS_FILE_RECHECK_MS || !reload()) throw err;
      return current.getKey(header, token);
    }
  };
}

/** A jose error's `code` (stable across versions, unlike its message), or undefined. */
function joseCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** jose's errors → our reasons. Anything else is a malformed token. */
function mapJoseError(err: unknown): AuthError {
  if (err instanceof KeySourceUnavailable) return authUnavailable('the key set could not be fetched; try again', err);
  const claim = err instanceof errors.JWTClaimValidationFailed ? err.claim : undefined;
  switch (joseCode(err)) {
    case errors.JWTExpired.code:
      return unauthenticated('expired', 'token expired', err);
    case errors.JWTClaimValidationFailed.code:
      if (claim === 'nbf') return unauthenticated('not_yet_valid', 'token is not valid yet (nbf)', err);
      if (claim === 'aud') return unauthenticated('wrong_audience', 'token is for another audience', err);
      if (claim === 'iss') return unauthenticated('wrong_issuer', 'token is from another issuer', err);
      return unauthenticated('malformed', `token claim "${claim}" is invalid`, err);
    case errors.JWSSignatureVerificationFailed.code:
      return unauthenticated('bad_signature', 'token signature does not verify', err);
    case errors.JWKSNoMatchingKey.code:
    case errors.JWKSMultipleMatchingKeys.code:
      return unauthenticated('unknown_key', 'token is signed with a key this server does not know', err);
    case errors.JOSEAlgNotAllowed.code:
      return unauthenticated('malformed', 'token algorithm is not allowed', err);
    default:
      // JWSInvalid, JWTInvalid, JOSENotSupported (e.g. an unknown crit header), a key of the wrong type...
      return unauthenticated('malformed', 'token is malformed', err);
  }
}
