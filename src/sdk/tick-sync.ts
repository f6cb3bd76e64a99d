/**
 * The client's two clocks against the server's, in ticks:
 *
 * ```
 *  server ticks ──────────┬──────────┬──────────┬──────────┬──────────►
 *                         T          T+1        T+2        T+3
 *  server clock estimate  ▲ serverTickAt(now): pongs, best round trip, slewed, never backwards
 *  input clock                              ▲ inputTick: T + one-way + lead; inputs are stamped
 *                                             for this tick and arrive just before it runs
 *  playback clock  ▲ renderTick (SnapshotClock): behind the newest snapshot by the jitter buffer
 * ```
 *
 * The input clock (this class) runs ahead of the server by the one-way trip plus a small
 * cushion. The server reports in every snapshot how early the inputs arrived (the lead, ms:
 * least since the last snapshot); the clock runs up to {@link MAX_RATE_ADJUST} faster or slower
 * to hold that lead at a target sized from its own measured spread, and jumps only when far
 * off (a stalled tab, a resume). The spread is how far the 2nd percentile of recent leads sits
 * below their mean: upstream jitter, and losses (an input whose message was lost comes one
 * message later, in the next one's redundant copy), so the cushion covers both.
 */
export interface TickSyncOptions {
  /** Least lead to aim for, ms (default 4): the 2nd percentile of leads is steered here. */
  minLeadMs?: number;
  /** Multiplies the measured spread (mean − 2nd percentile of leads) for headroom (default 1.25). */
  jitterFactor?: number;
}

/** Most the input clock runs faster or slower than real time while steering, as a share. */
export const MAX_RATE_ADJUST = 0.08;
/** Steering horizon: a lead error of this many ms moves the rate by 100% (then clamped). */
const STEER_MS = 1000;
/** Weight of each new lead report in the running mean. */
const LEAD_GAIN = 0.1;
/** Lead reports the spread is measured over (about 4 s at 30 snapshots a second). */
const LEAD_WINDOW = 128;
/** The low percentile of leads that is steered to `minLeadMs`: 2% of inputs may come closer. */
const LEAD_PERCENTILE = 0.02;
/** Ticks late (beyond the target) that make the clock jump forward instead of steering. */
const JUMP_LATE_TICKS = 3;
/** Ticks early that make the clock jump back (pausing inputs) instead of steering. */
const JUMP_EARLY_TICKS = 16;
/**
 * Most lead the clock aims for, ms: beyond half a second an input waits longer than any jitter
 * worth absorbing, and the server only buffers a second of them.
 */
const MAX_LEAD_MS = 500;
/** Pongs whose round trips the server clock estimate picks the best of. */
const PONG_WINDOW = 8;

export class TickSync {
  readonly tickMs: number;
  private readonly minLeadMs: number;
  private readonly jitterFactor: number;
  // ── input clock ──
  /** The input clock's position, fractional ticks: inputs are due for every tick up to it. */
  private clockTick = Number.NaN;
  private lastNow = Number.NaN;
  /** The next tick an input is stamped for. */
  nextTick = 0;
  /** Running mean of the reported lead, ms (NaN before the first). */
  leadMs = Number.NaN;
  /** Spread of the reported lead, ms: its mean less its 2nd percentile over the last 128 reports. */
  leadJitterMs = 0;
  private readonly leads = new Float64Array(LEAD_WINDOW);
  /** Scratch for {@link kthLargest}: the largest few leads, descending. */
  private readonly top = new Float64Array(Math.floor(LEAD_WINDOW * LEAD_PERCENTILE) + 1);
  private leadCount = 0;
  /** Lead reports taken since the clock was made (see InputSendPolicy: sparse inputs wait for enough). */
  get leadReports(): number {
    return this.leadCount;
  }
  /** Current rate of the input clock against real time (1 = in step). */
  rate = 1;
  /** Times the input clock jumped (forward or back) rather than steered. */
  jumps = 0;
  /** Reports before this time are from before the latest jump: ignored. */
  private settleUntil = -Infinity;
  // ── server clock from pongs ──
  private readonly pongRtts = new Float64Array(PONG_WINDOW);
  private readonly pongOffsets = new Float64Array(PONG_WINDOW);
  private pongs = 0;
  /** Server tick minus local time in ticks: the estimate being slewed towards `targetOffset`. */
  private offset = Number.NaN;
  private targetOffset = Number.NaN;
  private lastServerTick = -Infinity;
  private lastOffsetAt = Number.NaN;
  /** Round-trip time: the best of the recent pongs, ms (NaN before the first). */
  rttMs = Number.NaN;
  /** Round-trip spread: mean deviation of recent pongs from the best, ms. */
  rttJitterMs = 0;

  constructor(tickRate: number, options: TickSyncOptions = {}) {
    this.tickMs = 1000 / tickRate;
    this.minLeadMs = options.minLeadMs ?? 4;
    this.jitterFactor = options.jitterFactor ?? 1.25;
  }

  /** The lead the input clock steers for, ms: the floor plus a few spreads of the measured lead. */
  get targetLeadMs(): number {
    return Math.min(MAX_LEAD_MS, this.minLeadMs + this.jitterFactor * this.leadJitterMs);
  }

  get started(): boolean {
    return !Number.isNaN(this.clockTick);
  }

  /**
   * Place the input clock: the server was at `serverTick` about `oneWayMs` ago, and inputs
   * should reach it one way later, `targetLeadMs` early. Inputs already stamped stay stamped:
   * the clock never goes back past `nextTick` (see {@link due}).
   */
  start(now: number, serverTick: number, rttMs: number): void {
    const ahead = (rttMs + this.targetLeadMs) / this.tickMs;
    this.clockTick = serverTick + ahead + 1;
    this.lastNow = now;
    this.rate = 1;
    if (this.nextTick === 0) this.nextTick = Math.floor(this.clockTick);
    this.settleUntil = now + rttMs + 2 * this.tickMs;
  }

  /** Stop the input clock (the link is down); {@link start} places it again. */
  stop(): void {
    this.clockTick = Number.NaN;
  }

  /**
   * How many inputs are due at `now`: stamp them `nextTick`, `nextTick + 1`, … (the caller
   * sends them through `TickwireClient.sendInput`, which advances `nextTick`). More than
   * `max` due (the caller stalled) skips the oldest: `skipped` counts them, and the server
   * repeats the last input for their ticks.
   */
  due(now: number, max = Infinity): number {
    if (!this.started) return 0;
    if (now > this.lastNow) {
      this.clockTick += ((now - this.lastNow) / this.tickMs) * this.rate;
      this.lastNow = now;
    }
    const n = Math.max(0, Math.floor(this.clockTick) - this.nextTick + 1);
    if (n <= max) return n;
    this.nextTick += n - max;
    return max;
  }

  /** How far the input clock is into the tick after the last input, 0..1: for drawing between steps. */
  phase(now: number): number {
    if (!this.started) return 0;
    const at = this.clockTick + ((now - this.lastNow) / this.tickMs) * this.rate;
    return Math.min(1, Math.max(0, at - (this.nextTick - 1)));
  }

  /** Milliseconds until the next input is due (0 if one is due now), at the current rate. */
  msUntilDue(now: number): number {
    if (!this.started) return this.tickMs;
    const at = this.clockTick + ((now - this.lastNow) / this.tickMs) * this.rate;
    return Math.max(0, ((this.nextTick - at) * this.tickMs) / this.rate);
  }

  /**
   * A snapshot said how early the client's inputs arrived (ms; NaN: none since the last). Steer
   * the rate towards the target lead, or jump when far off.
   */
  onLead(leadMs: number, now: number): void {
    if (Number.isNaN(leadMs) || !this.started || now < this.settleUntil) return;
    if (Number.isNaN(this.leadMs)) this.leadMs = leadMs;
    else this.leadMs += (leadMs - this.leadMs) * LEAD_GAIN;
    // Each lead is kept as its distance below the running mean at the time: steering moves
    // every lead, and measured against an old mean it would look like spread and feed itself.
    this.leads[this.leadCount++ % LEAD_WINDOW] = this.leadMs - leadMs;
    const n = Math.min(this.leadCount, LEAD_WINDOW);
    if (n >= 8) this.leadJitterMs = Math.max(0, kthLargest(this.leads, n, Math.floor(n * LEAD_PERCENTILE) + 1, this.top));
    // Jump only when the running mean is far off: one late report is as likely a transient (a
    // TCP retransmission holding up the stream, a spike) that the stream recovers from, and
    // jumping for it would skip inputs and then have to slow down again. (A stall of this
    // client is caught at once elsewhere: see TickwireClient's skip when the server is ahead.)
    const meanError = this.leadMs - this.targetLeadMs;
    if (meanError < -JUMP_LATE_TICKS * this.tickMs || meanError > JUMP_EARLY_TICKS * this.tickMs) {
      this.clockTick -= meanError / this.tickMs;
      this.leadMs = this.targetLeadMs;
      this.rate = 1;
      this.jumps++;
      this.settleUntil = now + (Number.isNaN(this.rttMs) ? 0 : this.rttMs) + 2 * this.tickMs;
      return;
    }
    // Steering: late inputs cost corrections, so a report below the target counts in full at once.
    const error = Math.min(this.leadMs, leadMs) - this.targetLeadMs;
    this.rate = 1 - Math.max(-MAX_RATE_ADJUST, Math.min(MAX_RATE_ADJUST, error / STEER_MS));
  }

  /**
   * A pong: the server was at `serverTick` (fractional) when it answered a ping sent at
   * `sentAt`, received at `now`. The sample with the shortest round trip of the last few is the
   * least delayed by queues, so it sets the estimate (NTP's rule); the estimate then slews
   * towards it, never stepping the server clock backwards.
   */
  onPong(sentAt: number, now: number, serverTick: number): void {
    const rtt = now - sentAt;
    const i = this.pongs++ % PONG_WINDOW;
    this.pongRtts[i] = rtt;
    this.pongOffsets[i] = serverTick + rtt / 2 / this.tickMs - now / this.tickMs;
    const n = Math.min(this.pongs, PONG_WINDOW);
    // Oldest to newest, so of equal round trips the newest wins (it knows of the latest drift).
    let best = -1;
    for (let j = this.pongs - n; j < this.pongs; j++) {
      const k = j % PONG_WINDOW;
      if (best < 0 || this.pongRtts[k] <= this.pongRtts[best]) best = k;
    }
    this.rttMs = this.pongRtts[best];
    let dev = 0;
    for (let k = 0; k < n; k++) dev += this.pongRtts[k] - this.rttMs;
    this.rttJitterMs = dev / n;
    this.advanceOffset(now);
    this.targetOffset = this.pongOffsets[best];
    if (Number.isNaN(this.offset)) this.offset = this.targetOffset;
  }

  /** The server's tick at local time `now`, fractional; -1 before the first pong. */
  serverTickAt(now: number): number {
    if (Number.isNaN(this.offset)) return -1;
    this.advanceOffset(now);
    const tick = now / this.tickMs + this.offset;
    // Never backwards: a slewed-down estimate holds still until real time catches up.
    if (tick < this.lastServerTick) return this.lastServerTick;
    this.lastServerTick = tick;
    return tick;
  }

  /** Slew the offset towards the target by at most 5% of the time passed (drift, not jumps). */
  private advanceOffset(now: number): void {
    if (Number.isNaN(this.offset)) {
      this.lastOffsetAt = now;
      return;
    }
    const maxStep = (0.05 * Math.max(0, now - this.lastOffsetAt)) / this.tickMs;
    this.lastOffsetAt = now;
    const d = this.targetOffset - this.offset;
    // Far off (a first estimate that was bad by over a second): take it at once.
    if (Math.abs(d) * this.tickMs > 1000) this.offset = this.targetOffset;
    else this.offset += Math.max(-maxStep, Math.min(maxStep, d));
  }
}

/**
 * The `k`-th largest of `values[0..n)` (k = 1: the largest), by keeping the largest `k` seen in
 * `top` (length ≥ k), descending: O(n·k) with no allocation. The lead's 2nd percentile is the
 * 3rd largest of 128 at most, so this is a few comparisons a value where sorting every
 * snapshot's window cost a load bot more than reading the snapshot.
 */
export function kthLargest(values: ArrayLike<number>, n: number, k: number, top: Float64Array): number {
  let held = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (held === k && v <= top[k - 1]) continue;
    // Insert v in order, dropping the smallest when full.
    let j = held < k ? held++ : k - 1;
    while (j > 0 && top[j - 1] < v) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = v;
  }
  return top[k - 1];
}
