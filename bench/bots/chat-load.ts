import { ClientState } from '../../src/sdk/client-state';
import type { Bot } from './bot';
import { percentile } from '../lib/stats';
import { round } from './stats';

/** What the lobby chat load did, for the summary. */
export interface ChatLoadFigures {
  /** Lines a second asked for (`--chat-rate`), over all bots. */
  ratePerSecond: number;
  linesSent: number;
  /** Lines the server refused, by reason ('rate', 'text', 'unavailable'). */
  linesRejected: Record<string, number>;
  /** Every bot should get every line the server took: (sent − rejected) × bots. */
  deliveriesExpected: number;
  deliveries: number;
  /** Expected deliveries that had not arrived 2 s after the last line went out. */
  missing: number;
  /** Bots that got every line. */
  botsComplete: number;
  /** From a line's send to its arrival at each bot, ms. */
  latencyMs: { p50: number | null; p99: number | null; max: number | null; samples: number };
}

const SETTLE_MS = 2000;
const PREFIX = 'load ';

/**
 * Lobby chat from the bots: `ratePerSecond` lines a second in all, each from the next bot in
 * turn (so every bot stays within the server's per-user rate), and every bot checks it gets
 * every line, once. Lines carry their number, so a bot can tell which it missed.
 */
export class ChatLoad {
  private timer: ReturnType<typeof setInterval> | undefined;
  private startedAt = 0;
  private sent = 0;
  private next = 0;
  private readonly sentAt: number[] = [];
  private readonly seen: Uint8Array[];
  private readonly counts: Int32Array;
  private readonly rejected: Record<string, number> = {};
  private readonly latencies: number[] = [];

  constructor(
    private readonly bots: readonly Bot[],
    private readonly ratePerSecond: number,
    /** Longest run the lines may span, s (sizes the per-bot bitmaps). */
    maxSeconds: number,
  ) {
    const maxLines = Math.ceil(ratePerSecond * maxSeconds) + 16;
    this.seen = bots.map(() => new Uint8Array(maxLines));
    this.counts = new Int32Array(bots.length);
    bots.forEach((bot, i) => {
      bot.client.on('chat', ({ ch, lines }) => {
        if (ch !== 'lobby') return;
        const now = performance.now();
        for (const line of lines) {
          if (!line.text.startsWith(PREFIX)) continue;
          const n = Number(line.text.slice(PREFIX.length));
          if (!(n >= 0 && n < this.seen[i]!.length) || this.seen[i]![n]) continue;
          this.seen[i]![n] = 1;
          this.counts[i]!++;
          const at = this.sentAt[n];
          if (at !== undefined) this.latencies.push(now - at);
        }
      });
      bot.client.on('chatRejected', (r) => (this.rejected[r.reason] = (this.rejected[r.reason] ?? 0) + 1));
    });
  }

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.sendDue(), 5);
  }

  private sendDue(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * this.ratePerSecond) / 1000);
    while (this.sent < due && this.sent < this.seen[0]!.length) {
      const bot = this.bots[this.next++ % this.bots.length]!;
      if (bot.client.state !== ClientState.Open) continue;
      this.sentAt[this.sent] = performance.now();
      bot.client.say('lobby', `${PREFIX}${this.sent}`);
      this.sent++;
    }
  }

  /** Stop sending, and wait (up to 2 s) until every bot has every line the server took. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const until = performance.now() + SETTLE_MS;
    while (performance.now() < until && this.missing() > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private accepted(): number {
    let refused = 0;
    for (const n of Object.values(this.rejected)) refused += n;
    return this.sent - refused;
  }

  private missing(): number {
    let got = 0;
    for (const c of this.counts) got += c;
    return Math.max(0, this.accepted() * this.bots.length - got);
  }

  figures(): ChatLoadFigures {
    let deliveries = 0;
    let complete = 0;
    const accepted = this.accepted();
    for (const c of this.counts) {
      deliveries += c;
      if (c >= accepted) complete++;
    }
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      ratePerSecond: this.ratePerSecond,
      linesSent: this.sent,
      linesRejected: { ...this.rejected },
      deliveriesExpected: accepted * this.bots.length,
      deliveries,
      missing: this.missing(),
      botsComplete: complete,
      latencyMs: {
        p50: round(percentile(sorted, 50), 1),
        p99: round(percentile(sorted, 99), 1),
        max: round(sorted[sorted.length - 1] ?? Number.NaN, 1),
        samples: sorted.length,
      },
    };
  }
}
