import type { Logger } from '../logging/logger';

/** How a {@link WriteBatcher} groups writes. */
export interface WriteBatcherOptions {
  /** Longest an item waits before its batch is written, ms (default 500). */
  intervalMs?: number;
  /** Items that trigger a write at once (default 500). */
  maxBatch?: number;
  /**
   * Items kept while the database is failing (default 100 000); past it the oldest are dropped
   * and counted, so an outage costs memory up to a bound, not the process.
   */
  maxPending?: number;
}

/** What a batcher has done, for /health. */
export interface WriteBatcherStats {
  written: number;
  batches: number;
  failures: number;
  dropped: number;
  pending: number;
}

/**
 * Queues writes and hands them to `write` in batches, off the caller's path: `push` never
 * waits on the database. A batch that fails is kept and tried again at the next interval (the
 * writes are idempotent or additive by design: see each store). One write runs at a time, in
 * order.
 */
export class WriteBatcher<T> {
  private queue: T[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** The last write failed: pushes stop forcing writes until the interval's retry. */
  private failing = false;
  private warnedClosed = false;
  readonly stats: WriteBatcherStats = { written: 0, batches: 0, failures: 0, dropped: 0, pending: 0 };
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;

  constructor(
    /** What is being written, for the log line when it fails. */
    private readonly what: string,
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly log: Logger | undefined,
    options: WriteBatcherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 500;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
  }

  /**
   * Queue one write. After close() it is dropped and counted (`stats.dropped`), with one log
   * line: game hooks that still report while a server shuts down must not throw in a tick.
   */
  push(item: T): void {
    if (this.closed) {
      this.stats.dropped++;
      if (!this.warnedClosed) this.log?.warn(`${this.what}: writes after the store was closed are dropped`);
      this.warnedClosed = true;
      return;
    }
    this.queue.push(item);
    if (this.queue.length > this.maxPending) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.stats.pending = this.queue.length;
    if (this.queue.length >= this.maxBatch && !this.failing) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Write everything queued now; resolves when it is written (or has failed and been kept). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    let ok = false;
    this.running = this.writeBatch(batch).then((written) => {
      ok = written;
    });
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    // After a failure the next try waits an interval: a database that is down is not hammered.
    if (ok && this.queue.length > 0) return this.flush();
    if (this.queue.length > 0 && !this.closed) this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Write one batch; false (and the batch put back at the front) when it failed. */
  private async writeBatch(batch: T[]): Promise<boolean> {
    let ok = true;
    this.failing = false;
    try {
      await this.write(batch);
      this.stats.written += batch.length;
      this.stats.batches++;
    } catch (err) {
      ok = false;
      this.failing = true;
      this.stats.failures++;
      this.log?.error({ err, items: batch.length }, `${this.what}: write failed; kept to try again`);
      this.queue.unshift(...batch);
      if (this.queue.length > this.maxPending) {
        this.stats.dropped += this.queue.length - this.maxPending;
        this.queue.splice(0, this.queue.length - this.maxPending);
      }
    }
    this.stats.pending = this.queue.length;
    return ok;
  }

  /** Write what is queued (one try), then take no more. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
