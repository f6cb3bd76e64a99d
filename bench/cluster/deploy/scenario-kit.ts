import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClusterRig } from './cluster-rig';
import { PlayerPool } from './player-pool';
import { joinCrowd, playerAddress, RigPlayer, type RigPlayerOptions } from './rig-player';

/** What every scenario is given. */
export interface ScenarioOptions {
  /** Players (each scenario has its own default; the flag overrides all). */
  clients: number | undefined;
  /** Measuring time for the drops scenario, s. */
  seconds: number;
  /** Link kills per player per minute (drops). */
  dropRate: number;
  /** How long Redis stays down (redis), s. */
  outageSeconds: number;
  /** The nodes' --drain-seconds (sigterm). */
  drainSeconds: number;
  /** Players' processes for the drops and sigterm scenarios (player-pool.ts). */
  processes: number;
  /** Players resume TLS sessions (RigPlayerOptions.tlsResume). */
  tlsResume: boolean;
  log: (line: string) => void;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `ok` every 100 ms until it holds or `ms` pass; resolves with whether it held. */
export async function waitFor(ok: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (await ok()) return true;
    if (performance.now() > end) return false;
    await sleep(100);
  }
}

/** Join `count` players (matchmade, or straight onto `node`), saying how it went. */
export async function bringPlayers(
  rig: ClusterRig,
  count: number,
  o: RigPlayerOptions,
  log: (line: string) => void,
  node?: string,
): Promise<RigPlayer[]> {
  const t0 = performance.now();
  const { players, failures } = await joinCrowd(
    count,
    (i) => new RigPlayer(i, playerAddress(i), { base: rig.base, wsUrl: rig.wsUrl, ca: rig.ca }, o),
    node,
  );
  const perNode = new Map<string, number>();
  for (const p of players) {
    const id = p.ticket?.nodeId ?? p.client.welcome?.node ?? node ?? '?';
    perNode.set(id, (perNode.get(id) ?? 0) + 1);
  }
  log(
    `${players.length} of ${count} players in (${[...perNode].map(([n, c]) => `${n}: ${c}`).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
      (failures.length ? `; ${failures.length} failed, e.g. ${failures[0]}` : ''),
  );
  if (players.length === 0) throw new Error(`no player could join: ${failures[0]}`);
  return players;
}

/** {@link bringPlayers} over `o.processes` players' processes (player-pool.ts); the caller stops the pool. */
export async function bringPool(
  rig: ClusterRig,
  count: number,
  options: RigPlayerOptions,
  o: ScenarioOptions,
  node?: string,
): Promise<{ pool: PlayerPool; joined: number }> {
  const t0 = performance.now();
  const pool = new PlayerPool(Math.min(o.processes, count));
  try {
    const { joined, perNode, failures } = await pool.join(count, options, { base: rig.base, wsUrl: rig.wsUrl, ca: rig.ca }, node);
    o.log(
      `${joined} of ${count} players in over ${pool.processes} processes (${[...perNode].map(([n, c]) => `${n}: ${c}`).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
        (failures.length ? `; ${failures.length} failed, e.g. ${failures[0]}` : ''),
    );
    if (joined === 0) throw new Error(`no player could join: ${failures[0]}`);
    return { pool, joined };
  } catch (err) {
    await pool.stop();
    throw err;
  }
}

/** The node a player's seat is on now: its ticket's, or the one it moved to. */
export function seatNode(p: RigPlayer, fallback: string): string {
  const w = p.welcomes[p.welcomes.length - 1];
  return w?.node ?? p.ticket?.nodeId ?? fallback;
}

/** See {@link cpuMeter}. */
export interface MachineUse {
  text: string;
  /** The nodes' loop overruns and dropped steps over the window, summed. */
  lateTicks: number;
  /** This process's longest event-loop stall, ms. */
  stallMs: number;
}

/**
 * What the machine did over a window: CPU, % of one core, of this process (the players: TLS,
 * the SDK) and of each node (from its /health); this process's longest event-loop stall (a
 * stall here delays every player's snapshots at once, whatever the nodes do); and the nodes'
 * late ticks (loop overruns and dropped steps, summed over their rooms). On a shared box the
 * players' process is often the bottleneck; these say so.
 */
export async function cpuMeter(rig: ClusterRig, pool?: PlayerPool): Promise<() => Promise<MachineUse>> {
  const read = async () =>
    Promise.all(
      rig.nodes.map(async (n) => {
        const h = await n.health();
        return h
          ? { cpu: h.process.cpuUserMicros + h.process.cpuSystemMicros, late: h.totals.overruns + h.totals.droppedSteps }
          : undefined;
      }),
    );
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const nodes0 = await read();
  await pool?.all('meter-start', {});
  return async () => {
    const players = await pool?.use();
    const ms = performance.now() - t0;
    const self = process.cpuUsage(self0);
    loop.disable();
    const nodes1 = await read();
    const pc = (micros: number) => (Number.isFinite(micros) ? `${Math.round(micros / 10 / ms)} %` : '–');
    const each = rig.nodes.map((n, i) => {
      const a = nodes0[i];
      const b = nodes1[i];
      return a && b ? `${n.id} ${pc(b.cpu - a.cpu)} (${b.late - a.late} late ticks)` : `${n.id} –`;
    });
    let lateTicks = 0;
    rig.nodes.forEach((_, i) => (lateTicks += nodes1[i] && nodes0[i] ? nodes1[i].late - nodes0[i].late : 0));
    const stallMs = players?.stallMs ?? Math.round(loop.max / 1e6);
    const who = players?.text ?? `players' process ${pc(self.user + self.system)}, longest stall ${stallMs} ms`;
    return { text: `${who}; ${each.join(', ')}`, lateTicks, stallMs };
  };
}
