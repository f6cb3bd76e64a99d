import { msSpread, pct, spread, type ScenarioResult } from './aim-report';
import type { ClusterRig } from './cluster-rig';
import { drive, type ResumeParts } from './rig-player';
import { bringPlayers, cpuMeter, sleep, waitFor, type ScenarioOptions } from './scenario-kit';

/**
 * a. Drops: players matchmade through the proxy onto three nodes, each link killed at random
 * (`dropRate` a minute, no close frame); the SDK resumes through the proxy with `?node=`. Aim:
 * every kill resumes onto the node and seat that hold it, p99 ≤ 1 s (kill → first snapshot).
 */
export async function runDrops(rig: ClusterRig, o: ScenarioOptions): Promise<ScenarioResult> {
  const clients = o.clients ?? 200;
  const players = await bringPlayers(rig, clients, { decode: false, fire: false, dropRate: o.dropRate }, o.log);
  const stop = drive(() => players);
  const times: number[] = [];
  let rightSeat = 0;
  const lost: string[] = [];
  /** Resumes by the SDK's reconnect attempts they took (1, 2, 3…). */
  const attempts = new Map<number, number>();
  /** Where the time went: backoff, reconnect to WELCOME, WELCOME to snapshot. */
  const backoff: number[] = [];
  const toWelcome: number[] = [];
  const toSnapshot: number[] = [];
  const sink = {
    resumed(ms: number, right: boolean, tries: number, parts: ResumeParts) {
      times.push(ms);
      attempts.set(tries, (attempts.get(tries) ?? 0) + 1);
      backoff.push(parts.backoffMs);
      toWelcome.push(parts.welcomeMs);
      toSnapshot.push(parts.snapshotMs);
      if (right) rightSeat++;
      else lost.push('resumed, but not on its seat');
    },
    lost(why: string) {
      lost.push(why);
    },
  };
  await sleep(2000);
  const cpu = await cpuMeter(rig);
  const t0 = performance.now();
  for (const p of players) p.startKills(sink, t0);
  o.log(`killing each link ${o.dropRate} times a minute for ${o.seconds} s…`);
  const progress = setInterval(() => o.log(`  ${times.length} resumed, ${lost.length} not`), 10_000);
  await sleep(o.seconds * 1000);
  clearInterval(progress);
  const cpuUse = (await cpu()).text;
  for (const p of players) p.stopKills();
  // The last kills resume (or give up: the resume window is 20 s).
  await waitFor(() => players.every((p) => !p.recovering), 25_000);
  const stillDown = players.filter((p) => p.recovering).length;
  stop();
  for (const p of players) p.close();
  const kills = times.length + lost.length + stillDown;
  const s = spread(times);
  const unplanned = players.reduce((n, p) => n + p.unplannedDrops, 0);
  return {
    scenario: `drops: ${players.length} players, ${o.dropRate} kills a minute each, ${o.seconds} s`,
    rows: [
      {
        what: 'kills resumed on the node and seat holding them',
        value: pct(rightSeat, kills),
        aim: '100 %',
        pass: kills > 0 && rightSeat === kills,
      },
      { what: 'resume time p50 / p99 / max (kill → snapshot)', value: msSpread(s), aim: 'p99 ≤ 1000 ms', pass: s.n > 0 && s.p99 <= 1000 },
      {
        what: 'resumes by reconnect attempts',
        value: [...attempts]
          .sort((a, b) => a[0] - b[0])
          .map(([k, n]) => `${k}: ${n}`)
          .join(', '),
        aim: '',
        pass: null,
      },
      { what: '  of which the SDK backoff wait', value: msSpread(spread(backoff)), aim: '', pass: null },
      { what: '  of which reconnect → WELCOME (TLS, proxy, JOIN)', value: msSpread(spread(toWelcome)), aim: '', pass: null },
      { what: '  of which WELCOME → first snapshot', value: msSpread(spread(toSnapshot)), aim: '', pass: null },
      { what: 'drops nobody caused (liveness, server)', value: String(unplanned), aim: '', pass: null },
      { what: 'CPU (% of a core), stalls, late ticks', value: cpuUse, aim: '', pass: null },
    ],
    figures: {
      players: players.length,
      kills,
      resumed: times.length,
      rightSeat,
      lost: lost.length,
      stillDown,
      resumeMs: s,
      backoffMs: spread(backoff),
      welcomeMs: spread(toWelcome),
      snapshotMs: spread(toSnapshot),
      attempts: Object.fromEntries(attempts),
      unplanned,
    },
    notes: [
      ...(kills === 0 ? ['no kill fell inside the run: raise --seconds or --drop-rate'] : []),
      ...(lost.length ? [`not resumed: ${[...new Set(lost)].slice(0, 3).join('; ')}`] : []),
    ],
  };
}
