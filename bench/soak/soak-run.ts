import { nextU32, type RngState } from '../../shared/math/prng';
import { describeClose } from '../../shared/protocol/close-codes';
import { ClientState } from '../../src/sdk/client-state';
import { Bot, BotPhase, type BotSink } from '../bots/bot';
import { botDriver } from '../bots/driver';
import { healthUrlFor } from '../bots/options';
import type { LatencySummary } from '../bots/report';
import { probeHealth, type HealthSample } from '../bots/server-probe';
import { medianOfSorted, percentile } from '../lib/stats';
import { round, SampleBuffer } from '../bots/stats';
import { GapTracker } from './gap-tracker';
import type { SoakOptions } from './options';

/** How often bots due to leave are replaced, ms. */
const CHURN_MS = 250;
/** How often the server's heap and counters are read, ms. */
const SAMPLE_MS = 1000;
/**
 * Heap is the floor (lowest reading) over this long, ms. A single reading is mostly where the
 * collector happens to be: at 100 bots heapUsed swings between 13 and 20 MB within seconds.
 * The floor is what survives the collections in the window, live data without the garbage,
 * which is what a leak grows.
 */
const HEAP_WINDOW_MS = 20_000;
/** Longest wait for the last resumes, and for the server to empty, at the end, ms. */
const SETTLE_MS = 25_000;

/** What a soak found. */
export interface SoakSummary {
  url: string;
  minutes: number;
  clients: number;
  dropRate: number;
  /** Bots that joined over the run, and that left deliberately (and were replaced). */
  botsJoined: number;
  botsLeft: number;
  failedJoins: number;
  /** Failed joins by reason (close code and reason, or "join timeout"). */
  failedJoinReasons: Record<string, number>;
  /** Bots whose link closed for good without them asking (not a resumable drop). */
  lostBots: number;
  lostReasons: Record<string, number>;
  kills: number;
  /** Links that dropped without a kill (liveness or heartbeat timeouts): 0 on a healthy loopback. */
  unplannedDrops: number;
  resumes: number;
  failedResumes: number;
  resumeFailureReasons: Record<string, number>;
  /** From the kill (or unplanned drop) to the first snapshot after the resumed WELCOME, ms. */
  resumeMs: LatencySummary;
  /** Between consecutive snapshots while a link was up, ms; long = over 3 send intervals. */
  snapshotGapMs: LatencySummary & { long: number; longThresholdMs: number };
  /** Server heap used: the floor over 20 s at the end of the warm-up, and over the last 20 s of play. */
  heapAfterWarmupBytes: number | null;
  heapAtEndBytes: number | null;
  /** The medians of the same windows, for reference (not judged: they move with the collector). */
  heapAfterWarmupMedianBytes: number | null;
  heapAtEndMedianBytes: number | null;
  /** Heap readings in each window (one a second; /health caches its answer for 1 s). */
  heapSamples: { afterWarmup: number; atEnd: number };
  /** heapAtEnd / heapAfterWarmup. */
  heapRatio: number | null;
  /** After warm-up until the end of play, from /health totals. */
  tickOverruns: number | null;
  droppedTicks: number | null;
  /** What /health showed once every bot had left. */
  leftover: { connections: number; players: number; detachedPlayers: number; rooms: number } | null;
  /** The checks, and whether the run passed them all. */
  checks: SoakCheck[];
  passed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Floor and median of the heap readings taken from `from` to `to` (ms, performance.now). */
export function heapWindow(
  samples: readonly { atMs: number; heapUsedBytes: number }[],
  from: number,
  to: number,
): { floor: number | null; median: number | null; count: number } {
  const h = samples.filter((s) => s.atMs >= from && s.atMs <= to).map((s) => s.heapUsedBytes);
  if (h.length === 0) return { floor: null, median: null, count: 0 };
  h.sort((a, b) => a - b);
  return { floor: h[0], median: medianOfSorted(h), count: h.length };
}

/**
 * Churn against one server: keep `clients` walking bots; each leaves (1000) after a random
 * lifetime and is replaced; every bot's link is killed at `dropRate` per minute and resumed.
 *
 * ```
 * t0 ──warm-up (10 % of the run, ≤ 60 s)──┬─────── churn ───────┬── stop kills, wait resumes ── all leave ── leftovers?
 *                     heap, last 20 s ◄──┘   heap, last 20 s ◄─┘
 * (heap = the floor of the readings, judged; and their median, reported)
 * ```
 */
export async function runSoak(opts: SoakOptions, url: string, progress: (line: string) => void): Promise<SoakSummary> {
  const health = healthUrlFor(url);
  const t0 = performance.now();
  const runMs = opts.minutes * 60_000;
  const endAt = t0 + runMs;
  const warmupEnd = t0 + Math.min(runMs * 0.1, 60_000);
  const rng: RngState = { rng: opts.seed | 0 };
  const resumeTimes = new SampleBuffer(1024);
  const lostReasons: Record<string, number> = {};
  const resumeFailureReasons: Record<string, number> = {};
  const failedJoinReasons: Record<string, number> = {};
  let failedResumes = 0;
  let lostBots = 0;
  let winding = false;
  const sink: BotSink = {
    rtt() {},
    ping() {},
    resumed: (ms) => resumeTimes.push(ms),
    resumeFailed(reason) {
      failedResumes++;
      bump(resumeFailureReasons, reason);
    },
    closed(bot, code, reason) {
      if (winding || bot.phase !== BotPhase.Closed || !leaveAt.has(bot)) return;
      lostBots++;
      bump(lostReasons, describeClose(code, reason));
    },
  };

  // The bots playing, as an array the driver walks each tick without an iterator, and when
  // each is due to leave (ms, performance.now).
  const live: Bot[] = [];
  const leaveAt = new Map<Bot, number>();
  // The long-gap threshold follows the server's send rate once a WELCOME gives it.
  const gaps = new GapTracker();
  let nextIndex = 0;
  let botsJoined = 0;
  let botsLeft = 0;
  let failedJoins = 0;
  let kills = 0;
  let unplannedDrops = 0;
  let tickRate = 0;
  const driver = botDriver(live, () => tickRate);
  /** A bot stops playing: its counts join the totals. */
  const retire = (bot: Bot): void => {
    kills += bot.kills;
    unplannedDrops += bot.unplannedDrops;
  };

  const lifetimeMs = () => (opts.lifetimeMinS + (nextU32(rng) / 4294967296) * (opts.lifetimeMaxS - opts.lifetimeMinS)) * 1000;
  const spawnBot = async (): Promise<void> => {
    const bot = new Bot(nextIndex++, url, 'arena', 'walk', opts.seed, sink, opts.dropRate);
    let last = Number.NaN;
    bot.client.on('snapshot', () => (last = gaps.snapshot(last, performance.now())));
    bot.client.on('drop', () => (last = Number.NaN));
    if (!(await bot.join(10_000))) {
      failedJoins++;
      bump(failedJoinReasons, bot.failure ?? 'unknown');
      return;
    }
    botsJoined++;
    if (winding) {
      bot.close();
      return;
    }
    if (tickRate === 0) {
      tickRate = bot.welcome!.tickRate;
      gaps.setSendRate(bot.welcome!.sendRate);
    }
    driver.start();
    live.push(bot);
    leaveAt.set(bot, performance.now() + lifetimeMs());
  };

  // Everyone at once to begin with, then churn.
  await Promise.all(Array.from({ length: opts.clients }, spawnBot));
  const churn = setInterval(() => {
    const now = performance.now();
    for (let i = live.length - 1; i >= 0; i--) {
      const bot = live[i];
      const gone = bot.phase !== BotPhase.Joined;
      // A bot resuming leaves once it is back, so no leave lands on a detached seat.
      if (!gone && (now < leaveAt.get(bot)! || bot.client.state !== ClientState.Open)) continue;
      live[i] = live[live.length - 1];
      live.pop();
      leaveAt.delete(bot);
      retire(bot);
      if (!gone) {
        bot.close();
        botsLeft++;
      }
      void spawnBot();
    }
  }, CHURN_MS);

  // Server samples: heap, and the totals that say whether ticks kept up.
  const samples: HealthSample[] = [];
  const errors: string[] = [];
  const sampler = setInterval(() => {
    probeHealth(health).then(
      (s) => samples.push(s),
      (err: Error) => errors.push(err.message),
    );
  }, SAMPLE_MS);
  let lastProgress = t0;
  while (performance.now() < endAt) {
    await sleep(Math.min(1000, endAt - performance.now()));
    if (performance.now() - lastProgress >= 5000) {
      lastProgress = performance.now();
      const heap = samples.at(-1)?.heapUsedBytes;
      let reconnecting = 0;
      for (const b of live) if (b.client.state === ClientState.Reconnecting) reconnecting++;
      progress(
        `[${((lastProgress - t0) / 1000).toFixed(0).padStart(5)} s] ${live.length} bots, ${botsJoined} joined, ${botsLeft} left, ${reconnecting} reconnecting, ` +
          `${resumeTimes.count} resumes, ${failedResumes} failed, ${lostBots} lost; server heap ${heap === undefined ? '?' : (heap / 1e6).toFixed(1)} MB` +
          (lastProgress < warmupEnd ? ' (warming up)' : '') +
          (failedJoins > 0 ? ` | JOINS REFUSED ${failedJoins}: ${Object.keys(failedJoinReasons).join('; ')}` : '') +
          (failedResumes > 0 ? ` | RESUMES REFUSED: ${Object.keys(resumeFailureReasons).join('; ')}` : '') +
          (lostBots > 0 ? ` | LOST: ${Object.keys(lostReasons).join('; ')}` : ''),
      );
    }
  }
  clearInterval(sampler);
  clearInterval(churn);
  const playEnd = performance.now();

  // Wind down: no more kills; let the last resumes land, so every seat is live when the bots leave.
  winding = true;
  for (const bot of live) bot.stopKilling();
  const settleBy = performance.now() + SETTLE_MS;
  while (live.some((b) => b.client.state === ClientState.Reconnecting) && performance.now() < settleBy) await sleep(100);
  driver.stop();
  for (const bot of live) {
    retire(bot);
    bot.close();
  }
  let leftover: SoakSummary['leftover'] = null;
  while (performance.now() < settleBy + SETTLE_MS) {
    try {
      const r = (await probeHealth(health)).report;
      leftover = { connections: r.connections, players: r.players, detachedPlayers: r.detachedPlayers, rooms: r.roomCount };
      if (r.connections === 0 && r.players === 0 && r.detachedPlayers === 0 && r.roomCount === 0) break;
    } catch (err) {
      errors.push((err as Error).message);
    }
    await sleep(200);
  }

  const warm = heapWindow(samples, warmupEnd - HEAP_WINDOW_MS, warmupEnd);
  const end = heapWindow(samples, playEnd - HEAP_WINDOW_MS, playEnd);
  const heapAfterWarmup = warm.floor;
  const heapAtEnd = end.floor;
  const atWarm = samples.find((s) => s.atMs >= warmupEnd);
  const atEnd = samples.at(-1);
  const totals =
    atWarm && atEnd
      ? {
          overruns: atEnd.report.totals.overruns - atWarm.report.totals.overruns,
          dropped: atEnd.report.totals.droppedSteps - atWarm.report.totals.droppedSteps,
        }
      : null;
  const heapRatio = heapAfterWarmup && heapAtEnd ? heapAtEnd / heapAfterWarmup : null;
  const sortedGaps = gaps.gaps.sorted();
  const sortedResumes = resumeTimes.sorted();
  const summarizeMs = (v: Float64Array): LatencySummary => ({
    p50: round(percentile(v, 50), 1),
    p99: round(percentile(v, 99), 1),
    max: round(v[v.length - 1] ?? Number.NaN, 1),
    samples: v.length,
  });

  const checks: SoakSummary['checks'] = [
    {
      name: 'nothing left over after the bots left',
      ok: leftover !== null && leftover.connections + leftover.players + leftover.detachedPlayers + leftover.rooms === 0,
      detail: JSON.stringify(leftover),
    },
    {
      name: 'every drop resumed',
      ok: failedResumes === 0,
      detail:
        `${resumeTimes.count} resumed, ${failedResumes} failed` + (failedResumes > 0 ? `: ${JSON.stringify(resumeFailureReasons)}` : ''),
    },
    heapCheck(opts.minutes, heapRatio),
    { name: 'no bot lost for good', ok: lostBots === 0, detail: JSON.stringify(lostReasons) },
  ];
  if (errors.length > 0) progress(`health probe errors: ${[...new Set(errors)].slice(0, 3).join('; ')}`);
  return {
    url,
    minutes: opts.minutes,
    clients: opts.clients,
    dropRate: opts.dropRate,
    botsJoined,
    botsLeft,
    failedJoins,
    failedJoinReasons,
    lostBots,
    lostReasons,
    kills,
    unplannedDrops,
    resumes: resumeTimes.count,
    failedResumes,
    resumeFailureReasons,
    resumeMs: summarizeMs(sortedResumes),
    snapshotGapMs: { ...summarizeMs(sortedGaps), long: gaps.longGaps, longThresholdMs: round(gaps.longGapMs, 1) ?? gaps.longGapMs },
    heapAfterWarmupBytes: heapAfterWarmup,
    heapAtEndBytes: heapAtEnd,
    heapAfterWarmupMedianBytes: warm.median,
    heapAtEndMedianBytes: end.median,
    heapSamples: { afterWarmup: warm.count, atEnd: end.count },
    heapRatio: heapRatio === null ? null : round(heapRatio, 3),
    tickOverruns: totals?.overruns ?? null,
    droppedTicks: totals?.dropped ?? null,
    leftover,
    checks,
    passed: checks.every((c) => c.ok),
  };
}

/** The human summary. */
/** One check of the soak: passed or failed, or, when the run cannot judge it, reported only. */
export interface SoakCheck {
  name: string;
  /** Whether it passed (true when not judged: it cannot fail the run). */
  ok: boolean;
  detail: string;
  /** False when the run is too short to judge it: printed NOT JUDGED, neither PASS nor FAIL. */
  judged?: boolean;
}

/** Shortest run whose heap is judged, minutes: under it the warm-up is too short for the heap to settle. */
export const HEAP_JUDGED_FROM_MINUTES = 2;

/** The heap check: end within 10 % of after warm-up, judged only on runs of 2 minutes or more. */
export function heapCheck(minutes: number, heapRatio: number | null): SoakCheck {
  const name = 'heap at the end within 10 % of heap after warm-up';
  if (minutes < HEAP_JUDGED_FROM_MINUTES) {
    const seen = heapRatio === null ? 'no samples' : `ratio ${heapRatio.toFixed(3)}`;
    return { name, ok: true, judged: false, detail: `${seen}; runs under ${HEAP_JUDGED_FROM_MINUTES} min are too short to judge` };
  }
  return {
    name,
    ok: heapRatio !== null && heapRatio <= 1.1,
    detail: heapRatio === null ? 'not enough heap samples' : `ratio ${heapRatio.toFixed(3)}`,
  };
}

/** A check's line in the summary: PASS, FAIL or NOT JUDGED. */
export function checkLine(c: SoakCheck): string {
  return `  ${c.judged === false ? 'NOT JUDGED' : c.ok ? 'PASS' : 'FAIL'}  ${c.name} (${c.detail})`;
}

export function formatSoak(s: SoakSummary): string {
  const mb = (b: number | null) => (b === null ? 'n/a' : `${(b / 1e6).toFixed(1)} MB`);
  const reasons = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => `${n} × ${k}`)
      .join('; ');
  return [
    `tickwire soak: ${s.minutes} min, ${s.clients} bots at once, ${s.dropRate} kills/bot/min → ${s.url}`,
    `  churn            ${s.botsJoined} bots joined, ${s.botsLeft} left and were replaced, ${s.failedJoins} failed joins, ${s.lostBots} lost for good`,
    ...(s.failedJoins > 0 ? [`  joins refused    ${reasons(s.failedJoinReasons)}`] : []),
    ...(s.lostBots > 0 ? [`  lost             ${reasons(s.lostReasons)}`] : []),
    `  drops            ${s.kills} links killed${s.unplannedDrops > 0 ? ` + ${s.unplannedDrops} dropped unasked` : ''}: ${s.resumes} resumed, ${s.failedResumes} failed` +
      `; resume p50 ${s.resumeMs.p50 ?? 'n/a'} ms, p99 ${s.resumeMs.p99 ?? 'n/a'} ms, max ${s.resumeMs.max ?? 'n/a'} ms (kill → first snapshot after the resumed WELCOME)`,
    ...(s.failedResumes > 0 ? [`  resumes refused  ${reasons(s.resumeFailureReasons)}`] : []),
    `  snapshot gaps    p50 ${s.snapshotGapMs.p50 ?? 'n/a'} ms, p99 ${s.snapshotGapMs.p99 ?? 'n/a'} ms, max ${s.snapshotGapMs.max ?? 'n/a'} ms; ` +
      `${s.snapshotGapMs.long} over ${s.snapshotGapMs.longThresholdMs} ms (3 send intervals) of ${s.snapshotGapMs.samples} gaps while links were up`,
    `  server ticks     ${s.tickOverruns ?? 'n/a'} overruns, ${s.droppedTicks ?? 'n/a'} ticks dropped after warm-up`,
    `  server heap      ${mb(s.heapAfterWarmupBytes)} after warm-up → ${mb(s.heapAtEndBytes)} at the end (ratio ${s.heapRatio ?? 'n/a'}): ` +
      `the lowest of ${s.heapSamples.afterWarmup} and ${s.heapSamples.atEnd} readings in the last 20 s of each; ` +
      `medians ${mb(s.heapAfterWarmupMedianBytes)} → ${mb(s.heapAtEndMedianBytes)}`,
    `  after leaving    ${s.leftover ? `${s.leftover.connections} connections, ${s.leftover.players} players, ${s.leftover.detachedPlayers} detached, ${s.leftover.rooms} rooms` : 'n/a'}`,
    ...s.checks.map(checkLine),
    s.passed ? 'soak passed' : 'soak FAILED',
  ].join('\n');
}
