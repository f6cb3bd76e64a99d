import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Matchmaker } from '../../src/cluster/matchmaker';
import type { ClusterView } from '../../src/cluster/cluster-registry';
import type { NodePresence } from '../../src/cluster/node-presence';
import type { ReserveReply, ReserveRequest } from '../../src/cluster/node-rpc';
import { ReservationQuota } from '../../src/server/reservation-quota';

describe('ReservationQuota', () => {
  it('takes a place per request, holds it until claimed or lapsed, and gives failed ones back', () => {
    const q = new ReservationQuota(2, 1);
    const a = q.take('1.2.3.4', undefined);
    const b = q.take('1.2.3.4', undefined);
    expect(q.take('1.2.3.4', undefined)).toEqual({ refusal: expect.stringMatching(/at most 2 at once/) });
    if (!('keys' in a) || !('keys' in b)) throw new Error('refused');
    q.hold('t-a', a.keys, 1000);
    q.giveBack(b.keys); // that matchmake failed
    expect(q.count('1.2.3.4')).toBe(1);
    q.prune(999);
    expect(q.count('1.2.3.4')).toBe(1);
    q.prune(1000);
    expect(q.count('1.2.3.4')).toBe(0);
    expect(q.holdsOutstanding).toBe(0);
    q.claimed('t-a'); // already lapsed: nothing to give twice
    expect(q.count('1.2.3.4')).toBe(0);
  });

  it('counts an identity across addresses, and 0 lifts a limit', () => {
    const q = new ReservationQuota(0, 1);
    const first = q.take('1.1.1.1', 'u');
    if (!('keys' in first)) throw new Error('refused');
    expect(first.keys).toEqual(['1.1.1.1', 'user:u']);
    q.hold('t', first.keys, 50);
    expect(q.take('2.2.2.2', 'u')).toEqual({ refusal: expect.stringMatching(/identity: at most 1/) });
    for (let i = 0; i < 100; i++) expect('keys' in q.take('1.1.1.1', undefined)).toBe(true);
    q.claimed('t');
    expect(q.count('user:u')).toBe(0);
    expect(() => new ReservationQuota(-1, 0)).toThrow(/perAddress must be a whole number/);
  });
});

describe('Matchmaker: the registry read', () => {
  it('is shared by every request that arrives while it is under way', async () => {
    let reads = 0;
    let answer: (v: ClusterView) => void = () => {};
    const presence = {
      nodeId: 'n1',
      isDraining: () => false,
      registry: {
        view: () => {
          reads++;
          return new Promise<ClusterView>((resolve) => (answer = resolve));
        },
      },
    } as unknown as NodePresence;
    let reserves = 0;
    const local = (req: ReserveRequest): ReserveReply => ({
      ok: true,
      nodeId: 'n1',
      url: 'ws://n1/ws',
      roomId: req.roomId ?? 'r1',
      reservation: `t${++reserves}`,
      expiresInMs: 10_000,
    });
    const mm = new Matchmaker(presence, local, undefined, pino({ level: 'silent' }));
    const asked = Array.from({ length: 50 }, () => mm.matchmake('arena', 'ws://self/ws'));
    answer({ nodes: [{ id: 'n1', players: 0, draining: false }], rooms: [] } as unknown as ClusterView);
    const tickets = await Promise.all(asked);
    expect(reads).toBe(1);
    expect(mm.registryReads).toBe(1);
    expect(new Set(tickets.map((t) => t.reservation)).size).toBe(50);
    // Once it is answered, the next request reads again: the view is never older than one read.
    const next = mm.matchmake('arena', 'ws://self/ws');
    answer({ nodes: [{ id: 'n1', players: 0, draining: false }], rooms: [] } as unknown as ClusterView);
    await next;
    expect(reads).toBe(2);
  });
});
