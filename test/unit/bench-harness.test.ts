import { describe, expect, it } from 'vitest';
import { formatTable, type BenchRow } from '../../bench/lib/harness';
import { walkerInput } from '../../bench/scenarios/workload';

describe('formatTable', () => {
  it('aligns columns and leaves empty cells for missing figures', () => {
    const rows: BenchRow[] = [
      {
        scenario: 'encode: full codec',
        players: 1000,
        entities: 1000,
        clients: null,
        opsPerSec: 18496.2,
        usPerOp: 54.07,
        rmePct: 0.5,
        samples: 10,
        bytesPerSnapshot: 11002,
        bytesPerEntity: 11.002,
      },
      {
        scenario: 'arena step',
        players: 10,
        entities: 24,
        clients: null,
        opsPerSec: 725027,
        usPerOp: 1.379,
        rmePct: 3.9,
        samples: 10,
        bytesPerSnapshot: null,
        bytesPerEntity: null,
      },
    ];
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^scenario\s+players\s+entities\s+clients\s+ops\/s\s+µs\/op\s+±%\s+B\/snapshot\s+B\/entity$/);
    expect(lines[2]).toContain('18,496');
    expect(lines[2]).toContain('54.1');
    expect(lines[2]).toContain('11,002');
    expect(lines[2]).toContain('11.00');
    expect(lines[3]).toContain('1.38');
    // Every line is as wide as the header: numbers are padded, not ragged.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('walkerInput', () => {
  it('is deterministic and holds a direction for a while', () => {
    const a = walkerInput(5, 100, true, { buttons: 0, aim: 0 });
    const b = walkerInput(5, 100, true, { buttons: 0, aim: 0 });
    expect(a).toEqual(b);
    expect(a.buttons & 0x10).toBe(0x10); // Fire held
    expect(walkerInput(5, 101, false, { buttons: 0, aim: 0 }).buttons & 0x10).toBe(0);
  });
});
