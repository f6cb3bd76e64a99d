import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { isCommitUnknown } from './write-transaction';

/** Why queued items were given up. */
export type DropReason =
  /** More than `maxPending` items waited (the database was failing): the oldest went. */
  | 'overflow'
  /** Pushed after close(). */
  | 'closed'
  /** close() ran out of time (`closeTimeoutMs`) with the database still failing. */
  | 'close-timeout';

/** How a {@link WriteBatcher} groups, retries and gives up writes. */
export interface WriteBatcherOptions<T = unknown> {
  /** Longest an item waits before its batch is written, ms (default 500). */
  intervalMs?: number;
  /** Items that trigger a write at once, and the most one batch holds (default 500). */
  maxBatch?: number;
  /**
   * Items kept while the database is failing (default 100 000); past it the oldest waiting
   * items are dropped, counted and logged, so an outage costs memory up to a bound, not the
   * process. The batch being tried is never dropped by this (it may already be written).
   */
  maxPending?: number;
  /**
   * The longest wait between tries while writes fail, ms (default 30 000). The waits double
   * from `intervalMs` up to it, each ±25 % at random, so a database that comes back is not met
   * by every node's backlog at once.
   */
  maxBackoffMs?: number;
  /** How long close() keeps trying while writes fail before it gives up what is left, ms (default 5 000). */
  closeTimeoutMs?: number;
  /**
   * Told about every item given up (after it is counted in `stats.dropped` and logged). A store
   * uses it to forget items it still holds; tests use it to account for every write.
   */
  onDrop?: (items: readonly T[], reason: DropReason, unsure: boolean) => void;
}

/** What a batcher has done, for /health and /metrics. */
export interface WriteBatcherStats {
  /** Items written. */
  written: number;
  /** Batches written. */
  batches: number;
  /** Tries that failed. */
  failures: number;
  /** Items given up, for any reason (each logged with it). */
  dropped: number;
  /**
   * Of `dropped`, items given up at close in a batch one of whose tries lost the answer to its
   * commit: they may be in the database after all.
   */
  unsure: number;
  /** Items waiting, including the batch being tried. */
  pending: number;
  /** Tries failed in a row (0: healthy). */
  failingFor: number;
  /** The wait before the next try, ms (0 when not failing). */
  retryInMs: number;
}

/** One batch, fixed once taken from the queue: a retry writes the same items under the same id. */
interface Batch<T> {
  /** Sent with the items: an additive store records it in the same transaction (see ProfileStore). */
  id: string;
  items: T[];
  /** A try failed without knowing whether its commit landed. */
  unsure: boolean;
}

/**
 * Queues writes and hands them to `write` in batches, off the caller's path: `push` never
 * waits on the database. One write runs at a time, in order.
 *
 * What is pending is the queue plus the batch being tried. A batch, once taken, is fixed: a
 * failed one is tried again as it was, under the same id, after a backoff, so a store whose
 * writes add (profile stats) can tell a retry of a batch that did commit from a new one. Every
 * item ends written or given up; what is given up is counted (`stats.dropped`), logged with
 * the reason, and reported to `onDrop`.
 */
export class WriteBatcher<T> {
  private queue: T[] = [];
  private current: Batch<T> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<boolean> | undefined;
  private closed = false;
  private flushQueued = false;
  private warnedClosed = false;
  readonly stats: WriteBatcherStats = {
    written: 0,
    batches: 0,
    failures: 0,
    dropped: 0,
    unsure: 0,
    pending: 0,
    failingFor: 0,
    retryInMs: 0,
  };
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private readonly maxBackoffMs: number;
  private readonly closeTimeoutMs: number;
  /** How many of the oldest items one overflow drops: a hundredth of maxPending, so a long outage logs one line per chunk, not per item. */
  private readonly dropChunk: number;

  constructor(
    /** What is being written, for the log lines. */
    private readonly what: string,
    private readonly write: (batch: readonly T[], batchId: string) => Promise<void>,
    private readonly log: Logger | undefined,
    private readonly options: WriteBatcherOptions<T> = {},
  ) {
    this.intervalMs = options.intervalMs ?? 500;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
    this.maxBackoffMs = Math.max(this.intervalMs, options.maxBackoffMs ?? 30_000);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.dropChunk = Math.max(1, Math.ceil(this.maxPending / 100));
  }

  /**
   * Queue one write. After close() it is dropped and counted (`stats.dropped`), with one log
   * line: game hooks that still report while a server shuts down must not throw in a tick.
   */
  push(item: T): void {
    if (this.closed) {
      if (!this.warnedClosed) this.log?.warn(`${this.what}: writes after the store was closed are dropped`);
      this.warnedClosed = true;
      this.giveUp([item], 'closed', false);
      return;
    }
    this.queue.push(item);
    const over = this.queue.length + (this.current?.items.length ?? 0) - this.maxPending;
    if (over > 0) this.giveUp(this.queue.splice(0, Math.min(this.queue.length, Math.max(over, this.dropChunk))), 'overflow', false);
    this.updatePending();
    if (this.stats.failingFor === 0 && this.queue.length >= this.maxBatch) {
      // After the caller's own code: a store may still be changing the item it just pushed.
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => {
          this.flushQueued = false;
          void this.flush();
        });
      }
    } else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /**
   * Write everything queued now, one batch after another. Resolves true when all of it is
   * written, false when a try failed (what is left waits for its backoff).
   */
  flush(): Promise<boolean> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<boolean> {
    for (;;) {
      if (!this.current) {
        if (this.queue.length === 0) return true;
        this.current = { id: randomUUID(), items: this.queue.splice(0, this.maxBatch), unsure: false };
      }
      const batch = this.current;
      try {
        await this.write(batch.items, batch.id);
      } catch (err) {
        if (isCommitUnknown(err)) batch.unsure = true;
        this.stats.failures++;
        this.stats.failingFor++;
        const wait = this.backoff();
        this.stats.retryInMs = wait;
        this.updatePending();
        this.log?.error(
          { err, items: batch.items.length, pending: this.stats.pending, retryInMs: wait, failingFor: this.stats.failingFor },
          `${this.what}: write failed; kept to try again`,
        );
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), wait);
        return false;
      }
      this.current = undefined;
      this.stats.written += batch.items.length;
      this.stats.batches++;
      if (this.stats.failingFor > 0) this.log?.info({ after: this.stats.failingFor }, `${this.what}: writing again`);
      this.stats.failingFor = 0;
      this.stats.retryInMs = 0;
      this.updatePending();
    }
  }

  /** The wait after the `failingFor`-th failure in a row: doubling from the interval, capped, ±25 %. */
  private backoff(): number {
    const base = Math.min(this.maxBackoffMs, this.intervalMs * 2 ** Math.min(this.stats.failingFor - 1, 30));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  /**
   * Write what is queued, trying again (after backoffs) until `closeTimeoutMs` has passed; then
   * give up what is left (counted, logged, reported) and take no more.
   */
  async close(): Promise<void> {
    const deadline = Date.now() + this.closeTimeoutMs;
    for (;;) {
      if (await this.flush()) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, this.stats.retryInMs)));
    }
    while (this.running) await this.running;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current) this.giveUp(this.current.items, 'close-timeout', this.current.unsure);
    this.current = undefined;
    if (this.queue.length) this.giveUp(this.queue, 'close-timeout', false);
    this.queue = [];
    this.updatePending();
  }

  private giveUp(items: T[], reason: DropReason, unsure: boolean): void {
    if (items.length === 0) return;
    this.stats.dropped += items.length;
    if (unsure) this.stats.unsure += items.length;
    if (reason !== 'closed')
      this.log?.error(
        { items: items.length, reason, unsure, droppedTotal: this.stats.dropped },
        unsure
          ? `${this.what}: gave up writes whose commit went unanswered (they may be written)`
          : `${this.what}: gave up writes that were never written`,
      );
    this.options.onDrop?.(items, reason, unsure);
  }

  private updatePending(): void {
    this.stats.pending = this.queue.length + (this.current?.items.length ?? 0);
  }
}
