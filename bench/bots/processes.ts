import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BotsPart } from './bots-part';
import { MIN_WINDOW_MS, serverFigures } from './load-run';
import { mergeParts } from './merge';
import { healthUrlFor, type BotsOptions } from './options';
import { formatProgress, mergeProgress, type ProgressSample } from './progress';
import type { BotsSummary, ServerFigures } from './report';
import { tryProbeHealth } from './server-probe';

/** Live progress period of the merged line, ms (each child samples once a second too). */
const PROGRESS_MS = 1000;

/** Parent → child. */
export type ToChild =
  | { type: 'start'; opts: BotsOptions; processIndex: number; firstBot: number; bots: number }
  | { type: 'open' }
  | { type: 'noWindow' }
  | { type: 'close' }
  | { type: 'leave' }
  | { type: 'stop' };

/** Child → parent. */
export type FromChild =
  { type: 'ready' } | { type: 'progress'; sample: ProgressSample } | { type: 'joined'; joined: number } | { type: 'part'; part: BotsPart };

/** Each process's share of `clients`: as even as can be, the first ones one more. */
export function shares(clients: number, processes: number): { firstBot: number; bots: number }[] {
  const out: { firstBot: number; bots: number }[] = [];
  let first = 0;
  for (let k = 0; k < processes; k++) {
    const bots = Math.floor(clients / processes) + (k < clients % processes ? 1 : 0);
    out.push({ firstBot: first, bots });
    first += bots;
  }
  return out;
}

/**
 * Fork a TypeScript module as a child process with an IPC channel (stdout and stderr shared).
 * The child needs tsx's loader, which `npm run …` already put in this process's execArgv (and
 * --cpu-prof, if given, profiles every child too). Messages use the advanced serialization:
 * typed arrays of samples cross as bytes, not JSON numbers.
 */
export function forkTypeScript(module: URL): ChildProcess {
  const execArgv = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];
  return fork(fileURLToPath(module), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One forked bots process and what it has said so far. */
class Child {
  readonly proc: ChildProcess;
  ready: Promise<void>;
  joined: Promise<number>;
  part: Promise<BotsPart>;
  latest: ProgressSample | undefined;
  pending: ProgressSample[] = [];

  constructor(readonly index: number) {
    this.proc = forkTypeScript(new URL('./child.ts', import.meta.url));
    const exited = new Promise<never>((_, reject) =>
      this.proc.once('exit', (code, signal) =>
        reject(new Error(`bots process ${index} exited (${signal ?? `code ${code}`}) before it reported its measurements`)),
      ),
    );
    exited.catch(() => {}); // each wait below races it; none may be left unhandled
    const wait = <T>(type: FromChild['type'], pick: (m: FromChild) => T) =>
      Promise.race([
        new Promise<T>((resolve) => {
          const on = (m: FromChild) => {
            if (m.type !== type) return;
            this.proc.off('message', on);
            resolve(pick(m));
          };
          this.proc.on('message', on);
        }),
        exited,
      ]);
    this.ready = wait('ready', () => undefined);
    this.joined = wait('joined', (m) => (m.type === 'joined' ? m.joined : 0));
    this.part = wait('part', (m) => (m as Extract<FromChild, { type: 'part' }>).part);
    this.proc.on('message', (m: FromChild) => {
      if (m.type !== 'progress') return;
      this.latest = m.sample;
      this.pending.push(m.sample);
    });
  }

  send(m: ToChild): void {
    if (this.proc.connected) this.proc.send(m);
  }
}

/**
 * Run the bots in `opts.processes` child processes, each with its share of the clients (and
 * so of the seeds: bot i has the same seed and name as in one process), started together, and
 * merge what they measured into one summary.
 *
 * ```
 * parent: /health ─ fork N ─ all ready: start ─ all joined ─ warm-up ─ /health, open ─ … ─ close, /health, leave ─ merge
 * child k:             load ─ ready ─ connect its bots ─ joined ─────── mark window ─ … ─ mark end ───────── stop ─ part
 * ```
 * The parent opens and closes every child's window at once and probes the server itself, so
 * the server's CPU and the bots' rates cover the same seconds. Progress lines are merged.
 */
export async function runProcesses(opts: BotsOptions, progress: (line: string) => void, stop: AbortSignal): Promise<BotsSummary> {
  const healthUrl = healthUrlFor(opts.url);
  const serverErrors: string[] = [];
  const before = await tryProbeHealth(healthUrl, serverErrors);
  const plan = shares(opts.clients, opts.processes);
  const children = plan.map((_, k) => new Child(k));
  const onStop = () => children.forEach((c) => c.send({ type: 'stop' }));
  stop.addEventListener('abort', onStop, { once: true });
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  try {
    await Promise.all(children.map((c) => c.ready));
    // Every child loaded: start them together, so no process's bots get a head start.
    const t0 = performance.now();
    const endAt = t0 + opts.durationS * 1000;
    children.forEach((c, k) => c.send({ type: 'start', opts, processIndex: k, ...plan[k] }));
    progressTimer = setInterval(() => printProgress(children, progress), PROGRESS_MS);

    const joined = (await Promise.all(children.map((c) => c.joined))).reduce((s, n) => s + n, 0);
    let server: ServerFigures | null = null;
    await sleep(joined === 0 ? 0 : Math.min(opts.warmupS * 1000, endAt - performance.now()), stop);
    if (joined > 0 && endAt - performance.now() >= MIN_WINDOW_MS && !stop.aborted) {
      const s0 = await tryProbeHealth(healthUrl, serverErrors);
      children.forEach((c) => c.send({ type: 'open' }));
      // At least MIN_WINDOW_MS even if the /health probe above ate the rest of --duration.
      await sleep(Math.max(MIN_WINDOW_MS, endAt - performance.now()), stop);
      children.forEach((c) => c.send({ type: 'close' }));
      // Read the server while every bot is still in; then they may leave.
      const s1 = await tryProbeHealth(healthUrl, serverErrors);
      if (s0 && s1) server = serverFigures(before, s0, s1, joined);
    } else {
      children.forEach((c) => c.send({ type: 'noWindow' }));
      if (joined > 0 && !stop.aborted)
        serverErrors.push('no measuring window: the joins and warm-up used up --duration (raise --duration)');
    }
    children.forEach((c) => c.send({ type: 'leave' }));
    const parts = await Promise.all(children.map((c) => c.part));
    clearInterval(progressTimer);
    return mergeParts(parts, server, serverErrors);
  } finally {
    clearInterval(progressTimer);
    stop.removeEventListener('abort', onStop);
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill();
  }
}

/**
 * The merged progress line: counts from each child's latest sample, rates and RTTs from every
 * sample that came since the last line (none from a child that sent none: it is busy).
 */
function printProgress(children: readonly Child[], progress: (line: string) => void): void {
  if (children.every((c) => c.latest === undefined)) return;
  let reporting = 0;
  const each: ProgressSample[] = [];
  for (const c of children) {
    if (!c.latest) continue;
    if (c.pending.length > 0) reporting++;
    const deltas = c.pending.length > 0 ? mergeProgress(c.pending) : undefined;
    each.push({
      ...c.latest,
      snapshots: deltas?.snapshots ?? 0,
      bytes: deltas?.bytes ?? 0,
      clientSeconds: deltas?.clientSeconds ?? 0,
      rttMs: deltas?.rttMs ?? new Float64Array(0),
    });
    c.pending = [];
  }
  progress(formatProgress(mergeProgress(each), children.length, reporting));
}
