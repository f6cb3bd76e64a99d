import { msSpread, pct, spread, type ScenarioResult } from './aim-report';
import type { ClusterRig } from './cluster-rig';
import { drive, type RigPlayer } from './rig-player';
import { bringPlayers, cpuMeter, sleep, waitFor, type ScenarioOptions } from './scenario-kit';

/** How each player came out of the drain. */
interface Outcome {
  switched: boolean;
  playing: boolean;
  keptId: boolean;
  keptScore: boolean;
  scoreBefore: number;
  gapMs: number;
  lost: number;
  backwards: boolean;
  to: string;
  /** SIGTERM → the SDK's `moving`, and its `moved` ms (NaN: no such event). */
  movingMs: number;
  movedMs: number;
}

/**
 * b. A rolling restart's step: `clients` players (100) straight onto node n1, rooms of 25 (so
 * 4 rooms), fighting so scores move; the other two nodes run. SIGTERM n1. Per player: did it
 * keep its entity id (a resumed WELCOME with the same player id) and its score (its scoreboard
 * field after ≥ before), the longest snapshot gap from the last snapshot before the signal, the
 * inputs it sent before the switch that no seat ever acknowledged, and whether the tick it saw
 * went backwards (a new room starts at 0). Measures whatever the server does: today players
 * matchmake again into new rooms; with live room moves they resume their moved seat.
 */
export async function runSigterm(rig: ClusterRig, o: ScenarioOptions): Promise<ScenarioResult> {
  const clients = o.clients ?? 100;
  const victim = rig.nodes[0]!;
  const players = await bringPlayers(rig, clients, { decode: true, fire: true, dropRate: 0 }, o.log, victim.id);
  const stop = drive(() => players);
  o.log(`playing 10 s on ${victim.id} so scores move…`);
  const cpu = await cpuMeter(rig);
  await sleep(10_000);
  const cpuUse = (await cpu()).text;
  // /health is cached for a moment: read after the joins have long settled.
  const rooms = (await victim.health())?.rooms ?? [];
  o.log(`on ${victim.id}: ${rooms.length} rooms (${rooms.map((r) => r.players).join(', ')} players)`);
  const before = players.map((p) => ({
    playerId: p.client.playerId,
    roomId: p.client.welcome!.roomId,
    score: p.score,
    welcomes: p.welcomes.length,
  }));
  for (const p of players) p.markWatch();
  const t0 = performance.now();
  o.log(`SIGTERM ${victim.id}`);
  const exited = victim.signal('SIGTERM').then((how) => ({ how, s: (performance.now() - t0) / 1000 }));
  // Each player has switched seats (or closed) and played 2 s on the new one.
  const settled = (p: RigPlayer, i: number) => {
    const w = p.welcomes[before[i]!.welcomes];
    return p.closed !== undefined || (w !== undefined && performance.now() - w.firstSnapshotAt > 2000);
  };
  await waitFor(() => players.every(settled), (o.drainSeconds + 30) * 1000);
  const exit = await Promise.race([exited, sleep(10_000).then(() => ({ how: 'still running', s: Number.NaN }))]);
  stop();
  const outcomes: Outcome[] = players.map((p, i) => {
    const b = before[i]!;
    const w = p.welcomes[b.welcomes];
    const switched = w !== undefined;
    const keptId = switched && w.resumed && w.playerId === b.playerId;
    // Inputs sent on the old seat before the switch: a moved seat acknowledges them on the new
    // node (same seqs: ticks go on); a new seat never applies what the old one had not.
    const lost = !switched ? 0 : keptId ? Math.max(0, w.sentBefore - p.ackedSeq) : Math.max(0, w.sentBefore - w.ackedBefore);
    return {
      switched,
      playing: switched && p.closed === undefined && !Number.isNaN(w.firstSnapshotAt),
      keptId,
      keptScore: keptId && p.score >= b.score,
      scoreBefore: b.score,
      gapMs: p.maxGapMs,
      lost,
      backwards: p.ticksBackwards > 0,
      to: switched ? (w.node ?? p.movedTo ?? '?') : '–',
      movingMs: p.movingAt - t0,
      movedMs: p.movedMs,
    };
  });
  for (const p of players) p.close();
  const n = outcomes.length;
  const count = (f: (x: Outcome) => boolean) => outcomes.filter(f).length;
  const gaps = spread(outcomes.map((x) => x.gapMs));
  const lost = outcomes.reduce((s, x) => s + x.lost, 0);
  const to = new Map<string, number>();
  for (const x of outcomes) to.set(x.to, (to.get(x.to) ?? 0) + 1);
  const moves = new Map<string, number>();
  for (const p of players) for (const m of p.moves) moves.set(m.replace(/ \d+ ms$/, ''), (moves.get(m.replace(/ \d+ ms$/, '')) ?? 0) + 1);
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
        value: `${msSpread(spread(outcomes.map((x) => x.movingMs).filter(Number.isFinite)))}; ${msSpread(spread(outcomes.map((x) => x.movedMs).filter(Number.isFinite)))}`,
        aim: '',
        pass: null,
      },
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
