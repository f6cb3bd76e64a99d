import { readFileSync } from 'node:fs';
import { DEFAULT_EXPIRY_NOTICE_SEC, type AuthOptions } from '../auth/auth-options';
import { createTokenVerifier } from '../auth/token-verifier';
import { UsageError } from './cli-args';
import type { ServerCliOptions } from './server-cli-settings';

/**
 * The auth options the flags describe, or undefined when no key source is set (auth off).
 * Reads the PEM file and loads the key source once, so a missing file, a bad key or an
 * unreadable JWKS file is a {@link UsageError} naming the flag at startup, not a crash later.
 */
export function authOptionsFromCli(opts: ServerCliOptions): AuthOptions | undefined {
  let publicKey: string | undefined;
  if (opts.authPublicKeyFile !== undefined) {
    try {
      publicKey = readFileSync(opts.authPublicKeyFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--auth-public-key: cannot read "${opts.authPublicKeyFile}": ${(err as Error).message}`);
    }
  }
  if (opts.authSecret === undefined && publicKey === undefined && opts.authJwks === undefined) return undefined;
  const auth: AuthOptions = {
    secret: opts.authSecret,
    publicKey,
    jwks: opts.authJwks,
    audience: opts.authAudience === 'off' ? false : opts.authAudience,
    issuer: opts.authIssuer === 'off' ? false : opts.authIssuer,
    expiryNoticeSec: opts.authExpiryNoticeS === DEFAULT_EXPIRY_NOTICE_SEC ? undefined : opts.authExpiryNoticeS,
  };
  for (const k of Object.keys(auth) as (keyof AuthOptions)[]) if (auth[k] === undefined) delete auth[k];
  const flag = auth.secret !== undefined ? '--auth-secret' : auth.publicKey !== undefined ? '--auth-public-key' : '--auth-jwks';
  try {
    // Validates the options and parses the key (or reads the JWKS file); a URL is not fetched.
    createTokenVerifier(auth).close?.();
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  return auth;
}
