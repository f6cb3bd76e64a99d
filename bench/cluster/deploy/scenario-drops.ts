import { msSpread, pct, spread, type ScenarioResult } from './aim-report';
import type { ClusterRig } from './cluster-rig';
import { mergeDropParts } from './drop-tally';
import { epochNow, type PlayerPool } from './player-pool';
import { bringPool, cpuMeter, sleep, waitFor, type ScenarioOptions } from './scenario-kit';

/**
 * a. Drops: players matchmade through the proxy onto three nodes, each link killed at random
 * (`dropRate` a minute, no close frame); the SDK resumes through the proxy with `?node=`. Aim:
 * every kill resumes onto the node and seat that hold it, p99 ≤ 1 s (kill → first snapshot).
 */
export async function runDrops(rig: ClusterRig, o: ScenarioOptions): Promise<ScenarioResult> {
  const clients = o.clients ?? 200;
  const { pool, joined } = await bringPool(rig, clients, { decode: false, fire: false, dropRate: o.dropRate, tlsResume: o.tlsResume }, o);
  try {
    return await measure(rig, o, pool, joined);
  } finally {
    await pool.stop();
  }
}

async function measure(rig: ClusterRig, o: ScenarioOptions, pool: PlayerPool, joined: number): Promise<ScenarioResult> {
  await sleep(2000);
  const cpu = await cpuMeter(rig, pool);
  await pool.all('kills-start', { t0: epochNow() });
  o.log(`killing each link ${o.dropRate} times a minute for ${o.seconds} s…`);
  const resumedSoFar = async () => mergeDropParts(await pool.drops());
  const progress = setInterval(
    () =>
      void resumedSoFar().then(
        (d) => o.log(`  ${d.times.length} resumed, ${d.lost.length} not`),
        () => undefined,
      ),
    10_000,
  );
  await sleep(o.seconds * 1000);
  clearInterval(progress);
  const cpuUse = (await cpu()).text;
  await pool.all('kills-stop', {});
  // The last kills resume (or give up: the resume window is 20 s).
  const recovering = async () => ((await pool.all('recovering', {})) as number[]).reduce((a, b) => a + b, 0);
  await waitFor(async () => (await recovering()) === 0, 25_000);
  const stillDown = await recovering();
  const parts = await pool.drops();
  const d = mergeDropParts(parts);
  const { times, rightSeat, lost, attempts, backoff, toWelcome, toSnapshot } = d;
  const kills = times.length + lost.length + stillDown;
  const s = spread(times);
  const unplanned = parts.reduce((n, p) => n + p.unplanned, 0);
  return {
    scenario: `drops: ${joined} players, ${o.dropRate} kills a minute each, ${o.seconds} s`,
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
        value: Object.entries(attempts)
          .map(([k, n]): [number, number] => [Number(k), n])
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
      players: joined,
      kills,
      resumed: times.length,
      rightSeat,
      lost: lost.length,
      stillDown,
      resumeMs: s,
      backoffMs: spread(backoff),
      welcomeMs: spread(toWelcome),
      snapshotMs: spread(toSnapshot),
      attempts,
      unplanned,
    },
    notes: [
      ...(kills === 0 ? ['no kill fell inside the run: raise --seconds or --drop-rate'] : []),
      ...(lost.length ? [`not resumed: ${[...new Set(lost)].slice(0, 3).join('; ')}`] : []),
    ],
  };
}
