import { CloseCode } from '../../shared/protocol/close-codes';

/** Why a token was refused: stable strings for logs, tests and dashboards. */
export type AuthReason =
  | 'missing'
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'no_subject'
  | 'unknown_key'
  /** The JWKS URL could not be fetched: the server's trouble, the token may be fine. */
  | 'key_source_unavailable'
  | 'forbidden';

/**
 * A refused identity. `closeCode` is what the client is closed with: 4010 Unauthenticated
 * when the token proves nothing here, 4011 Forbidden when a proven identity is refused, 4015
 * AuthUnavailable when the token could not be checked now (the key source is unreachable). The
 * message is safe to send to the client: it never quotes key material or the token.
 */
export class AuthError extends Error {
  constructor(
    readonly closeCode: typeof CloseCode.Unauthenticated | typeof CloseCode.Forbidden | typeof CloseCode.AuthUnavailable,
    readonly reasonCode: AuthReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
  }
}

/** 4010: the token proves no identity (missing, malformed, bad signature, expired...). */
export function unauthenticated(
  reasonCode: Exclude<AuthReason, 'forbidden' | 'key_source_unavailable'>,
  message: string,
  cause?: unknown,
): AuthError {
  return new AuthError(CloseCode.Unauthenticated, reasonCode, message, { cause });
}

/**
 * 4015: the key source could not be reached, so the token could not be checked. Transient:
 * the client should try again (the SDK does, inside the resume window).
 */
export function authUnavailable(message: string, cause?: unknown): AuthError {
  return new AuthError(CloseCode.AuthUnavailable, 'key_source_unavailable', message, { cause });
}

/**
 * 4011: a proven identity that may not join. Room code may throw this from `onAuth`; the
 * message is sent to the client as the close reason, so keep it short and free of secrets.
 */
export function forbidden(message: string): AuthError {
  return new AuthError(CloseCode.Forbidden, 'forbidden', message);
}
