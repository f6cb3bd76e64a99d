import { describe, expect, it } from 'vitest';
import { WriteBatcher, type DropReason } from '../../src/persistence/write-batcher';
import { CommitUnknownError } from '../../src/persistence/write-transaction';

/** A batcher over a fake database: `fail` makes writes throw (`unknown`: as a commit left unanswered). */
function setup(options: ConstructorParameters<typeof WriteBatcher<number>>[3] = {}) {
  const tries: { items: number[]; id: string }[] = [];
  const written: number[][] = [];
  const dropped: { items: number[]; reason: DropReason; unsure: boolean }[] = [];
  const db = { fail: false, unknown: false };
  const b = new WriteBatcher<number>(
    'test',
    (batch, id) => {
      tries.push({ items: [...batch], id });
      if (db.fail) return Promise.reject(db.unknown ? new CommitUnknownError(new Error('cut')) : new Error('down'));
      written.push([...batch]);
      return Promise.resolve();
    },
    undefined,
    { intervalMs: 60_000, ...options, onDrop: (items, reason, unsure) => dropped.push({ items: [...items], reason, unsure }) },
  );
  return { b, tries, written, dropped, db };
}

describe('the write batcher', () => {
  it('retries a failed batch as it was, under the same id, and drops the oldest queued items, never that batch', async () => {
    const { b, tries, written, dropped, db } = setup({ maxBatch: 3, maxPending: 4 });
    db.fail = true;
    b.push(1);
    b.push(2);
    expect(await b.flush()).toBe(false);
    expect(b.stats).toMatchObject({ failures: 1, pending: 2, written: 0, failingFor: 1 });
    b.push(3);
    b.push(4);
    b.push(5); // 2 in the batch + 3 queued > 4: the oldest queued (3) goes
    expect(dropped).toEqual([{ items: [3], reason: 'overflow', unsure: false }]);
    expect(b.stats).toMatchObject({ dropped: 1, pending: 4 });
    db.fail = false;
    expect(await b.flush()).toBe(true);
    expect(written).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(tries[1]!.id).toBe(tries[0]!.id);
    expect(tries[2]!.id).not.toBe(tries[0]!.id);
    expect(b.stats).toMatchObject({ written: 4, batches: 2, pending: 0, failingFor: 0, retryInMs: 0 });
    await b.close();
    b.push(6); // dropped and counted, never thrown into a tick
    expect(b.stats).toMatchObject({ dropped: 2, pending: 0 });
    expect(dropped[1]).toEqual({ items: [6], reason: 'closed', unsure: false });
  });

  it('backs off: the wait doubles from the interval per failure in a row, ±25 %, up to maxBackoffMs', async () => {
    const { b, db } = setup({ intervalMs: 100, maxBackoffMs: 1000 });
    db.fail = true;
    b.push(1);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      await b.flush();
      waits.push(b.stats.retryInMs);
    }
    const bases = [100, 200, 400, 800, 1000, 1000];
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(bases[i]! * 0.75);
      expect(w).toBeLessThanOrEqual(bases[i]! * 1.25);
    });
    expect(b.stats.failingFor).toBe(6);
    db.fail = false;
    await b.flush();
    expect(b.stats).toMatchObject({ failingFor: 0, retryInMs: 0, written: 1 });
    await b.close();
  });

  it('a full batch is written at once while healthy, but pushes never force a try while the writes are failing', async () => {
    const { b, tries, db } = setup({ maxBatch: 2 });
    b.push(1);
    b.push(2); // a full batch: written after this code, without waiting for the interval
    await Promise.resolve();
    await b.flush();
    expect(tries).toHaveLength(1);
    db.fail = true;
    b.push(3);
    await b.flush();
    expect(tries).toHaveLength(2);
    for (let i = 4; i < 20; i++) b.push(i); // eight batches' worth: still only the backoff timer may try
    await Promise.resolve();
    expect(tries).toHaveLength(2);
    expect(b.stats).toMatchObject({ failures: 1, pending: 17 });
    db.fail = false;
    await b.close();
  });

  it('close() keeps trying, after its backoffs, until the database answers', async () => {
    const written: number[][] = [];
    let failuresLeft = 3;
    const b = new WriteBatcher<number>(
      'test',
      (batch) => {
        if (failuresLeft-- > 0) return Promise.reject(new Error('down'));
        written.push([...batch]);
        return Promise.resolve();
      },
      undefined,
      { intervalMs: 1, maxBackoffMs: 4, closeTimeoutMs: 10_000 },
    );
    b.push(7);
    await b.close();
    expect(written).toEqual([[7]]);
    expect(b.stats).toMatchObject({ failures: 3, written: 1, dropped: 0, pending: 0 });
  });

  it('close() gives up at its deadline and reports what it gave up, marking a batch whose commit went unanswered as unsure', async () => {
    const { b, dropped, db } = setup({ maxBatch: 2, closeTimeoutMs: 0 });
    db.fail = true;
    db.unknown = true;
    b.push(1);
    b.push(2);
    await b.flush();
    db.unknown = false;
    b.push(3);
    await b.close();
    expect(dropped).toEqual([
      { items: [1, 2], reason: 'close-timeout', unsure: true },
      { items: [3], reason: 'close-timeout', unsure: false },
    ]);
    expect(b.stats).toMatchObject({ dropped: 3, unsure: 2, pending: 0, written: 0 });
  });
});
