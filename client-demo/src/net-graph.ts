import type { ArenaInput, ArenaState, Mover } from '../../shared/games/arena';
import type { TickwireClient } from '../../src/sdk/tickwire-client';

/** Samples kept: 12 s at one every 100 ms. */
const SAMPLES = 120;
const SAMPLE_MS = 100;
/** The graph's ms scale tops out at this, or the largest value shown if higher. */
const MIN_SCALE_MS = 100;

/** One line of the graph: what it plots, in which colour. */
interface Series {
  label: string;
  color: string;
  values: Float64Array;
}

/**
 * The net graph: the last 12 s of round trip, arrival jitter, interpolation delay and input
 * lead (the cushion the server sees) as lines on one ms scale, corrections as red ticks along
 * the bottom, and the current figures with the downstream kbit/s as text. Sampled every
 * 100 ms into preallocated rings, so drawing allocates nothing but the text.
 */
export class NetGraph {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly series: Series[];
  private readonly corrections = new Float64Array(SAMPLES);
  private head = 0;
  private count = 0;
  private lastSample = -Infinity;
  private lastCorrections = 0;
  private lastBytes = 0;
  private kbitPerS = 0;
  /** The figures of the newest sample, for the text and the e2e test. */
  readonly latest = { rttMs: Number.NaN, jitterMs: Number.NaN, delayMs: Number.NaN, leadMs: Number.NaN, kbitPerS: 0, corrections: 0 };

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.ctx = ctx;
    this.series = [
      { label: 'rtt', color: '#8ecae6', values: new Float64Array(SAMPLES) },
      { label: 'jitter', color: '#ffb703', values: new Float64Array(SAMPLES) },
      { label: 'delay', color: '#90be6d', values: new Float64Array(SAMPLES) },
      { label: 'lead', color: '#c77dff', values: new Float64Array(SAMPLES) },
    ];
  }

  /** Sample the client (every 100 ms) and redraw. Call once per animation frame. */
  update(now: number, client: TickwireClient<ArenaState, ArenaInput, Mover>): void {
    if (now - this.lastSample < SAMPLE_MS) return;
    const seconds = Number.isFinite(this.lastSample) ? (now - this.lastSample) / 1000 : 0;
    this.lastSample = now;
    const s = client.stats;
    const sync = client.tickSync;
    const playback = client.playbackClock;
    const l = this.latest;
    l.rttMs = sync && !Number.isNaN(sync.rttMs) ? sync.rttMs : s.lastPingMs;
    l.jitterMs = playback?.jitterMs ?? Number.NaN;
    l.delayMs = client.interpolationDelayMs;
    l.leadMs = sync?.leadMs ?? Number.NaN;
    if (seconds > 0) this.kbitPerS = ((s.bytesReceived - this.lastBytes) * 8) / 1000 / seconds;
    l.kbitPerS = this.kbitPerS;
    l.corrections = s.correctionsOverHalfUnit;
    this.lastBytes = s.bytesReceived;
    const i = this.head;
    this.series[0].values[i] = l.rttMs;
    this.series[1].values[i] = l.jitterMs;
    this.series[2].values[i] = l.delayMs;
    this.series[3].values[i] = l.leadMs;
    this.corrections[i] = s.correctionsOverHalfUnit - this.lastCorrections;
    this.lastCorrections = s.correctionsOverHalfUnit;
    this.head = (this.head + 1) % SAMPLES;
    if (this.count < SAMPLES) this.count++;
    this.draw();
  }

  private draw(): void {
    const { ctx, canvas } = this;
    const w = canvas.width;
    const h = canvas.height;
    const top = 16;
    const plotH = h - top - 6;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = 'rgba(10, 14, 20, 0.72)';
    ctx.fillRect(0, 0, w, h);
    let scale = MIN_SCALE_MS;
    for (const s of this.series) for (let k = 0; k < this.count; k++) if (s.values[k] > scale) scale = s.values[k];
    const x = (k: number) => (k / (SAMPLES - 1)) * w;
    const y = (v: number) => top + plotH - (Math.max(0, v) / scale) * plotH;
    const first = (this.head - this.count + SAMPLES) % SAMPLES;
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      for (let k = 0; k < this.count; k++) {
        const v = s.values[(first + k) % SAMPLES];
        if (Number.isNaN(v)) continue;
        const px = x(SAMPLES - this.count + k);
        if (started) ctx.lineTo(px, y(v));
        else ctx.moveTo(px, y(v));
        started = true;
      }
      ctx.stroke();
    }
    ctx.fillStyle = '#ef476f';
    for (let k = 0; k < this.count; k++)
      if (this.corrections[(first + k) % SAMPLES] > 0) ctx.fillRect(x(SAMPLES - this.count + k) - 1, h - 6, 2, 6);
    ctx.font = '10px ui-monospace, monospace';
    ctx.textBaseline = 'top';
    const l = this.latest;
    const f = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(0));
    let tx = 4;
    const texts = [`rtt ${f(l.rttMs)}`, `jit ${f(l.jitterMs)}`, `delay ${f(l.delayMs)}`, `lead ${f(l.leadMs)}`];
    for (let k = 0; k < texts.length; k++) {
      ctx.fillStyle = this.series[k].color;
      ctx.fillText(texts[k], tx, 3);
      tx += ctx.measureText(texts[k]).width + 8;
    }
    ctx.fillStyle = '#e0e0e0';
    ctx.fillText(`${l.kbitPerS.toFixed(0)} kbit/s · ${l.corrections} fix · max ${scale.toFixed(0)}`, tx, 3);
  }
}
