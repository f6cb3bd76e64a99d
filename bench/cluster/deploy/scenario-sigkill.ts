import { msSpread, pct, spread, type ScenarioResult } from './aim-report';
import type { ClusterRig } from './cluster-rig';
import { drive } from './rig-player';
import { bringPlayers, seatNode, sleep, waitFor, type ScenarioOptions } from './scenario-kit';

/**
 * c. A node dies: players matchmade through the proxy onto three nodes; SIGKILL the node with
 * the most. Each of its players, with the SDK's defaults (pings every second, 4 s liveness,
 * the node taken for dead after 3 failed resumes or 3 s), is matchmade again and plays: the time
 * from the kill to its first snapshot on the new seat. Aim ≤ 5 s. The other nodes' players
 * should see nothing.
 */
export async function runSigkill(rig: ClusterRig, o: ScenarioOptions): Promise<ScenarioResult> {
  const clients = o.clients ?? 150;
  const players = await bringPlayers(rig, clients, { decode: false, fire: false, dropRate: 0, tlsResume: o.tlsResume }, o.log);
  const stop = drive(() => players);
  await sleep(3000);
  const on = (id: string) => players.filter((p) => seatNode(p, '?') === id);
  const victim = [...rig.nodes].sort((a, b) => on(b.id).length - on(a.id).length)[0]!;
  const doomed = on(victim.id);
  const bystanders = players.filter((p) => !doomed.includes(p));
  const welcomesBefore = new Map(doomed.map((p) => [p, p.welcomes.length]));
  const dropsBefore = bystanders.reduce((n, p) => n + p.unplannedDrops, 0);
  const t0 = performance.now();
  o.log(`SIGKILL ${victim.id} (${doomed.length} players)`);
  await victim.signal('SIGKILL');
  const newSeat = (p: (typeof doomed)[number]) =>
    p.welcomes.slice(welcomesBefore.get(p)).find((w) => !w.resumed && !Number.isNaN(w.firstSnapshotAt));
  await waitFor(() => doomed.every((p) => p.closed !== undefined || newSeat(p) !== undefined), 30_000);
  stop();
  const times: number[] = [];
  const closed: string[] = [];
  for (const p of doomed) {
    const w = newSeat(p);
    if (w) times.push(w.firstSnapshotAt - t0);
    else closed.push(p.closed ? `${p.closed.code} ${p.closed.reason}` : 'still waiting after 30 s');
  }
  const bystanderDrops = bystanders.reduce((n, p) => n + p.unplannedDrops, 0) - dropsBefore;
  for (const p of players) p.close();
  const s = spread(times);
  return {
    scenario: `sigkill: ${players.length} players on three nodes, ${victim.id} (${doomed.length} of them) killed`,
    rows: [
      {
        what: `its players playing again on another node`,
        value: pct(times.length, doomed.length),
        aim: '100 %',
        pass: times.length === doomed.length,
      },
      {
        what: 'kill → first snapshot on the new seat p50 / p99 / max',
        value: msSpread(s),
        aim: 'max ≤ 5000 ms',
        pass: s.n > 0 && s.max <= 5000,
      },
      { what: "other nodes' players dropped", value: `${bystanderDrops} of ${bystanders.length}`, aim: '0', pass: bystanderDrops === 0 },
    ],
    figures: { players: players.length, victim: victim.id, doomed: doomed.length, moved: times.length, ms: s, closed, bystanderDrops },
    notes: closed.length ? [`not moved: ${[...new Set(closed)].slice(0, 3).join('; ')}`] : [],
  };
}
