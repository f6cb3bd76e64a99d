import { msSpread, pct, spread, type ScenarioResult } from './aim-report';
import type { ClusterRig } from './cluster-rig';
import { epochNow, type PlayerPool } from './player-pool';
import { bringPool, cpuMeter, sleep, waitFor, type ScenarioOptions } from './scenario-kit';
import type { Outcome } from './sigterm-outcome';

/** Where each player's gap went, one row each. */
const GAP_PARTS: [string, (x: Outcome) => number][] = [
  ["  the move's own gap (last snapshot there → first here)", (x) => x.moveGapMs],
  ['  the gap: last snapshot → NOTICE move', (x) => x.toNoticeMs],
  ['  NOTICE → WELCOME on the new node (TLS, proxy, JOIN)', (x) => x.toWelcomeMs],
  ["  WELCOME → first snapshot (the room's hold, a tick)", (x) => x.toSnapshotMs],
];

/**
 * b. A rolling restart's step: `clients` players (100) straight onto node n1, rooms of 25 (so
 * 4 rooms), fighting so scores move; the other two nodes run. SIGTERM n1. Per player: did it
 * keep its entity id (a resumed WELCOME with the same player id) and its score (its scoreboard
 * field after ≥ before), the longest snapshot gap from the last snapshot before the signal, the
 * inputs it sent before the switch that no seat ever acknowledged, and whether the tick it saw
 * went backwards (a new room starts at 0), and where the gap went (sigterm-outcome.ts). With
 * --room-moves on (the default with Redis) players resume their moved seat; off, they matchmake
 * again into new rooms. The players run in `o.processes` processes (player-pool.ts).
 */
export async function runSigterm(rig: ClusterRig, o: ScenarioOptions): Promise<ScenarioResult> {
  const clients = o.clients ?? 100;
  const victim = rig.nodes[0]!;
  const { pool } = await bringPool(rig, clients, { decode: true, fire: true, dropRate: 0, tlsResume: o.tlsResume }, o, victim.id);
  try {
    return await measure(rig, o, pool);
  } finally {
    await pool.stop();
  }
}

async function measure(rig: ClusterRig, o: ScenarioOptions, pool: PlayerPool): Promise<ScenarioResult> {
  const victim = rig.nodes[0]!;
  o.log(`playing 10 s on ${victim.id} so scores move…`);
  const cpu = await cpuMeter(rig, pool);
  await sleep(10_000);
  const cpuUse = (await cpu()).text;
  // /health is cached for a moment: read after the joins have long settled.
  const rooms = (await victim.health())?.rooms ?? [];
  o.log(`on ${victim.id}: ${rooms.length} rooms (${rooms.map((r) => r.players).join(', ')} players)`);
  await pool.all('mark', {});
  const t0 = epochNow();
  const t0Here = performance.now();
  o.log(`SIGTERM ${victim.id}`);
  const exited = victim.signal('SIGTERM').then((how) => ({ how, s: (performance.now() - t0Here) / 1000 }));
  // Each player has switched seats (or closed) and played 2 s on the new one.
  await waitFor(async () => (await pool.all('settled', { settleMs: 2000 })).every(Boolean), (o.drainSeconds + 30) * 1000);
  const exit = await Promise.race([exited, sleep(10_000).then(() => ({ how: 'still running', s: Number.NaN }))]);
  const outcomes = await pool.outcomes(t0);
  /** The spread of one figure over the players that have it. */
  const over = (pick: (x: Outcome) => number) => spread(outcomes.map(pick).filter(Number.isFinite));
  const n = outcomes.length;
  const count = (f: (x: Outcome) => boolean) => outcomes.filter(f).length;
  const gaps = spread(outcomes.map((x) => x.gapMs));
  const lost = outcomes.reduce((s, x) => s + x.lost, 0);
  const to = new Map<string, number>();
  for (const x of outcomes) to.set(x.to, (to.get(x.to) ?? 0) + 1);
  const moves = new Map<string, number>();
  for (const x of outcomes) for (const m of x.moves) moves.set(m, (moves.get(m) ?? 0) + 1);
  return {
    scenario: `sigterm: ${n} players in ${rooms.length} rooms on ${victim.id}, --drain-seconds ${o.drainSeconds}`,
    rows: [
      {
        what: 'playing on another node afterwards',
        value: pct(
          count((x) => x.playing),
          n,
        ),
        aim: '100 %',
        pass: count((x) => x.playing) === n,
      },
      {
        what: 'kept their entity (player) id',
        value: pct(
          count((x) => x.keptId),
          n,
        ),
        aim: '100 %',
        pass: count((x) => x.keptId) === n,
      },
      {
        what: `kept their score (${count((x) => x.scoreBefore > 0)} had scored)`,
        value: pct(
          count((x) => x.keptScore),
          n,
        ),
        aim: '100 %',
        pass: count((x) => x.keptScore) === n,
      },
      {
        what: 'longest snapshot gap p50 / p99 / max',
        value: msSpread(gaps),
        aim: 'p99 ≤ 500, max ≤ 1000 ms',
        pass: gaps.p99 <= 500 && gaps.max <= 1000,
      },
      { what: 'inputs sent before the switch never applied', value: String(lost), aim: '0', pass: lost === 0 },
      {
        what: 'players who saw the tick go backwards',
        value: String(count((x) => x.backwards)),
        aim: '0',
        pass: count((x) => x.backwards) === 0,
      },
      {
        what: "SDK: SIGTERM → 'moving', and 'moving' → 'moved' (p50 / p99 / max)",
        value: `${msSpread(over((x) => x.movingMs))}; ${msSpread(over((x) => x.movedMs))}`,
        aim: '',
        pass: null,
      },
      ...GAP_PARTS.map(([what, pick]) => ({ what, value: msSpread(over(pick)), aim: '', pass: null })),
      { what: 'before the SIGTERM: CPU (% of a core), stalls, late ticks', value: cpuUse, aim: '', pass: null },
      { what: `${victim.id} exited`, value: `${exit.how} after ${exit.s.toFixed(1)} s`, aim: '', pass: null },
    ],
    figures: {
      players: n,
      rooms: rooms.length,
      playing: count((x) => x.playing),
      keptId: count((x) => x.keptId),
      keptScore: count((x) => x.keptScore),
      scored: count((x) => x.scoreBefore > 0),
      gapMs: gaps,
      gapParts: Object.fromEntries(GAP_PARTS.map(([what, pick]) => [what.trim(), over(pick)])),
      inputsLost: lost,
      backwards: count((x) => x.backwards),
      landedOn: Object.fromEntries(to),
      sdkEvents: Object.fromEntries(moves),
      exit,
      cpu: cpuUse,
    },
    notes: [
      `landed on: ${[...to].map(([k, v]) => `${k} ${v}`).join(', ')}; SDK events: ${[...moves].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'}`,
    ],
  };
}
