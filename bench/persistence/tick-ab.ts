/**
 * `npm run bench:persistence`: the arena's tick time on an old commit against this tree with
 * persistence on, side by side in one run (rounds alternate old, new, old, new…), each server
 * loaded by its own tree's bots. The new side also writes chat: `--chat-rate` lobby lines a
 * second go through the database while the ticks are timed. Tick time is the server's own
 * `tickwire_tick_duration_seconds` (inputs, step, replication and sends), mean over the window.
 *
 *   npm run bench:persistence -- [--old 9510eba] [--rounds 3] [--clients 100] [--seconds 25] [--chat-rate 50] [--database-url URL]
 *     [--old-persistence-off]
 *
 * `--old HEAD --old-persistence-off` compares this very tree with persistence off against it
 * with persistence on, both sides chatting at `--chat-rate`: the database's whole cost, nothing
 * else changed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../lib/stats';
import { freePort } from '../soak/server-process';

const { values } = parseArgs({
  options: {
    old: { type: 'string', default: '9510eba' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '25' },
    'chat-rate': { type: 'string', default: '50' },
    'database-url': { type: 'string' },
    'old-persistence-off': { type: 'boolean', default: false },
  },
});
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(values.rounds);
const scratch = mkdtempSync(join(tmpdir(), 'tickwire-ab-'));
const oldTree = join(scratch, 'old');
execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', oldTree, values.old!], { stdio: 'ignore' });
// The old tree runs on this tree's packages (a superset of what it needs).
symlinkSync(join(ROOT, 'node_modules'), join(oldTree, 'node_modules'));

/** Both sides' operator token: how this script reads their /metrics. */
const OPERATOR_TOKEN = 'tick-ab-operator-token-0123456789';

interface Sample {
  side: 'old' | 'new';
  tickMeanUs: number;
  ticks: number;
  serverCpu: number | null;
  droppedTicks: number | null;
  overruns: number | null;
  chat: string;
}

async function tickSeconds(port: number): Promise<{ sum: number; count: number }> {
  const headers = { connection: 'close', authorization: `Bearer ${OPERATOR_TOKEN}` };
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
  const read = (suffix: string) =>
    Number(new RegExp(`tickwire_tick_duration_seconds_${suffix}\\{room_type="arena"\\} (\\S+)`).exec(text)?.[1] ?? 0);
  return { sum: read('sum'), count: read('count') };
}

async function waitHealthy(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the server on ${port} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } })).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server on ${port} did not come up`);
}

async function round(side: 'old' | 'new', n: number): Promise<Sample> {
  const tree = side === 'old' ? oldTree : ROOT;
  const port = await freePort();
  const args = ['--import', 'tsx', 'src/cli/main.ts', '--port', String(port), '--host', '127.0.0.1'];
  args.push('--per-ip-limits', 'off', '--log-level', 'warn', '--max-players', '500');
  if (side === 'old' && values['old-persistence-off']) args.push('--persistence', 'off');
  if (side === 'new') {
    if (values['database-url']) args.push('--database-url', values['database-url']);
    else args.push('--data-dir', join(scratch, `data-${n}`));
  }
  // The token opens /metrics on the game port of old and new trees alike; the admin port (newer
  // trees only; older ones ignore the variable) takes a free port rather than port + 1.
  const env = { ...process.env, TICKWIRE_OPERATOR_TOKEN: OPERATOR_TOKEN, TICKWIRE_ADMIN_PORT: '0' };
  const server = spawn(process.execPath, args, { cwd: tree, stdio: 'ignore', env });
  try {
    await waitHealthy(port, server);
    const bots = ['--import', 'tsx', 'bench/bots/main.ts', '--url', `ws://127.0.0.1:${port}/ws`, '--clients', values.clients!];
    bots.push('--duration', values.seconds!, '--warmup', '2', '--json');
    // Against the same tree with persistence off, both sides chat: only the database differs.
    if ((side === 'new' || values['old-persistence-off']) && Number(values['chat-rate']) > 0)
      bots.push('--chat-rate', values['chat-rate']!);
    const t0 = await tickSeconds(port);
    const out = execFileSync(process.execPath, bots, { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const t1 = await tickSeconds(port);
    const summary = JSON.parse(out.trim().split('\n').pop()!) as {
      server: { cpuPercent: number; droppedTicks: number; tickOverruns: number } | null;
      chat?: { linesSent: number; missing: number } | null;
    };
    const ticks = t1.count - t0.count;
    return {
      side,
      tickMeanUs: ticks > 0 ? ((t1.sum - t0.sum) / ticks) * 1e6 : Number.NaN,
      ticks,
      serverCpu: summary.server?.cpuPercent ?? null,
      droppedTicks: summary.server?.droppedTicks ?? null,
      overruns: summary.server?.tickOverruns ?? null,
      chat: summary.chat ? `${summary.chat.linesSent} lines, ${summary.chat.missing} missing` : '-',
    };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

try {
  const samples: Sample[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const side of ['old', 'new'] as const) {
      const s = await round(side, r);
      samples.push(s);
      console.log(
        `round ${r} ${side}: tick ${s.tickMeanUs.toFixed(1)} µs mean over ${s.ticks} ticks; server CPU ${s.serverCpu} %; ` +
          `${s.droppedTicks} ticks dropped, ${s.overruns} overruns; chat ${s.chat}`,
      );
    }
  }
  const of = (side: string) => samples.filter((s) => s.side === side);
  const oldMed = median(of('old').map((s) => s.tickMeanUs));
  const newMed = median(of('new').map((s) => s.tickMeanUs));
  console.log(
    `\narena tick, median of ${rounds} rounds: old ${values.old}${values['old-persistence-off'] ? ' (persistence off)' : ''} ${oldMed.toFixed(1)} µs, new (persistence on${Number(values['chat-rate']) > 0 ? `, ${values['chat-rate']} chat lines/s` : ''}) ${newMed.toFixed(1)} µs, ratio new/old ${(newMed / oldMed).toFixed(3)}`,
  );
  console.log(
    `server CPU, median: old ${median(of('old').map((s) => s.serverCpu ?? 0))} %, new ${median(of('new').map((s) => s.serverCpu ?? 0))} %`,
  );
} finally {
  execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', oldTree], { stdio: 'ignore' });
  rmSync(scratch, { recursive: true, force: true });
}
