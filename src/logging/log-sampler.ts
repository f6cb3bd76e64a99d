import type { Logger } from './logger';

/**
 * Sampling for warnings that hostile traffic can repeat without end: from one source (an IP),
 * the first `burst` lines of a kind in each window are written, the rest are counted and the
 * count rides on the next line written (`suppressed`). An attacker opening and botching a
 * thousand connections a second costs a few log lines, not a thousand.
 */
export class LogSampler {
  private readonly windows = new Map<string, { start: number; written: number; suppressed: number }>();

  /**
   * @param burst lines written per key per window (default 5)
   * @param windowMs window length, ms (default 10000)
   * @param maxKeys keys tracked at once (default 10000); past it the oldest windows are forgotten
   */
  constructor(
    private readonly burst = 5,
    private readonly windowMs = 10_000,
    private readonly maxKeys = 10_000,
  ) {}

  /**
   * May a line for `key` be written at `now` (ms)? Returns the number of lines suppressed
   * since the last one written (0 or more) when it may, or -1 when this one is suppressed.
   */
  take(key: string, now: number): number {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0;
      if (!w && this.windows.size >= this.maxKeys) this.prune(now, true);
      w = { start: now, written: 1, suppressed: 0 };
      this.windows.set(key, w);
      return suppressed;
    }
    if (w.written < this.burst) {
      w.written++;
      const suppressed = w.suppressed;
      w.suppressed = 0;
      return suppressed;
    }
    w.suppressed++;
    return -1;
  }

  /**
   * Write `msg` at `level` unless `source` (an address) has written too many lines of this
   * kind lately; the first line after a suppressed run carries the count as `suppressed`.
   */
  write(logger: Logger, level: 'info' | 'warn', source: string, now: number, fields: Record<string, unknown>, msg: string): void {
    const suppressed = this.take(`${source}\0${msg}`, now);
    if (suppressed < 0) return;
    logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }

  /** Forget windows that have ended with nothing suppressed (or, `all`, every ended one). */
  prune(now: number, all = false): void {
    for (const [key, w] of this.windows) {
      if (now - w.start >= this.windowMs && (all || w.suppressed === 0)) this.windows.delete(key);
    }
    // Still full: forget the oldest half, counts and all (a flood from very many addresses).
    if (this.windows.size >= this.maxKeys) {
      let drop = this.windows.size >> 1;
      for (const key of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(key);
      }
    }
  }

  get size(): number {
    return this.windows.size;
  }
}

/** Client-supplied text made safe for a log line: control, format and separator characters as \u{…}. */
export function escapeForLog(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}
