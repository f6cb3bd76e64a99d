import { compileSchema } from '../../../shared/replication/entity-schema';
import { SampleMode, type InterpolatedView } from '../snapshot-buffer';
import type { ClientCore } from './client-core';

/**
 * Draws the others: samples the snapshot buffer at the playback clock's render tick for each
 * frame, keeps the smoothness stats (frames without a newer snapshot, extrapolated time,
 * visible jumps), and remembers what was drawn when, which every INPUT reports as its view lag
 * for the server's lag compensation.
 */
export class RemoteSampler<S, I, P> {
  /** Positions drawn in the previous frame, for jump detection: ids ascending, x, y. */
  private prevIds = new Uint32Array(0);
  private prevXY = new Float64Array(0);
  private prevSpeed = new Float64Array(0);
  private prevCount = 0;
  private prevFrameAt = Number.NaN;
  /** Per kind: its x and y field, or -1. */
  private readonly xyFields: Int16Array;
  /** The tick the others were last drawn at, and when (for lag compensation's view lag). */
  private lastRenderTick = Number.NaN;
  private lastRenderAt = Number.NaN;

  constructor(private readonly core: ClientCore<S, I, P>) {
    const kinds = compileSchema(core.game.entitySchema).kinds;
    this.xyFields = new Int16Array(kinds.length * 2);
    kinds.forEach((k, i) => {
      this.xyFields[i * 2] = k.xField >= 0 && k.yField >= 0 ? k.xField : -1;
      this.xyFields[i * 2 + 1] = k.yField;
    });
  }

  /** Forget the frames drawn in the room left behind. */
  reset(): void {
    this.prevCount = 0;
    this.prevFrameAt = Number.NaN;
    this.lastRenderTick = Number.NaN;
    this.lastRenderAt = Number.NaN;
  }

  /**
   * Remote entities for a frame drawn at `now`: as of the playback clock (a jitter buffer behind
   * the newest snapshot), interpolated; extrapolated briefly when a snapshot is late. Counts
   * the frame in the smoothness stats. Call once per drawn frame.
   */
  sampleRemote(now: number, out: InterpolatedView): void {
    const core = this.core;
    const receiver = core.receiver;
    const playback = receiver.playback;
    if (!playback?.ready || !core.welcome) {
      out.count = 0;
      return;
    }
    receiver.checkStall(now);
    const renderTick = playback.renderTick(now);
    this.lastRenderTick = renderTick;
    this.lastRenderAt = now;
    const tickMs = 1000 / core.welcome.tickRate;
    const buffer = receiver.buffer;
    buffer.sample(renderTick, out, (core.options.maxExtrapolationMs ?? 100) / tickMs);
    const s = core.stats;
    s.frames++;
    if (buffer.mode === SampleMode.Extrapolated || buffer.mode === SampleMode.Held) s.framesWithoutNewer++;
    if (buffer.mode === SampleMode.Extrapolated && !Number.isNaN(this.prevFrameAt)) s.extrapolatedMs += now - this.prevFrameAt;
    this.countJumps(now, out, tickMs);
  }

  /**
   * Compare each remote entity's drawn position with the previous frame's: a move over twice
   * what its motion between the snapshots it is drawn between allows (plus a unit) is a
   * visible jump.
   */
  private countJumps(now: number, out: InterpolatedView, tickMs: number): void {
    const frameTicks = Number.isNaN(this.prevFrameAt) ? 0 : (now - this.prevFrameAt) / tickMs;
    this.prevFrameAt = now;
    if (this.prevIds.length < out.count) {
      this.prevIds = new Uint32Array(out.ids.length);
      this.prevXY = new Float64Array(out.ids.length * 2);
      this.prevSpeed = new Float64Array(out.ids.length);
    }
    const stats = this.core.stats;
    const own = this.core.playerId;
    let p = 0;
    let kept = 0;
    for (let r = 0; r < out.count; r++) {
      const kind = out.kinds[r];
      const fx = this.xyFields[kind * 2];
      if (fx < 0) continue;
      const fy = this.xyFields[kind * 2 + 1];
      const id = out.ids[r];
      const x = out.values[r * out.stride + fx];
      const y = out.values[r * out.stride + fy];
      while (p < this.prevCount && this.prevIds[p] < id) p++;
      if (frameTicks > 0 && id !== own && p < this.prevCount && this.prevIds[p] === id) {
        stats.remoteEntityFrames++;
        const moved = Math.hypot(x - this.prevXY[p * 2], y - this.prevXY[p * 2 + 1]);
        // Across a snapshot boundary the motion may change (a stop at a wall): allow either.
        const allowed = 2 * Math.max(out.speeds[r], this.prevSpeed[p]) * frameTicks + 1;
        if (moved > allowed) stats.remoteJumps++;
      }
      // Written behind the read position: `kept` ≤ r, and p only moves past ids < id.
      this.prevIds[kept] = id;
      this.prevXY[kept * 2] = x;
      this.prevXY[kept * 2 + 1] = y;
      this.prevSpeed[kept] = out.speeds[r];
      kept++;
    }
    this.prevCount = kept;
  }

  /**
   * How far the drawing of the others lags behind input `seq`, 1/16 ticks: the tick this input
   * is for less the tick the others were last drawn at, advanced by the time since. 0 when
   * nothing was drawn in the last quarter second (a headless client, a hidden tab): the server
   * then does not rewind.
   */
  viewLag16(seq: number): number {
    const now = this.core.clock.now();
    const welcome = this.core.welcome;
    if (!(now - this.lastRenderAt <= 250) || !welcome) return 0;
    const drawn = this.lastRenderTick + ((now - this.lastRenderAt) * welcome.tickRate) / 1000;
    return Math.max(0, (seq - drawn) * 16);
  }
}
