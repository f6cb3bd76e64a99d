import { describe, expect, it } from 'vitest';
import { DropTally, mergeDropParts } from '../../bench/cluster/deploy/drop-tally';

describe("bench:deploy's drops, merged over players' processes", () => {
  it('pools every raw sample and sums the counts, so percentiles are taken over all players', () => {
    const a = new DropTally();
    a.resumed(100, true, 1, { backoffMs: 50, welcomeMs: 40, snapshotMs: 10 });
    a.resumed(300, false, 2, { backoffMs: 150, welcomeMs: 140, snapshotMs: 10 });
    const b = new DropTally();
    b.resumed(200, true, 1, { backoffMs: 100, welcomeMs: 90, snapshotMs: 10 });
    b.lost('closed 4009 bad token');
    const m = mergeDropParts([a.part(), b.part()]);
    expect(m.times).toEqual([100, 300, 200]);
    expect(m.rightSeat).toBe(2);
    expect(m.lost).toEqual(['resumed, but not on its seat', 'closed 4009 bad token']);
    expect(m.attempts).toEqual({ 1: 2, 2: 1 });
    expect(m.backoff).toEqual([50, 150, 100]);
    expect(m.toWelcome).toEqual([40, 140, 90]);
    expect(m.toSnapshot).toEqual([10, 10, 10]);
  });
});
