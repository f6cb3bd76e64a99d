import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/loop/clock';
import { MemoryClusterStore, MemoryRegistry } from '../../src/cluster/memory-registry';
import type { NodeReport } from '../../src/cluster/cluster-registry';

function report(id: string, rooms: [string, string, number][], draining = false): NodeReport {
  return {
    node: { id, publicUrl: `ws://${id}/ws`, startedAt: 0, draining, players: rooms.reduce((n, r) => n + r[2], 0), rooms: rooms.length },
    rooms: rooms.map(([roomId, type, players]) => ({ roomId, type, nodeId: id, players, capacity: 32 })),
  };
}

describe('MemoryRegistry (the embedded default)', () => {
  it('shares one store between nodes, replaces a node’s rooms on each publish, and filters by type', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryClusterStore();
    const a = new MemoryRegistry(clock, 3000, store);
    const b = new MemoryRegistry(clock, 3000, store);
    await a.publish(
      report('a', [
        ['r1', 'arena', 3],
        ['r2', 'lobby', 1],
      ]),
    );
    await b.publish(report('b', [['r3', 'arena', 5]]));
    expect((await b.nodes()).map((n) => n.id).sort()).toEqual(['a', 'b']);
    expect((await b.rooms('arena')).map((r) => `${r.roomId}@${r.nodeId}:${r.players}`).sort()).toEqual(['r1@a:3', 'r3@b:5']);
    await a.publish(report('a', [['r2', 'lobby', 2]]));
    expect((await b.rooms()).map((r) => r.roomId).sort()).toEqual(['r2', 'r3']);
  });

  it('reaps a node (and its rooms) once it misses its time-to-live, not before', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryClusterStore();
    const a = new MemoryRegistry(clock, 3000, store);
    const b = new MemoryRegistry(clock, 3000, store);
    await a.publish(report('a', [['r1', 'arena', 3]]));
    await b.publish(report('b', []));
    clock.advance(2999);
    await b.publish(report('b', []));
    expect(await b.reap()).toEqual([]);
    clock.advance(1);
    expect(await b.reap()).toEqual(['a']);
    expect(await b.rooms()).toEqual([]);
    expect((await b.nodes()).map((n) => n.id)).toEqual(['b']);
  });

  it('close() removes the node at once', async () => {
    const clock = new ManualClock(0);
    const a = new MemoryRegistry(clock);
    await a.publish(report('a', [['r1', 'arena', 1]]));
    await a.close('a');
    expect(await a.nodes()).toEqual([]);
    expect(await a.rooms()).toEqual([]);
  });
});
