import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { arenaInputCodec, type ArenaInput } from '../../shared/games/arena';
import { InputQueue, OfferResult } from '../../src/input/input-queue';

/** A reader over one encoded input whose aim is `aim` (so tests can tell inputs apart). */
function encoded(aim: number): ByteReader {
  const w = new ByteWriter();
  arenaInputCodec.write(w, { buttons: 0, aim });
  return new ByteReader(w.bytes());
}

function drain(q: InputQueue<ArenaInput>): [number, number][] {
  const out: [number, number][] = [];
  const input = arenaInputCodec.create();
  for (let seq = q.shiftInto(input); seq !== 0; seq = q.shiftInto(input)) out.push([seq, input.aim]);
  return out;
}

describe('InputQueue', () => {
  it('keeps seq order and drops duplicates (resent inputs)', () => {
    const q = new InputQueue(arenaInputCodec, 8);
    expect(q.offer(1, encoded(10))).toBe(OfferResult.Accepted);
    expect(q.offer(2, encoded(20))).toBe(OfferResult.Accepted);
    expect(q.offer(2, encoded(99))).toBe(OfferResult.Duplicate);
    expect(q.offer(1, encoded(99))).toBe(OfferResult.Duplicate);
    expect(q.offer(3, encoded(30))).toBe(OfferResult.Accepted);
    expect(drain(q)).toEqual([[1, 10], [2, 20], [3, 30]]);
    // Already-applied seqs stay duplicates after draining.
    expect(q.offer(3, encoded(99))).toBe(OfferResult.Duplicate);
  });

  it('consumes a duplicate\'s bytes so the next input in the message is read correctly', () => {
    const q = new InputQueue(arenaInputCodec, 8);
    q.offer(1, encoded(1));
    const w = new ByteWriter();
    arenaInputCodec.write(w, { buttons: 0, aim: 1 });
    arenaInputCodec.write(w, { buttons: 0, aim: 2 });
    const r = new ByteReader(w.bytes());
    q.offer(1, r);
    q.offer(2, r);
    r.expectEnd('two inputs');
    expect(drain(q)).toEqual([[1, 1], [2, 2]]);
  });

  it('counts lost seqs and drops the oldest when full', () => {
    const q = new InputQueue(arenaInputCodec, 3);
    q.offer(1, encoded(1));
    q.offer(4, encoded(4)); // 2 and 3 never arrived
    expect(q.lost).toBe(2);
    q.offer(5, encoded(5));
    expect(q.offer(6, encoded(6))).toBe(OfferResult.AcceptedDroppingOldest);
    expect(q.dropped).toBe(1);
    expect(drain(q)).toEqual([[4, 4], [5, 5], [6, 6]]);
  });
});
