import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad flag or variable: the message says which and what is allowed. CLIs exit 2 on it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** node:util parseArgs, strict and without positionals, its errors turned into {@link UsageError}. */
export function parseStrictArgs<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * A numeric setting from its raw text, checked against [min, max]; `name` is how the user
 * wrote it (`--tick-rate`, `TICKWIRE_TICK_RATE`), so the error points at the right place.
 */
export function numberArg(name: string, raw: string, min: number, max: number, integer = true): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}
