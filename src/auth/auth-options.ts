/**
 * How the server proves who a player is: a JWT, checked with exactly one key source.
 * Off unless one is set; then every JOIN needs a valid token (in JOIN.token or the WebSocket
 * URL's `token` query parameter), and its `sub` becomes the player's user id.
 */
export interface AuthOptions {
  /** HS256 shared secret, at least 32 bytes (the issuer signs with the same secret). */
  secret?: string;
  /** A PEM public key (SPKI, `-----BEGIN PUBLIC KEY-----`) for RS256, ES256, PS256 or EdDSA tokens. */
  publicKey?: string;
  /**
   * A JWKS: a file path (re-read when a token names a key id the file did not have, at most
   * once a second, so keys rotate by rewriting the file) or an http(s) URL (fetched, cached,
   * and refetched when a token names an unknown key id).
   */
  jwks?: string;
  /**
   * A JWKS URL is refetched for an unknown key id at most this often, ms (default 30000): a
   * flood of tokens with made-up key ids cannot turn into a flood of fetches.
   */
  jwksCooldownMs?: number;
  /**
   * Accepted `alg` values. Default: HS256 for a secret; for a PEM key, those its type can
   * verify (RSA: RS256 and PS256; P-256: ES256; Ed25519: EdDSA); for a JWKS, all four.
   * A secret allows only HS256 and a public key or JWKS only {@link ASYMMETRIC_ALGORITHMS}.
   */
  algorithms?: string[];
  /**
   * The `aud` every token must carry: this game's name at the issuer. Required: a token the
   * issuer made for another service (a chat app, an admin tool) would otherwise open a seat
   * here. `false` turns the check off on purpose; the server then logs a warning at start.
   */
  audience?: string | false;
  /**
   * The `iss` every token must carry (the issuer's URL or name). Required: without it, any
   * issuer that shares the key source (a shared secret, a multi-tenant JWKS) could mint
   * players here. `false` turns the check off on purpose; the server then logs a warning at start.
   */
  issuer?: string | false;
  /**
   * How long before a session's token expires the server tells the client (NOTICE
   * 'token-expiring'), seconds (default 60; a token with less than twice this left when it
   * arrives is told at half its remaining life). The client answers with TOKEN_REFRESH; with
   * no fresh token by `exp` + `clockToleranceSec` the session is closed 4014.
   */
  expiryNoticeSec?: number;
  /** Leeway for `exp` and `nbf`, seconds (default 5): clocks on two machines never agree exactly. */
  clockToleranceSec?: number;
  /** Time source for `exp`/`nbf`, ms since the epoch (default Date.now); tests fix it. */
  now?: () => number;
}

/**
 * Algorithms allowed with a public key or JWKS. `none` and HMAC never are: an HS256 token
 * "signed" with the public key (which anyone has) must not verify (algorithm confusion).
 */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** The one algorithm allowed with a shared secret. */
export const SECRET_ALGORITHMS = ['HS256'] as const;

/** Shortest HS256 secret accepted, bytes: shorter ones can be brute-forced offline from one token. */
export const MIN_SECRET_BYTES = 32;

/** Default lead of the 'token-expiring' notice, seconds. */
export const DEFAULT_EXPIRY_NOTICE_SEC = 60;

/** Check a configuration; throws a sentence that says what to change. */
export function validateAuthOptions(o: AuthOptions): void {
  const sources = [o.secret !== undefined, o.publicKey !== undefined, o.jwks !== undefined].filter(Boolean).length;
  if (sources !== 1)
    throw new Error(`auth needs exactly one key source (secret, publicKey or jwks), got ${sources}: set one, or leave auth off`);
  if (o.expiryNoticeSec !== undefined && !(Number.isFinite(o.expiryNoticeSec) && o.expiryNoticeSec >= 0 && o.expiryNoticeSec <= 3600))
    throw new Error(`auth expiryNoticeSec must be 0-3600 s (default ${DEFAULT_EXPIRY_NOTICE_SEC}), got ${o.expiryNoticeSec}`);
  if (o.secret !== undefined && new TextEncoder().encode(o.secret).length < MIN_SECRET_BYTES) {
    throw new Error(
      `the auth secret must be at least ${MIN_SECRET_BYTES} bytes (a random 32-byte secret, e.g. \`openssl rand -base64 32\`)`,
    );
  }
  if (o.publicKey !== undefined && !/-----BEGIN PUBLIC KEY-----/.test(o.publicKey)) {
    throw new Error(
      'the auth public key must be a PEM SPKI key (-----BEGIN PUBLIC KEY-----): `openssl pkey -pubout -in private.pem` makes one',
    );
  }
  if (o.jwks !== undefined) {
    if (o.jwks.trim() === '') throw new Error('the auth JWKS must be a file path or an http(s):// URL, got an empty string');
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(o.jwks) && !isJwksUrl(o.jwks))
      throw new Error(`the auth JWKS must be a file path or an http(s):// URL, got "${o.jwks}"`);
  }
  if (o.jwksCooldownMs !== undefined && !(Number.isFinite(o.jwksCooldownMs) && o.jwksCooldownMs >= 0)) {
    throw new Error(`auth jwksCooldownMs must be a number of ms ≥ 0 (default 30000), got ${o.jwksCooldownMs}`);
  }
  if (o.algorithms) {
    const allowed: readonly string[] = o.secret !== undefined ? SECRET_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
    if (o.algorithms.length === 0)
      throw new Error(`auth algorithms must not be empty: leave it unset, or list some of ${allowed.join(', ')}`);
    for (const alg of o.algorithms)
      if (!allowed.includes(alg))
        throw new Error(`auth algorithm "${alg}" is not allowed with this key source; allowed: ${allowed.join(', ')}`);
  }
  if (o.clockToleranceSec !== undefined && !(o.clockToleranceSec >= 0 && o.clockToleranceSec <= 300)) {
    throw new Error(`auth clockToleranceSec must be 0-300 s, got ${o.clockToleranceSec}`);
  }
  // Last: a wrong key source or secret is the more basic mistake, and is reported first.
  for (const [claim, value] of [
    ['audience', o.audience],
    ['issuer', o.issuer],
  ] as const) {
    if (value === false) continue;
    if (typeof value !== 'string' || value.trim() === '') {
      const jwt = claim === 'audience' ? 'aud' : 'iss';
      throw new Error(
        `auth needs an ${claim}: set auth.${claim} (--auth-${claim}) to the "${jwt}" your issuer puts in this game's tokens, or to false (--auth-${claim} off) to accept any ${jwt} on purpose`,
      );
    }
  }
}

/**
 * Warnings for checks turned off on purpose (`audience: false`, `issuer: false`), one sentence
 * each naming the risk; the server logs them at start.
 */
export function authWarnings(o: AuthOptions): string[] {
  const out: string[] = [];
  if (o.audience === false)
    out.push('auth: the audience (aud) check is off: a token your issuer made for any other service opens a seat here');
  if (o.issuer === false)
    out.push('auth: the issuer (iss) check is off: any issuer that can sign with this key source can mint players here');
  return out;
}

/** Whether a `jwks` setting is a URL to fetch (else it is a file path). */
export function isJwksUrl(jwks: string): boolean {
  return /^https?:\/\//i.test(jwks);
}
