import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The server's structured logger: pino, JSON lines on stdout by default (pipe through
 * `npx pino-pretty` to read them). `destination` lets tests capture lines.
 *
 * stdout is written synchronously. pino's default is asynchronous, and a process.exit() with a
 * write in flight lets pino's exit-time flush overtake it, so the last lines came out of order
 * (seen in CI: 'stopped' before 'shutting down'). The server logs little (warnings are sampled
 * per address), so a blocking write per line costs nothing that matters.
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino({ name: 'tickwire', level, base: { pid: process.pid } }, destination ?? pino.destination({ dest: 1, sync: true }));
}
