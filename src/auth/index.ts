export { AuthError, authUnavailable, forbidden, unauthenticated, type AuthReason } from './auth-error';
export {
  ASYMMETRIC_ALGORITHMS,
  authWarnings,
  DEFAULT_EXPIRY_NOTICE_SEC,
  isJwksUrl,
  MIN_SECRET_BYTES,
  SECRET_ALGORITHMS,
  validateAuthOptions,
  type AuthOptions,
} from './auth-options';
export { createTokenVerifier, type Identity, type TokenVerifier } from './token-verifier';
