/**
 * Estimates the server's current (fractional) tick from snapshot arrivals.
 *
 * Each snapshot of tick T arriving at local time t says "tick 0 began at or before t − T·dt".
 * Network delay only ever makes that origin look later, so the earliest origin seen is the best
 * estimate; it is taken at once, while later-looking samples pull it up only slowly (2% each),
 * which follows clock drift without jumping on one delayed packet.
 */
export class ServerTickEstimator {
  private origin = Number.NaN;

  constructor(private readonly tickMs: number) {}

  get ready(): boolean {
    return !Number.isNaN(this.origin);
  }

  observe(tick: number, now: number): void {
    const sample = now - tick * this.tickMs;
    if (Number.isNaN(this.origin) || sample < this.origin) this.origin = sample;
    else this.origin += (sample - this.origin) * 0.02;
  }

  /** The server's tick at local time `now`, fractional. */
  tickAt(now: number): number {
    return (now - this.origin) / this.tickMs;
  }
}
