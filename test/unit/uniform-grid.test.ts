import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UniformGrid } from '../../shared/spatial/uniform-grid';

const point = fc.tuple(fc.integer({ min: -500, max: 10_500 }), fc.integer({ min: -500, max: 6_500 }));
const box = fc.tuple(fc.integer({ min: -1000, max: 11_000 }), fc.integer({ min: -1000, max: 7_000 }), fc.nat(4000), fc.nat(4000));

describe('UniformGrid', () => {
  it('finds every item in the cells a box touches, in row-major cell order and insertion order within a cell', () => {
    const grid = new UniformGrid({ width: 10_000, height: 6_000, cellSize: 700 });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 300 }), fc.array(box, { minLength: 1, maxLength: 10 }), (points, boxes) => {
        // Reused across runs: clear() then insert beyond the last run's size exercises growth.
        grid.clear();
        points.forEach(([x, y], i) => grid.insert(i, x, y));
        grid.build();
        const cell = (v: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor(v / 700)));
        for (const [x, y, w, h] of boxes) {
          const found = Array.from(grid.results.subarray(0, grid.queryBox(x, y, x + w, y + h)));
          // Brute force: items whose (clamped) cell is inside the box's (clamped) cell range.
          const expected = points
            .map(([px, py], i) => ({ i, c: cell(px, grid.cols), r: cell(py, grid.rows) }))
            .filter(
              (p) =>
                p.c >= cell(x, grid.cols) && p.c <= cell(x + w, grid.cols) && p.r >= cell(y, grid.rows) && p.r <= cell(y + h, grid.rows),
            )
            .sort((a, b) => a.r - b.r || a.c - b.c || a.i - b.i)
            .map((p) => p.i);
          expect(found).toEqual(expected);
        }
      }),
    );
  });

  it('is empty when nothing was inserted, and for an inverted box', () => {
    const grid = new UniformGrid({ width: 100, height: 100, cellSize: 10 });
    grid.build();
    expect(grid.queryBox(0, 0, 100, 100)).toBe(0);
    grid.insert(7, 50, 50);
    grid.build();
    expect(grid.queryBox(60, 60, 40, 40)).toBe(0);
    expect(grid.queryBox(45, 45, 55, 55)).toBe(1);
    expect(grid.results[0]).toBe(7);
  });
});
