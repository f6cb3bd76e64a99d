import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kthLargest } from '../../src/sdk/tick-sync';

describe('kthLargest (the input clock lead percentile without a sort)', () => {
  it('equals the k-th element from the top of a sorted copy, ties and negatives included', () => {
    fc.assert(
      fc.property(
        // + 0 turns -0 into 0: the two are equal, but toBe tells them apart.
        fc.array(
          fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => v + 0),
          { minLength: 1, maxLength: 128 },
        ),
        fc.integer({ min: 1, max: 3 }),
        (values, k0) => {
          const k = Math.min(k0, values.length);
          const sorted = Float64Array.from(values).sort();
          expect(kthLargest(values, values.length, k, new Float64Array(3))).toBe(sorted[values.length - k]);
        },
      ),
    );
  });

  it('reads only the first n values', () => {
    expect(kthLargest([1, 5, 3, 99], 3, 2, new Float64Array(2))).toBe(3);
  });
});
