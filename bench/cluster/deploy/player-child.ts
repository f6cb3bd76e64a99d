/**
 * One players' process of the deploy rig (`npm run bench:deploy -- --processes N`), forked by
 * player-pool.ts: it joins its share of the players from their own loopback addresses, drives
 * them, and answers the parent's requests with plain data (raw samples, merged by the parent).
 * Times cross as epoch ms (performance.timeOrigin + performance.now()).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DropTally } from './drop-tally';
import type { PoolReply, PoolRequest } from './player-pool';
import { drive, joinCrowd, playerAddress, RigPlayer } from './rig-player';
import { outcomeOf, seatBefore, settled, type SeatBefore } from './sigterm-outcome';

const players: RigPlayer[] = [];
let before: SeatBefore[] = [];
let stopDriving: (() => void) | undefined;
const tally = new DropTally();
let meter: { loop: ReturnType<typeof monitorEventLoopDelay>; cpu: NodeJS.CpuUsage; t0: number } | undefined;

/** The parent's epoch ms on this process's performance.now(). */
const local = (epochMs: number) => epochMs - performance.timeOrigin;

async function handle(m: PoolRequest): Promise<unknown> {
  switch (m.op) {
    case 'join': {
      const { players: joined, failures } = await joinCrowd(
        m.count,
        (i) => new RigPlayer(i, playerAddress(i), m.front, m.options),
        m.node,
        10,
        m.firstIndex,
      );
      players.push(...joined);
      stopDriving ??= drive(() => players);
      const perNode: Record<string, number> = {};
      for (const p of joined) {
        const id = p.ticket?.nodeId ?? p.client.welcome?.node ?? m.node ?? '?';
        perNode[id] = (perNode[id] ?? 0) + 1;
      }
      return { joined: joined.length, perNode, failures };
    }
    case 'mark':
      for (const p of players) p.markWatch();
      before = players.map(seatBefore);
      return null;
    case 'settled': {
      const now = performance.now();
      return players.every((p, i) => settled(p, before[i]!, now, m.settleMs));
    }
    case 'outcomes':
      return players.map((p, i) => outcomeOf(p, before[i]!, local(m.t0)));
    case 'kills-start':
      for (const p of players) p.startKills(tally, local(m.t0));
      return null;
    case 'kills-stop':
      for (const p of players) p.stopKills();
      return null;
    case 'recovering':
      return players.filter((p) => p.recovering).length;
    case 'drops':
      return { ...tally.part(), unplanned: players.reduce((n, p) => n + p.unplannedDrops, 0) };
    case 'meter-start':
      meter = { loop: monitorEventLoopDelay({ resolution: 10 }), cpu: process.cpuUsage(), t0: performance.now() };
      meter.loop.enable();
      return null;
    case 'meter-end': {
      if (!meter) return null;
      const cpu = process.cpuUsage(meter.cpu);
      meter.loop.disable();
      const r = { cpuMicros: cpu.user + cpu.system, ms: performance.now() - meter.t0, stallMs: Math.round(meter.loop.max / 1e6) };
      meter = undefined;
      return r;
    }
    case 'close':
      stopDriving?.();
      for (const p of players) p.close();
      return null;
  }
}

if (!process.send) throw new Error('player-child.ts runs only as a forked players process (npm run bench:deploy)');
// Ctrl-C reaches the whole process group: the parent ends its children itself.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(1));
process.on('message', (m: PoolRequest) => {
  handle(m).then(
    (value) => process.send!({ id: m.id, value } satisfies PoolReply),
    (err: unknown) => process.send!({ id: m.id, error: String((err as Error)?.stack ?? err) } satisfies PoolReply),
  );
});
