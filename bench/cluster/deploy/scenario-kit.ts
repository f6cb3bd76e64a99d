import type { ClusterRig } from './cluster-rig';
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

/** The node a player's seat is on now: its ticket's, or the one it moved to. */
export function seatNode(p: RigPlayer, fallback: string): string {
  const w = p.welcomes[p.welcomes.length - 1];
  return w?.node ?? p.ticket?.nodeId ?? fallback;
}

/**
 * CPU use over a window, % of one core: this process (the players: TLS, the SDK) and each node
 * (from its /health). On a shared box the players' process is often the bottleneck; the figure
 * says so.
 */
export async function cpuMeter(rig: ClusterRig): Promise<() => Promise<string>> {
  const nodeCpu = async () =>
    Promise.all(rig.nodes.map(async (n) => ((p) => (p ? p.cpuUserMicros + p.cpuSystemMicros : Number.NaN))((await n.health())?.process)));
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const nodes0 = await nodeCpu();
  return async () => {
    const ms = performance.now() - t0;
    const self = process.cpuUsage(self0);
    const nodes1 = await nodeCpu();
    const pc = (micros: number) => (Number.isFinite(micros) ? `${Math.round(micros / 10 / ms)} %` : '–');
    return `players' process ${pc(self.user + self.system)}; ${rig.nodes.map((n, i) => `${n.id} ${pc(nodes1[i]! - nodes0[i]!)}`).join(', ')}`;
  };
}
