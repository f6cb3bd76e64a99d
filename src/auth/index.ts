export { AuthError, forbidden, unauthenticated, type AuthReason } from './auth-error';
export { validateAuthOptions, type AuthOptions } from './auth-options';
export { createTokenVerifier, type Identity, type TokenVerifier } from './token-verifier';
