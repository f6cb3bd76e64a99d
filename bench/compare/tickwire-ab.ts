/**
 * `npm run bench:ab -- --base DIR [--head DIR] [--clients 100] [--rounds 3] [--max-players 32] [--processes N]`
 *
 * Server CPU of two builds of tickwire under the same walking bots, measured side by side in
 * one run: base, head, base, head... (see `runCpuRounds`). DIR is a checkout with `dist/` built
 * (`git worktree add /tmp/old <commit> && cd /tmp/old && cp -a …/node_modules . && npx tsup`).
 */
import { runCpuRounds, type CpuRoundsResult } from './cpu-rounds';
import { tickwireContender } from './tickwire-contender';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  const base = arg('--base', '');
  if (!base) throw new Error('--base DIR is required: a checkout of the old commit with dist/ built');
  const head = arg('--head', process.cwd());
  const clients = Number(arg('--clients', '100'));
  const maxPlayers = Number(arg('--max-players', '32'));
  const processes = Number(arg('--processes', String(Math.ceil(clients / 350))));
  const baseContender = tickwireContender('base', base, maxPlayers, processes);
  const headContender = tickwireContender('head', head, maxPlayers, processes);
  const results = await runCpuRounds([baseContender, headContender], {
    clients,
    rounds: Number(arg('--rounds', '3')),
    warmupS: Number(arg('--warmup', '3')),
    measureS: Number(arg('--measure', '12')),
    port: Number(arg('--port', '8410')),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  const [b, h] = results as [CpuRoundsResult, CpuRoundsResult];
  const rates = [baseContender, headContender];
  const line = (r: CpuRoundsResult, i: number): string =>
    `  ${r.name} ${r.cpuPct.map((v) => v.toFixed(1)).join(', ')} (median ${r.median.toFixed(1)}); clients in ${r.players.join(', ')}; ` +
    `per client ${r.perClientPct.map((v) => v.toFixed(4)).join(', ')} (median ${r.medianPerClient.toFixed(4)} %); ` +
    `per client per second: snapshots ${rates[i]!.snapshotsPerSec.map((v) => v.toFixed(1)).join(', ')}, ` +
    `inputs ${rates[i]!.inputsPerSec.map((v) => v.toFixed(1)).join(', ')}\n`;
  process.stdout.write(
    `${clients} walking bots, ${maxPlayers}-player rooms, server CPU % of one core:\n` +
      line(b, 0) +
      line(h, 1) +
      `  head / base ${(h.median / b.median).toFixed(2)} (per client ${(h.medianPerClient / b.medianPerClient).toFixed(2)})\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`bench:ab: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
