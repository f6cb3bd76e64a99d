import { randomBytes } from 'node:crypto';

/** Random bytes in a resume token: 144 bits, beyond guessing (the sessions issue asks ≥ 128). */
const RESUME_TOKEN_BYTES = 18;

/** A fresh resume token: 24 characters of base64url from the OS's CSPRNG. */
export function newResumeToken(): string {
  return randomBytes(RESUME_TOKEN_BYTES).toString('base64url');
}
