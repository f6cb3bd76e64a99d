/**
 * What rooms and transports share about sending a message: how it must travel
 * ({@link Delivery}) and how a two-part message becomes one buffer ({@link joinParts}).
 * Rooms decide the delivery and hand over parts; transports honour them. Living here rather
 * than in `src/transport/` keeps `src/rooms/` free of any transport import (an eslint rule
 * enforces it).
 */

/** How a message must travel. WebSocket delivers both reliably and in order. */
export const Delivery = {
  /** Control messages: joins, roster, errors, notices. Must arrive, in order. */
  Reliable: 0,
  /** Snapshots: disposable, superseded by the next one; may be dropped or reordered. */
  Unreliable: 1,
} as const;
export type Delivery = (typeof Delivery)[keyof typeof Delivery];

/**
 * `head` then `body` in one new buffer: for a transport that cannot send a message in parts
 * (a datagram is one buffer). Costs a copy of the body per client, which the `ws` adapter avoids.
 */
export function joinParts(head: Uint8Array, body: Uint8Array): Uint8Array {
  const whole = new Uint8Array(head.length + body.length);
  whole.set(head);
  whole.set(body, head.length);
  return whole;
}
