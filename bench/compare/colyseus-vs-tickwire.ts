/**
 * `npm run bench:colyseus -- [--clients 100] [--rounds 3] [--max-players 100] [--rig DIR] [--tickwire DIR] [--base DIR]`
 *
 * Server CPU of tickwire against Colyseus 0.18 with the same walking players, in one run:
 * Colyseus, tickwire, Colyseus, tickwire... (see `runCpuRounds`), each measured from /proc
 * over the same window. Colyseus (server, schema and SDK, 0.18) is installed at run time into
 * `--rig` (default /tmp/tickwire-colyseus, outside the source tree); its room is
 * `colyseus/walk-server.mjs`: each player's x and y, schema-synced, stepped at 30 Hz, patched
 * at 30 Hz, with each client sending its direction every tick. tickwire is `--tickwire`'s
 * compiled server (default this checkout: `npm run build` first) with `npm run bots` walkers.
 * `--base DIR` adds a second tickwire build (an older commit's checkout) to each round.
 * `--floor` adds two floors (`floor/`): a bare `ws` server and a bare TCP server that only send
 * each client a 72-byte message a tick and read its inputs (`--floor-inputs N` a second, default
 * 30), so the run shows how much of either server's CPU is the per-message cost of `ws` and of
 * Node itself, which no game server on them avoids.
 */
import { resolve } from 'node:path';
import { colyseusContender, installedVersions, prepareColyseusRig } from './colyseus-contender';
import { runCpuRounds } from './cpu-rounds';
import { tickwireContender } from './tickwire-contender';
import { floorContender } from './floor-contender';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const rig = resolve(arg('--rig', '/tmp/tickwire-colyseus'));
  const clients = Number(arg('--clients', '100'));
  const maxPlayers = Number(arg('--max-players', '100'));
  prepareColyseusRig(rig, log);
  const colyseus = colyseusContender(rig, maxPlayers);
  const processes = Math.ceil(clients / 350);
  const tickwire = tickwireContender('tickwire', arg('--tickwire', process.cwd()), maxPlayers, processes);
  const base = arg('--base', '');
  const tickwires = [tickwire, ...(base ? [tickwireContender('tickwire base', base, maxPlayers, processes)] : [])];
  const floorInputs = Number(arg('--floor-inputs', '30'));
  const floors = process.argv.includes('--floor') ? [floorContender('ws', floorInputs), floorContender('tcp', floorInputs)] : [];
  const contenders = [colyseus, ...tickwires, ...floors];
  const results = await runCpuRounds(contenders, {
    clients,
    rounds: Number(arg('--rounds', '3')),
    warmupS: Number(arg('--warmup', '3')),
    measureS: Number(arg('--measure', '12')),
    port: Number(arg('--port', '8420')),
    progress: log,
  });
  const versions = Object.entries(installedVersions(rig))
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');
  const c = results[0]!;
  const lines = [`${clients} walking clients, rooms of ${maxPlayers}, server CPU % of one core (${versions}):`];
  lines.push(
    `  colyseus ${c.cpuPct.map((v) => v.toFixed(1)).join(', ')} (median ${c.median.toFixed(1)}; per client per second: patches ${fmtList(colyseus.receivedPerSec)}, inputs ${fmtList(colyseus.inputsPerSec)})`,
  );
  for (const [i, t] of results.slice(1, 1 + tickwires.length).entries()) {
    const rates = tickwires[i]!;
    const ratios = t.cpuPct.map((v, i) => v / c.cpuPct[i]!);
    lines.push(
      `  ${t.name} ${t.cpuPct.map((v) => v.toFixed(1)).join(', ')} (median ${t.median.toFixed(1)}); ` +
        `per client per second: snapshots ${fmtList(rates.snapshotsPerSec)}, inputs ${fmtList(rates.inputsPerSec)}; ` +
        `${t.name} / colyseus: ratio of medians ${(t.median / c.median).toFixed(2)}, per round ${ratios.map((r) => r.toFixed(2)).join(', ')}`,
    );
  }
  for (const [i, f] of results.slice(1 + tickwires.length).entries()) {
    const rates = floors[i]!;
    lines.push(
      `  ${f.name} ${f.cpuPct.map((v) => v.toFixed(1)).join(', ')} (median ${f.median.toFixed(1)}); ` +
        `per client per second: messages out ${fmtList(rates.receivedPerSec)}, in ${fmtList(rates.inputsPerSec)}; ` +
        `${f.name} / colyseus: ratio of medians ${(f.median / c.median).toFixed(2)}, per round ${f.cpuPct.map((v, i) => (v / c.cpuPct[i]!).toFixed(2)).join(', ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function fmtList(values: number[]): string {
  return values.map((v) => v.toFixed(1)).join(', ');
}

main().catch((err) => {
  process.stderr.write(`bench:colyseus: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
