import type { PlayerSlot, Room } from '../rooms/room';

/**
 * Whether a session's client is alive and reading: when it was last heard from, when it last
 * answered a heartbeat probe, the round trip of that answer, and how long its link has been
 * backed up. All times are ms on the host clock. It decides; the session probes and closes.
 */
export class SessionLiveness {
  /** Last time anything came from the client: a message or a heartbeat answer, ms. */
  lastHeardAt: number;
  /** Last time the client answered a heartbeat probe, ms: proof that it reads what we send. */
  lastAnsweredAt: number;
  /** Last time an INPUT came, ms (-Infinity: never). */
  lastInputAt = Number.NEGATIVE_INFINITY;
  /** Since when more than the backpressure threshold has been queued for it, ms (NaN: not now). */
  backedUpSince = Number.NaN;
  /** The last heartbeat's round trip, ms (NaN before the first answer). */
  rttMs = Number.NaN;
  /** When the newest probe went out, ms (-Infinity: none yet). */
  private probedAt = -Infinity;

  /** @param now when the link opened, ms: it counts as heard from and answering then */
  constructor(now: number) {
    this.lastHeardAt = now;
    this.lastAnsweredAt = now;
  }

  /** The client answered a probe at `now`. */
  answered(now: number): void {
    // The answer to the newest probe times the round trip (a heartbeat, not a game message).
    if (this.lastAnsweredAt < this.probedAt) this.rttMs = now - this.probedAt;
    this.lastHeardAt = this.lastAnsweredAt = now;
  }

  /**
   * True when a probe is due at `now` (none in the last `intervalMs`), and counts it as sent.
   * Probes go whether or not the client talks: its answer proves it reads what we send, which
   * its own messages do not. Browsers answer WebSocket pings at the protocol level even in
   * background tabs, where timers (and so app messages) are throttled to once a minute, so a
   * live but hidden player is never mistaken for a dead one.
   */
  probeDue(now: number, intervalMs: number): boolean {
    if (now - this.probedAt < intervalMs) return false;
    this.probedAt = now;
    return true;
  }

  /**
   * Why this client counts as not reading, or undefined: more than `maxBufferedBytes` queued
   * for it (`bufferedAmount` now) for `stallMs` on end (snapshots are being skipped all that
   * time), or no answer to heartbeats for `answerMs` although it still sends, or inputs that
   * acknowledge a snapshot `stallMs` old in its seat's room.
   */
  stall(
    now: number,
    bufferedAmount: number,
    maxBufferedBytes: number,
    stallMs: number,
    answerMs: number,
    room: Room | undefined,
    slot: PlayerSlot<unknown> | undefined,
  ): string | undefined {
    if (bufferedAmount > maxBufferedBytes) {
      if (Number.isNaN(this.backedUpSince)) this.backedUpSince = now;
      else if (now - this.backedUpSince >= stallMs) return `too slow: over ${maxBufferedBytes} bytes queued unread for ${stallMs} ms`;
    } else this.backedUpSince = Number.NaN;
    if (now - this.lastAnsweredAt > answerMs) return `not reading: no answer to heartbeats for ${answerMs} ms`;
    // Inputs acknowledge the newest snapshot held: one that keeps sending inputs while its
    // acknowledged tick stands still is not reading what we send. (A hidden tab sends no
    // inputs, so its old ack says nothing and is left alone.)
    if (room && slot && now - this.lastInputAt < 1000 && slot.ackTick > 0) {
      const behindMs = ((room.tick - slot.ackTick) * 1000) / room.type.tickRate;
      if (behindMs >= stallMs) return `not reading: inputs acknowledge a snapshot ${Math.round(behindMs)} ms old`;
    }
    return undefined;
  }
}
