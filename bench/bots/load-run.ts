import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describeClose } from '../../shared/protocol/close-codes';
import { ClientState } from '../../src/sdk/client-state';
import { Bot, BotPhase, type BotSink } from './bot';
import { botDriver } from './driver';
import { ChatLoad } from './chat-load';
import { JoinSlots } from './join-slots';
import { botNetwork, healthUrlFor, type BotsOptions } from './options';
import { emptyNetcodeRaw, type BotsPart, type NetcodeRaw } from './bots-part';
import { KEPT_UP_TOLERANCE } from './merge';
import { formatProgress, type ProgressSample } from './progress';
import type { ServerFigures } from './report';
import { tryProbeHealth, type HealthSample } from './server-probe';
import { cpuPercent, round, SampleBuffer, withinTolerance } from './stats';

/** Live progress period, ms. */
const PROGRESS_MS = 1000;
/**
 * Event-loop delay sampling period, ms. Node's histogram records the whole interval between
 * samples, so this is subtracted to get the lag (an idle loop reads ≈ 10.1 ms).
 */
const ELD_RESOLUTION_MS = 10;
/**
 * Shortest measuring window worth opening, ms: rates and CPU over a few ms left of --duration
 * after slow joins would be noise (a 40 ms window once read as 1,438 % CPU).
 */
export const MIN_WINDOW_MS = 1000;
/** How long to wait for sockets to close at the end before giving up on them, ms. */
const CLOSE_WAIT_MS = 2000;
/**
 * At the stop, how long to let links killed by --drop-rate finish resuming before the bots
 * leave, ms. A resume takes the backoff's first delay (0-250 ms) plus a round trip; a bot that
 * left mid-resume would leave its seat detached on the server for the whole resume window.
 */
const RESUME_SETTLE_MS = 3000;

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Failed joins by reason, so far. */
function failureCounts(bots: readonly Bot[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of bots) if (b.phase === BotPhase.Failed) bump(out, b.failure ?? 'unknown');
  return out;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Which bots this process runs, and who sets its phases. A single process runs every bot and
 * keeps its own clock; a child of `--processes N` runs a slice and opens and closes its window
 * when the parent says, so every process measures the same window.
 */
export interface RunPlan {
  /** Which bots process this is, 0-based. */
  processIndex: number;
  /** Global index of this process's first bot (seeds and names follow it) and its count. */
  firstBot: number;
  bots: number;
  /** Probe the server's /health around the window (a parent of several probes it itself). */
  probeServer: boolean;
  /** The parent's phases; undefined: this process's warm-up and --duration. */
  gate?: RunGate;
  /** Progress as data (a child sends it to its parent) instead of a line to `progress`. */
  onProgress?: (sample: ProgressSample) => void;
}

/** Phases set by a parent process. */
export interface RunGate {
  /** Every join settled (`joined` in a room); resolves true to open the window now, false for none. */
  open(joined: number): Promise<boolean>;
  /** Resolves when the open window should close. */
  close(): Promise<void>;
  /** Resolves when the bots may leave (after the parent read the server's figures with them still in). */
  leave(): Promise<void>;
}

/** The plan of a run in one process: every bot, its own clock. */
export function singleProcessPlan(opts: BotsOptions): RunPlan {
  return { processIndex: 0, firstBot: 0, bots: opts.clients, probeServer: true };
}

/**
 * Run the bots once: connect them all (optionally ramped), drive them from one timer, measure a
 * steady window, stop, and return what was measured, raw (`mergeParts` makes the summary).
 * Progress lines go to `progress` once a second (or, with `plan.onProgress`, the data).
 *
 * ```
 * t0 ──connect all──► all joins settled ──warm-up──► [ measuring window ] ──► t0 + duration: close
 *      /health (before)                              /health          /health
 * ```
 * `stop` (e.g. on SIGINT) ends the run early; the window then closes at that moment.
 */
export async function runBots(
  opts: BotsOptions,
  progress: (line: string) => void,
  stop: AbortSignal,
  plan: RunPlan = singleProcessPlan(opts),
): Promise<BotsPart> {
  const t0 = performance.now();
  const endAt = t0 + opts.durationS * 1000;
  const healthUrl = healthUrlFor(opts.url);
  const serverErrors: string[] = [];
  const count = plan.bots;

  // Before any bot connects: the heap baseline for "heap per client".
  const before = plan.probeServer ? await tryProbeHealth(healthUrl, serverErrors) : undefined;

  // Sized for one sample per bot per tick at 30 Hz, capped at 1 Mi samples (8 MB); it grows if needed.
  const rttWindow = new SampleBuffer(Math.min(1 << 20, count * 30 * opts.durationS));
  const rttSecond = new SampleBuffer(count * 32);
  const pingWindow = new SampleBuffer(Math.min(1 << 20, count * opts.durationS));
  // Resume times over the whole run (kills are rare: a few per bot per minute).
  const resumeTimes = new SampleBuffer(Math.max(64, Math.ceil(count * opts.dropRate * (opts.durationS / 60) * 2)));
  const resumeFailureReasons: Record<string, number> = {};
  let resumeFailureCount = 0;
  let measuring = false;
  let stopping = false;
  let disconnected = 0;
  const disconnectReasons: Record<string, number> = {};
  const sink: BotSink = {
    rtt(ms) {
      rttSecond.push(ms);
      if (measuring) rttWindow.push(ms);
    },
    ping(ms) {
      if (measuring) pingWindow.push(ms);
    },
    resumed(ms) {
      resumeTimes.push(ms);
    },
    resumeFailed(reason) {
      resumeFailureCount++;
      bump(resumeFailureReasons, reason);
    },
    closed(bot, code, reason) {
      // Only sockets that drop while the run goes on: the bots' own stop and failed joins are counted elsewhere.
      if (stopping || bot.phase !== BotPhase.Closed) return;
      disconnected++;
      bump(disconnectReasons, describeClose(code, reason));
    },
  };

  const bots: Bot[] = [];
  const network = botNetwork(opts);
  for (let i = plan.firstBot; i < plan.firstBot + count; i++)
    bots.push(new Bot(i, opts.url, opts.roomType, opts.behavior, opts.seed, sink, opts.dropRate, network, opts.fps, opts.transport));
  const joined: Bot[] = [];
  let tickRate = 0;
  const driver = botDriver(joined, () => tickRate);

  // Live progress: rates over the last second, summed over bots (O(bots) once a second).
  let lastSnaps = 0;
  let lastBytes = 0;
  let lastAt = t0;
  const progressTimer = setInterval(() => {
    const now = performance.now();
    let snaps = 0;
    let bytes = 0;
    let connected = 0;
    let failed = 0;
    let reconnecting = 0;
    for (const b of bots) {
      snaps += b.client.stats.snapshots;
      bytes += b.client.stats.bytesReceived;
      if (b.phase === BotPhase.Joined) {
        connected++;
        if (b.client.state === ClientState.Reconnecting) reconnecting++;
      } else if (b.phase === BotPhase.Failed) failed++;
    }
    const sample: ProgressSample = {
      atS: (now - t0) / 1000,
      clients: count,
      connected,
      failed,
      failureKinds: failed > 0 ? Object.keys(failureCounts(bots)) : [],
      reconnecting,
      resumed: resumeTimes.count,
      resumesRefused: resumeFailureCount,
      resumeRefusedKinds: Object.keys(resumeFailureReasons),
      showDrops: opts.dropRate > 0 || reconnecting > 0 || resumeTimes.count > 0,
      snapshots: snaps - lastSnaps,
      bytes: bytes - lastBytes,
      clientSeconds: (connected * (now - lastAt)) / 1000,
      rttMs: rttSecond.sorted().slice(),
      measuring,
    };
    rttSecond.clear();
    if (plan.onProgress) plan.onProgress(sample);
    else progress(formatProgress(sample));
    lastSnaps = snaps;
    lastBytes = bytes;
    lastAt = now;
  }, PROGRESS_MS);

  // Connect everyone (spread over rampMs if asked); the driver starts with the first WELCOME.
  const joinTimeoutMs = opts.joinTimeoutS * 1000;
  // --matchmake: tickets from POST /matchmake at the --url's host (http for ws, https for wss).
  const matchmakeAt = opts.matchmake ? { httpBase: new URL(healthUrlFor(opts.url)).origin, roomType: opts.roomType } : undefined;
  // --joins-in-flight is over every bots process: each takes its share.
  const slots = new JoinSlots(Math.max(1, Math.floor(opts.joinsInFlight / opts.processes)));
  const joins = bots.map(async (bot) => {
    // Ramped by the global index, so a bot connects when it would in a single process.
    if (opts.rampMs > 0 && opts.clients > 1) await sleep((opts.rampMs * bot.index) / (opts.clients - 1), stop);
    await slots.acquire();
    try {
      if (stop.aborted) {
        bot.phase = BotPhase.Failed;
        bot.failure = 'stopped before connecting';
        return;
      }
      if (await bot.join(joinTimeoutMs, matchmakeAt)) {
        tickRate ||= bot.welcome!.tickRate;
        joined.push(bot);
        driver.start();
      }
    } finally {
      slots.release();
    }
  });
  await Promise.all(joins);
  const joinsDoneAt = performance.now();
  // --fps: every joined bot draws a frame this often, as a browser's animation frames would.
  const frameTimer =
    opts.fps > 0
      ? setInterval(() => {
          const now = performance.now();
          for (let i = 0; i < joined.length; i++) joined[i].frame(now);
        }, 1000 / opts.fps)
      : undefined;
  const failureReasons = failureCounts(bots);

  // Warm-up, then the measuring window (both set by the parent when there is one).
  const warmupMs = plan.gate || joined.length === 0 ? 0 : Math.min(opts.warmupS * 1000, Math.max(0, endAt - joinsDoneAt));
  await sleep(warmupMs, stop);
  const windowOpens = plan.gate ? await plan.gate.open(joined.length) : endAt - performance.now() >= MIN_WINDOW_MS;
  const warmedAt = performance.now();
  const measured = bots.filter((b) => b.phase === BotPhase.Joined);
  let windowS = 0;
  let server: ServerFigures | null = null;
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  let cpuStart = process.cpuUsage();
  let cpuMicros = 0;
  let driverStart = driver.counters;
  let driverWindowEnd = driverStart;
  let chat: ChatLoad | undefined;
  if (measured.length > 0 && windowOpens && !stop.aborted) {
    const s0 = plan.probeServer ? await tryProbeHealth(healthUrl, serverErrors) : undefined;
    // CPU and the timer's counters from here, not from before the probe (which may take 3 s).
    cpuStart = process.cpuUsage();
    driverStart = driver.counters;
    const wall0 = performance.now();
    for (const b of measured) b.markWindowStart();
    measuring = true;
    eld.enable();
    if (opts.chatRate > 0) {
      chat = new ChatLoad(measured, opts.chatRate, (endAt - wall0) / 1000 + 1);
      chat.start();
    }
    if (plan.gate) await plan.gate.close();
    // At least MIN_WINDOW_MS even if the /health probe above ate the rest of --duration.
    else await sleep(Math.max(MIN_WINDOW_MS, endAt - performance.now()), stop);
    // The lines still on their way arrive while the window's figures are taken.
    const chatSettled = chat?.stop();
    measuring = false;
    const wall1 = performance.now();
    for (const b of measured) b.markWindowEnd();
    eld.disable();
    const cpu = process.cpuUsage(cpuStart);
    cpuMicros = cpu.user + cpu.system;
    windowS = (wall1 - wall0) / 1000;
    driverWindowEnd = driver.counters;
    const s1 = plan.probeServer ? await tryProbeHealth(healthUrl, serverErrors) : undefined;
    if (s0 && s1) server = serverFigures(before, s0, s1, joined.length);
    await chatSettled;
  } else if (measured.length > 0 && !plan.gate) {
    serverErrors.push('no measuring window: the joins and warm-up used up --duration (raise --duration)');
  }

  if (plan.gate) await plan.gate.leave();
  // Stop: no more kills; let the resumes under way land (bounded), so they are counted and no
  // seat is left detached; then no more inputs, close every socket and wait (bounded).
  stopping = true;
  clearInterval(progressTimer);
  clearInterval(frameTimer);
  for (const b of bots) b.stopKilling();
  const settleBy = performance.now() + RESUME_SETTLE_MS;
  while (
    performance.now() < settleBy &&
    !stop.aborted &&
    bots.some((b) => b.phase === BotPhase.Joined && b.client.state === ClientState.Reconnecting)
  )
    await sleep(50);
  driver.stop();
  const closes = bots
    .filter((b) => b.phase === BotPhase.Joined || b.phase === BotPhase.Joining)
    .map(
      (b) =>
        new Promise<void>((resolve) => {
          b.client.on('close', () => resolve());
          b.close();
        }),
    );
  await Promise.race([Promise.all(closes), sleep(CLOSE_WAIT_MS)]);

  // Per-client rates over the window.
  const snapRates = new Float64Array(windowS > 0 ? measured.length : 0);
  const byteRates = new Float64Array(snapRates.length);
  const inputRates = new Float64Array(snapRates.length);
  let snapTotal = 0;
  let byteTotal = 0;
  const sendRate = measured[0]?.welcome?.sendRate ?? joined[0]?.welcome?.sendRate ?? null;
  let behind = 0;
  if (windowS > 0) {
    for (let i = 0; i < measured.length; i++) {
      const b = measured[i];
      const snaps = b.windowSnapshots;
      const bytes = b.windowBytes;
      snapTotal += snaps;
      byteTotal += bytes;
      snapRates[i] = snaps / windowS;
      byteRates[i] = bytes / windowS;
      inputRates[i] = b.windowInputs / windowS;
      // Time a dropped link spent down (a --drop-rate kill until the first snapshot after the
      // resume) is excused: the rate is judged over the time the link was up. A bot no longer
      // in its room when the window closed is behind whatever its rate.
      const upS = Math.max(1e-3, windowS - b.windowDownMs / 1000);
      if (b.lostInWindow || sendRate === null || !withinTolerance(snaps / upS, sendRate, KEPT_UP_TOLERANCE)) behind++;
    }
  }
  let kills = 0;
  let unplannedDrops = 0;
  let resumes = 0;
  let resumeFailures = 0;
  let fireTicks = 0;
  let inputsSentTotal = 0;
  for (const b of bots) {
    kills += b.kills;
    unplannedDrops += b.unplannedDrops;
    resumes += b.resumes;
    resumeFailures += b.resumeFailures;
    fireTicks += b.fireTicks;
    inputsSentTotal += b.client.stats.inputsSent;
  }
  const driverEnd = driver.counters;
  return {
    processIndex: plan.processIndex,
    url: opts.url,
    transport: opts.transport,
    behavior: opts.behavior,
    clientsRequested: count,
    clientsConnected: joined.length,
    failureReasons,
    disconnectedDuringRun: disconnected,
    disconnectReasons,
    roomIds: joined.map((b) => b.welcome!.roomId),
    playersPerNode: opts.matchmake ? countBy(joined.map((b) => b.nodeId ?? '?')) : null,
    tickRateHz: tickRate || null,
    sendRateHz: sendRate,
    durationS: round((performance.now() - t0) / 1000, 1) ?? 0,
    joinPhaseS: round((joinsDoneAt - t0) / 1000, 2) ?? 0,
    warmupS: round((warmedAt - joinsDoneAt) / 1000, 2) ?? 0,
    windowS: round(windowS, 2) ?? 0,
    clientsMeasured: windowS > 0 ? measured.length : 0,
    snapRates,
    byteRates,
    inputRates,
    snapTotal,
    byteTotal,
    clientsBehind: behind,
    fireTicks,
    inputsSentTotal,
    rttMs: rttWindow.sorted().slice(),
    pingMs: pingWindow.sorted().slice(),
    resumeMs: resumeTimes.sorted().slice(),
    dropRatePerBotPerMinute: opts.dropRate,
    kills,
    unplannedDrops,
    resumes,
    failedResumes: resumeFailures,
    resumeFailureReasons,
    netcode: netcodeRaw(opts, windowS > 0 ? measured : []),
    chat: chat?.figures() ?? null,
    process: {
      processIndex: plan.processIndex,
      clients: count,
      cpuPercent: round(cpuPercent(cpuMicros, windowS * 1000), 1),
      rssBytes: process.memoryUsage.rss(),
      eventLoopDelayP99Ms: windowS > 0 ? round(Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS), 1) : null,
      driverSkippedInputs: driverEnd.skippedInputs - driverStart.skippedInputs,
      driverWakesPerS: windowS > 0 ? round((driverWindowEnd.wakes - driverStart.wakes) / windowS, 0) : null,
    },
    server,
    serverErrors,
  };
}

/** The server over the window from the /health readings around it (and the one before any bot). */
export function serverFigures(before: HealthSample | undefined, s0: HealthSample, s1: HealthSample, connected: number): ServerFigures {
  const t0 = s0.report.totals;
  const t1 = s1.report.totals;
  return {
    cpuPercent: round(cpuPercent(s1.cpuMicros - s0.cpuMicros, s1.atMs - s0.atMs), 1),
    heapUsedBytesStart: s0.heapUsedBytes,
    heapUsedBytesEnd: s1.heapUsedBytes,
    rssBytesEnd: s1.rssBytes,
    heapGrowthPerClientBytes: before && connected > 0 ? Math.round((s0.heapUsedBytes - before.heapUsedBytes) / connected) : null,
    players: s1.report.players,
    roomCount: s1.report.roomCount,
    snapshotsSkipped: t1.snapshotsSkipped - t0.snapshotsSkipped,
    snapshotsSent: t1.snapshotsSent - t0.snapshotsSent,
    fullSnapshots: t1.fullSnapshots - t0.fullSnapshots,
    budgetBites: t1.budgetBites - t0.budgetBites,
    bodiesEncoded: t1.bodiesEncoded - t0.bodiesEncoded,
    ticks: t1.ticks - t0.ticks,
    tickOverruns: t1.overruns - t0.overruns,
    droppedTicks: t1.droppedSteps - t0.droppedSteps,
    inputsLate: t1.inputsLate - t0.inputsLate,
    inputsTooEarly: t1.inputsTooEarly - t0.inputsTooEarly,
    inputsStarved: t1.inputsStarved - t0.inputsStarved,
  };
}

/** The bots' smoothness counters over the window, added up (the network simulator's settings beside them). */
function netcodeRaw(opts: BotsOptions, measured: readonly Bot[]): NetcodeRaw {
  const raw = emptyNetcodeRaw(opts);
  const delays: number[] = [];
  const leads: number[] = [];
  const targets: number[] = [];
  for (const b of measured) {
    const w = b.windowStats;
    if (!w) continue;
    raw.corrections += w.mispredictions;
    raw.correctionsOverHalfUnit += w.correctionsOverHalfUnit;
    const largest = b.client.stats.correctionMax;
    if (Number.isNaN(raw.correctionMaxUnits) || largest > raw.correctionMaxUnits) raw.correctionMaxUnits = largest;
    raw.frames += w.frames;
    raw.framesWithoutNewer += w.framesWithoutNewer;
    raw.extrapolatedMs += w.extrapolatedMs;
    raw.remoteJumps += w.remoteJumps;
    raw.remoteEntityFrames += w.remoteEntityFrames;
    raw.inputsSkipped += w.inputsSkipped;
    raw.inputsSent += w.inputsSent;
    delays.push(b.client.interpolationDelayMs);
    const sync = b.client.tickSync;
    if (sync && !Number.isNaN(sync.leadMs)) {
      leads.push(sync.leadMs);
      targets.push(sync.targetLeadMs);
    }
  }
  raw.interpolationDelaysMs = Float64Array.from(delays);
  raw.inputLeadsMs = Float64Array.from(leads);
  raw.targetLeadsMs = Float64Array.from(targets);
  return raw;
}

/** How many times each value occurs. */
function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
