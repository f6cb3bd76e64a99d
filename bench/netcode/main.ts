import { Button, WORLD_H, WORLD_W, type ArenaInput } from '../../shared/games/arena';
import { nextInt, type RngState } from '../../shared/math/prng';
import type { LinkConditions, NetworkSimulatorOptions } from '../../src/sdk/network-simulator';
import { median } from '../lib/stats';
import { netcodeRig, type RigPlayer } from './netcode-rig';

/**
 * `npm run netcode`: how the game feels over bad networks, measured exactly. Eight players walk
 * (a random one of 8 directions held for 0.5-3 s, as the bots do) through the real server and
 * SDK over the SDK's network simulator, all on manual time: each scenario plays a minute in
 * about a second and gives the same figures every run. Each player also draws 60 frames a
 * second of the others, which is where smoothness is counted.
 */

interface Scenario {
  name: string;
  net: NetworkSimulatorOptions;
  /** Something that happens mid-run (a stall, spikes). */
  event?: (rig: Awaited<ReturnType<typeof netcodeRig>>) => void;
}

const each = (c: LinkConditions): NetworkSimulatorOptions => ({ up: c, down: c });
const PLAYERS = 8;
const WARM_MS = 3000;
const RUN_MS = 60_000;

const SCENARIOS: Scenario[] = [
  { name: 'loopback', net: {} },
  { name: '150 ms ±20 ms', net: each({ latencyMs: 75, jitterMs: 20 }) },
  { name: '300 ms ±50 ms', net: each({ latencyMs: 150, jitterMs: 50 }) },
  { name: '150 ms ±20 ms, 2 % loss (TCP)', net: each({ latencyMs: 75, jitterMs: 20, loss: 0.02 }) },
  {
    name: '150 ms ±20 ms, 5 % loss, unordered',
    net: { ...each({ latencyMs: 75, jitterMs: 20, loss: 0.05, duplicate: 0.01, reorder: 0.01 }), ordered: false },
  },
  {
    name: '150 ms ±20 ms, a +150 ms spike every 5 s',
    net: each({ latencyMs: 75, jitterMs: 20 }),
    event: (rig) => {
      for (let t = 2500; t < RUN_MS; t += 5000) rig.time.setTimeout(() => rig.players.forEach((p) => p.net.spike(150, 150)), t);
    },
  },
  {
    name: '150 ms ±20 ms, a 500 ms server stall at 30 s',
    net: each({ latencyMs: 75, jitterMs: 20 }),
    event: (rig) => void rig.time.setTimeout(() => rig.stallServer(500), RUN_MS / 2),
  },
];

/** A random walker: one of 8 directions for 0.5-3 s at a time, turning back from the walls. */
function randomWalker(seed: number): RigPlayer['play'] {
  const rng: RngState = { rng: seed };
  const dirs = [
    Button.Up,
    Button.Down,
    Button.Left,
    Button.Right,
    Button.Up | Button.Left,
    Button.Up | Button.Right,
    Button.Down | Button.Left,
    Button.Down | Button.Right,
  ];
  let dir = 0;
  let hold = 0;
  return (input: ArenaInput, client) => {
    if (--hold <= 0) {
      dir = dirs[nextInt(rng, 8)];
      hold = 15 + nextInt(rng, 76);
    }
    const me = client.predicted;
    // Away from walls, so nobody grinds along one (which is not movement a player makes).
    if (me) {
      if (me.x < 1000) dir = (dir & ~Button.Left) | Button.Right;
      if (me.x > WORLD_W - 1000) dir = (dir & ~Button.Right) | Button.Left;
      if (me.y < 1000) dir = (dir & ~Button.Up) | Button.Down;
      if (me.y > WORLD_H - 1000) dir = (dir & ~Button.Down) | Button.Up;
    }
    input.buttons = dir;
    input.aim = 0;
  };
}

async function run(s: Scenario) {
  const rig = await netcodeRig({ net: s.net, client: { pingIntervalMs: 1000 } });
  for (let i = 0; i < PLAYERS; i++) await rig.join(`p${i + 1}`, randomWalker(1000 + i));
  rig.run(WARM_MS);
  const start = rig.players.map((p) => ({ ...p.client.stats }));
  const room0 = { ...rig.room.stats };
  s.event?.(rig);
  rig.run(RUN_MS);
  let corrections = 0;
  let visible = 0;
  let frames = 0;
  let noNewer = 0;
  let extrapolatedMs = 0;
  let jumps = 0;
  let entityFrames = 0;
  let inputs = 0;
  const delays: number[] = [];
  const leads: number[] = [];
  rig.players.forEach((p, i) => {
    const a = start[i];
    const b = p.client.stats;
    corrections += b.mispredictions - a.mispredictions;
    visible += b.correctionsOverHalfUnit - a.correctionsOverHalfUnit;
    frames += b.frames - a.frames;
    noNewer += b.framesWithoutNewer - a.framesWithoutNewer;
    extrapolatedMs += b.extrapolatedMs - a.extrapolatedMs;
    jumps += b.remoteJumps - a.remoteJumps;
    entityFrames += b.remoteEntityFrames - a.remoteEntityFrames;
    inputs += b.inputsSent - a.inputsSent;
    delays.push(p.client.interpolationDelayMs);
    leads.push(p.client.tickSync!.leadMs);
  });
  const late = rig.room.stats.inputsLate - room0.inputsLate;
  const pct = (n: number, d: number, digits = 2) => (d > 0 ? ((n / d) * 100).toFixed(digits) : 'n/a');
  return {
    scenario: s.name,
    'corrections > 0.5 u (all)': `${visible} (${corrections})`,
    'inputs late %': pct(late, inputs, 3),
    'frames, nothing newer %': pct(noNewer, frames),
    'extrapolating %': pct(extrapolatedMs, (frames / 60) * 1000),
    'remote jumps %': pct(jumps, entityFrames, 3),
    'delay ms': median(delays).toFixed(0),
    'lead ms': median(leads).toFixed(0),
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const rows = [];
  for (const s of SCENARIOS) rows.push(await run(s));
  process.stdout.write(
    `tickwire netcode: ${PLAYERS} walking players, ${RUN_MS / 1000} s per scenario after ${WARM_MS / 1000} s of warm-up, 60 fps each (manual time, repeatable)\n`,
  );
  console.table(rows);
  process.stdout.write(`took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows)}\n`);
}

void main();
