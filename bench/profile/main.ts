/**
 * `npm run profile -- [--clients 100,1000] [--tool both|cpu-prof|perf] [--duration 20] [--max-players 32] [--server-dir DIR] [--top N]`
 *
 * Profiles the compiled server (`npm run build` first) under walking bots and prints where its
 * CPU goes, by bucket (see `cpuprofile-buckets.ts`), over the measuring window only: from
 * `--warmup` seconds after every bot joined, for `--measure` seconds. Two tools, one run each:
 * `node --cpu-prof` (V8's sampler: JavaScript by function; on a busy machine it sees only part
 * of the process's CPU, see the README) and `perf record -g` with `node --perf-basic-prof`
 * (every CPU sample of the process, kernel and helper threads included; `perf-buckets.ts`).
 * The bots run as `--processes` child processes (default one per 350 bots), each with its share.
 * `--server-dir` profiles another checkout's build (an old commit's worktree) with these tools.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpuWindow } from '../lib/proc-cpu';
import type { BotsSummary } from '../bots/report';
import { waitForJoins } from '../compare/cpu-rounds';
import { benchServerArgs, runBotsProcesses, sleep, startServer, tickwirePlayers } from '../lib/load-server';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { bucketProfile, type CpuProfile } from './cpuprofile-buckets';
import { bucketPerfScript, formatPerfBuckets } from './perf-buckets';
import { formatBuckets, sourceMapResolver, topFunctions } from './summarize-cpuprofile';

interface ProfileOptions {
  clients: number[];
  processes: number | undefined;
  durationS: number;
  warmupS: number;
  measureS: number;
  maxPlayers: number;
  port: number;
  serverDir: string;
  outDir: string;
  top: number;
  tools: ('cpu-prof' | 'perf')[];
}

/** perf's sampling rate, Hz: prime, so it does not beat with the 30 Hz tick. */
const PERF_HZ = 997;

function parseArgs(argv: string[]): ProfileOptions {
  const opts: ProfileOptions = {
    clients: [100, 1000],
    processes: undefined,
    durationS: 20,
    warmupS: 2,
    measureS: 12,
    maxPlayers: 32,
    port: 8400,
    serverDir: process.cwd(),
    outDir: '/tmp/tickwire-profile',
    top: 0,
    tools: ['cpu-prof', 'perf'],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    const n = Number(value);
    switch (flag) {
      case '--clients':
        opts.clients = value.split(',').map(Number);
        break;
      case '--processes':
        opts.processes = n;
        break;
      case '--duration':
        opts.durationS = n;
        break;
      case '--warmup':
        opts.warmupS = n;
        break;
      case '--measure':
        opts.measureS = n;
        break;
      case '--max-players':
        opts.maxPlayers = n;
        break;
      case '--port':
        opts.port = n;
        break;
      case '--server-dir':
        opts.serverDir = resolve(value);
        break;
      case '--out':
        opts.outDir = resolve(value);
        break;
      case '--top':
        opts.top = n;
        break;
      case '--tool':
        opts.tools = value === 'both' ? ['cpu-prof', 'perf'] : [value as 'cpu-prof' | 'perf'];
        break;
      default:
        throw new Error(`unknown option ${flag}; see the comment at the top of bench/profile/main.ts`);
    }
  }
  if (opts.measureS + opts.warmupS >= opts.durationS) opts.measureS = Math.max(2, opts.durationS - opts.warmupS - 4);
  return opts;
}

/** One profiled run: the bucket table over the window, and the CPU /proc saw over it. */
async function profileRun(opts: ProfileOptions, clients: number, tool: 'cpu-prof' | 'perf'): Promise<void> {
  const dir = join(opts.outDir, `clients-${clients}-${tool}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const health = `http://127.0.0.1:${opts.port}/health`;
  const spawnedAt = performance.now();
  const server = await startServer(
    'node',
    [
      ...(tool === 'cpu-prof' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : ['--perf-basic-prof']),
      ...benchServerArgs(opts.port, opts.maxPlayers),
    ],
    opts.serverDir,
    health,
  );
  const processes = opts.processes ?? Math.ceil(clients / 350);
  let bots: Promise<BotsSummary[]> | undefined;
  // The bots run until the window closes (their --duration only bounds a run gone wrong).
  const stopBots = new AbortController();
  const perfData = join(dir, 'perf.data');
  let fromUs = 0;
  let toUs = 0;
  let cpuPct = 0;
  try {
    bots = runBotsProcesses(
      process.cwd(),
      `ws://127.0.0.1:${opts.port}/ws`,
      clients,
      processes,
      [
        '--duration',
        String(opts.durationS + 150),
        '--warmup',
        String(opts.warmupS),
        // Spread the joins and give each longer: on a loaded box a join storm of hundreds times
        // out in the bots' event loop, not in the server.
        '--ramp-ms',
        String(clients * 5),
        '--join-timeout',
        '30',
      ],
      stopBots.signal,
    );
    await waitForJoins(() => tickwirePlayers(health), clients, 'players');
    await sleep(opts.warmupS * 1000);
    fromUs = (performance.now() - spawnedAt) * 1000;
    const cpu = cpuWindow(server.pid);
    const perf =
      tool === 'perf'
        ? spawn(
            'perf',
            ['record', '-F', String(PERF_HZ), '-g', '-p', String(server.pid), '-o', perfData, '--', 'sleep', String(opts.measureS)],
            {
              stdio: 'ignore',
            },
          )
        : undefined;
    await sleep(opts.measureS * 1000);
    cpuPct = cpu.stop();
    if (perf && perf.exitCode === null) await once(perf, 'exit');
    toUs = (performance.now() - spawnedAt) * 1000;
    stopBots.abort();
  } catch (err) {
    stopBots.abort();
    await server.stop();
    await bots?.catch(() => undefined);
    throw err;
  }
  const summaries = await bots;
  await server.stop();
  const resolver = sourceMapResolver();
  const snapshots = summaries.map((s) => s.snapshotsPerSecPerClient.mean ?? NaN);
  process.stdout.write(
    `\n## ${clients} walking bots, ${opts.maxPlayers}-player rooms, ${tool} (${processes} bots process${processes > 1 ? 'es' : ''}; ` +
      `${opts.measureS} s window; server CPU from /proc over it ${cpuPct.toFixed(1)} % of a core, ` +
      `${(cpuPct / clients).toFixed(4)} % per client, profiler on; snapshots/s per client ${snapshots.map((s) => s.toFixed(2)).join(', ')})\n\n`,
  );
  if (tool === 'perf') {
    const text = execFileSync('perf', ['script', '-i', perfData, '-F', 'tid,period,ip,sym,dso'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    process.stdout.write(
      `${formatPerfBuckets(bucketPerfScript(text, server.pid, resolver), opts.measureS, PERF_HZ)}\n\nprofile: ${perfData}\n`,
    );
    return;
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}: did the server exit cleanly?`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  process.stdout.write(`${formatBuckets(bucketProfile(profile, resolver, { fromUs, toUs }))}\n`);
  if (opts.top > 0) process.stdout.write(`\n${topFunctions(profile, resolver, opts.top, { fromUs, toUs })}\n`);
  process.stdout.write(`\nprofile: ${join(dir, file)}\n`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  for (const clients of opts.clients) for (const tool of opts.tools) await profileRun(opts, clients, tool);
}

main().catch((err) => {
  process.stderr.write(`profile: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
