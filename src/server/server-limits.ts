import { resolveRoomType, type ResolvedRoomType } from '../rooms/room-type';
import type { TickwireServerOptions } from './server-options';

/** The server's options with every default filled in and checked (see {@link TickwireServerOptions} for each). */
export interface ServerLimits {
  /** The room types, with the server's defaults for the rates, seats and resume window. */
  types: ResolvedRoomType[];
  /** Messages per second a client may send, and the burst above that. */
  messageRate: { perSecond: number; burst: number };
  maxBufferedBytes: number;
  maxQueuedBytes: number;
  maxPayloadBytes: number;
  port: number;
  host: string;
  maxConnections: number;
  headersTimeoutMs: number;
  joinTimeoutMs: number;
  idleTimeoutMs: number;
  closeTimeoutMs: number;
  readStallMs: number;
  drainMs: number;
  autoTick: boolean;
}

/**
 * Fill in the defaults and check the limits against each other; throws a RangeError that says
 * which setting to change when they do not fit.
 */
export function resolveServerLimits(options: TickwireServerOptions): ServerLimits {
  const tickRate = options.tickRate ?? 30;
  const resumeWindowMs = options.resumeWindowMs ?? 20_000;
  const types = options.roomTypes.map((t) =>
    resolveRoomType(t, { tickRate, sendRate: options.sendRate ?? tickRate, maxPlayers: options.maxPlayers ?? 32, resumeWindowMs }),
  );
  const topRate = Math.max(...types.map((t) => t.tickRate));
  const perSecond = options.messagesPerSecond ?? 4 * topRate + 20;
  const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024;
  const maxQueuedBytes = options.maxQueuedBytes ?? Math.max(1 << 20, 4 * maxBufferedBytes);
  // Snapshots stop at maxBufferedBytes, but the last one sent may take the queue past it by a
  // whole snapshot: a hard cap too close above would cut off clients that are merely slow.
  if (!(maxBufferedBytes > 0)) throw new RangeError(`maxBufferedBytes must be a positive number of bytes, got ${maxBufferedBytes}`);
  if (!(maxQueuedBytes >= 2 * maxBufferedBytes)) {
    throw new RangeError(
      `maxQueuedBytes (${maxQueuedBytes}) must be at least twice maxBufferedBytes (${maxBufferedBytes}): snapshots pause at maxBufferedBytes, and a client is only cut off (4008) well beyond that`,
    );
  }
  const limits: ServerLimits = {
    types,
    messageRate: { perSecond, burst: options.messageBurst ?? perSecond * 2 },
    maxBufferedBytes,
    maxQueuedBytes,
    maxPayloadBytes: options.maxPayloadBytes ?? 1024,
    port: options.port ?? 8080,
    host: options.host ?? '0.0.0.0',
    maxConnections: options.maxConnections ?? 5000,
    headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
    joinTimeoutMs: options.joinTimeoutMs ?? 5000,
    idleTimeoutMs: options.idleTimeoutMs ?? 15000,
    closeTimeoutMs: options.closeTimeoutMs ?? 2000,
    readStallMs: options.readStallMs ?? 8000,
    drainMs: options.drainMs ?? 0,
    autoTick: options.autoTick ?? true,
  };
  if (!(limits.readStallMs > limits.idleTimeoutMs / 3)) {
    throw new RangeError(
      `readStallMs (${limits.readStallMs}) must be more than idleTimeoutMs / 3 (${limits.idleTimeoutMs / 3}): heartbeats go that often, and a reading client must have time to answer one`,
    );
  }
  if (!(limits.drainMs >= 0)) throw new RangeError(`drainMs must be ≥ 0 ms, got ${limits.drainMs}`);
  return limits;
}
