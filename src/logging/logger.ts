import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The server's structured logger: pino, JSON lines on stdout by default (pipe through
 * `npx pino-pretty` to read them). `destination` lets tests capture lines.
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino({ name: 'tickwire', level, base: { pid: process.pid } }, destination);
}
