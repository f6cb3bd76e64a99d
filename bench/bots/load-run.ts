import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describeClose } from '../../shared/protocol/close-codes';
import { ClientState } from '../../src/sdk/client-state';
import { Bot, BotPhase, type BotSink } from './bot';
import { botDriver } from './driver';
import { ChatLoad } from './chat-load';
import { botNetwork, healthUrlFor, type BotsOptions } from './options';
import type { BotsSummary, LatencySummary, NetcodeFigures, PerClient, ServerFigures } from './report';
import { tryProbeHealth, type HealthSample } from './server-probe';
import { cpuPercent, percentile, round, SampleBuffer, summarize, withinTolerance } from './stats';

/** Snapshot rate counts as kept up within this fraction of the send rate. */
const KEPT_UP_TOLERANCE = 0.05;
/** Live progress period, ms. */
const PROGRESS_MS = 1000;
/**
 * Event-loop delay sampling period, ms. Node's histogram records the whole interval between
 * samples, so this is subtracted to get the lag (an idle loop reads ≈ 10.1 ms).
 */
const ELD_RESOLUTION_MS = 10;
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

function perClient(values: number[], digits: number): PerClient {
  const s = summarize(values);
  return { mean: round(s.mean, digits), min: round(s.min, digits), max: round(s.max, digits) };
}

/**
 * Run the bots once: connect them all (optionally ramped), drive them from one timer, measure a
 * steady window, stop, and return the summary. Progress lines go to `progress` once a second.
 *
 * ```
 * t0 ──connect all──► all joins settled ──warm-up──► [ measuring window ] ──► t0 + duration: close
 *      /health (before)                              /health          /health
 * ```
 * `stop` (e.g. on SIGINT) ends the run early; the window then closes at that moment.
 */
export async function runBots(opts: BotsOptions, progress: (line: string) => void, stop: AbortSignal): Promise<BotsSummary> {
  const t0 = performance.now();
  const endAt = t0 + opts.durationS * 1000;
  const healthUrl = healthUrlFor(opts.url);
  const serverErrors: string[] = [];

  // Before any bot connects: the heap baseline for "heap per client".
  const before = await tryProbeHealth(healthUrl, serverErrors);

  // Sized for one sample per bot per tick at 30 Hz, capped at 1 Mi samples (8 MB); it grows if needed.
  const rttWindow = new SampleBuffer(Math.min(1 << 20, opts.clients * 30 * opts.durationS));
  const rttSecond = new SampleBuffer(opts.clients * 32);
  const pingWindow = new SampleBuffer(Math.min(1 << 20, opts.clients * opts.durationS));
  // Resume times over the whole run (kills are rare: a few per bot per minute).
  const resumeTimes = new SampleBuffer(Math.max(64, Math.ceil(opts.clients * opts.dropRate * (opts.durationS / 60) * 2)));
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
  for (let i = 0; i < opts.clients; i++)
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
    const dt = (now - lastAt) / 1000;
    const per = connected > 0 && dt > 0 ? 1 / (connected * dt) : Number.NaN;
    const p50 = percentile(rttSecond.sorted(), 50);
    rttSecond.clear();
    progress(
      `[${((now - t0) / 1000).toFixed(1).padStart(6)} s] connected ${connected}/${opts.clients} failed ${failed}` +
        (failed > 0 ? ` (joins refused: ${Object.keys(failureCounts(bots)).join('; ')})` : '') +
        (opts.dropRate > 0 || reconnecting > 0 || resumeTimes.count > 0
          ? ` reconnecting ${reconnecting} resumed ${resumeTimes.count}`
          : '') +
        (resumeFailureCount > 0 ? ` RESUMES REFUSED ${resumeFailureCount} (${Object.keys(resumeFailureReasons).join('; ')})` : '') +
        ` | ${((snaps - lastSnaps) * per).toFixed(1)} snapshots/s/client | ${(((bytes - lastBytes) * per) / 1000).toFixed(1)} KB/s/client` +
        ` | rtt p50 ${Number.isNaN(p50) ? '-' : p50.toFixed(1)} ms${measuring ? ' | measuring' : ''}`,
    );
    lastSnaps = snaps;
    lastBytes = bytes;
    lastAt = now;
  }, PROGRESS_MS);

  // Connect everyone (spread over rampMs if asked); the driver starts with the first WELCOME.
  const joinTimeoutMs = opts.joinTimeoutS * 1000;
  // --matchmake: tickets from POST /matchmake at the --url's host (http for ws, https for wss).
  const matchmakeAt = opts.matchmake ? { httpBase: new URL(healthUrlFor(opts.url)).origin, roomType: opts.roomType } : undefined;
  const joins = bots.map(async (bot, i) => {
    if (opts.rampMs > 0 && opts.clients > 1) await sleep((opts.rampMs * i) / (opts.clients - 1), stop);
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

  // Warm-up, then the measuring window.
  const warmupMs = joined.length === 0 ? 0 : Math.min(opts.warmupS * 1000, Math.max(0, endAt - joinsDoneAt));
  await sleep(warmupMs, stop);
  const measured = bots.filter((b) => b.phase === BotPhase.Joined);
  let windowS = 0;
  let server: ServerFigures | null = null;
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const cpuStart = process.cpuUsage();
  let cpuMicros = 0;
  const driverStart = driver.counters;
  let chat: ChatLoad | undefined;
  if (measured.length > 0 && performance.now() < endAt && !stop.aborted) {
    const s0 = await tryProbeHealth(healthUrl, serverErrors);
    const wall0 = performance.now();
    for (const b of measured) b.markWindowStart();
    measuring = true;
    eld.enable();
    if (opts.chatRate > 0) {
      chat = new ChatLoad(measured, opts.chatRate, (endAt - wall0) / 1000 + 1);
      chat.start();
    }
    await sleep(endAt - performance.now(), stop);
    // The lines still on their way arrive while the window's figures are taken.
    const chatSettled = chat?.stop();
    measuring = false;
    const wall1 = performance.now();
    for (const b of measured) b.markWindowEnd();
    eld.disable();
    const cpu = process.cpuUsage(cpuStart);
    cpuMicros = cpu.user + cpu.system;
    windowS = (wall1 - wall0) / 1000;
    const s1 = await tryProbeHealth(healthUrl, serverErrors);
    if (s0 && s1) server = serverFigures(before, s0, s1, joined.length);
    await chatSettled;
  } else if (measured.length > 0) {
    serverErrors.push('no measuring window: the joins and warm-up used up --duration (raise --duration)');
  }

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
  const snapRates: number[] = [];
  const byteRates: number[] = [];
  const inputRates: number[] = [];
  let snapTotal = 0;
  let byteTotal = 0;
  const sendRate = measured[0]?.welcome?.sendRate ?? joined[0]?.welcome?.sendRate ?? null;
  let behind = 0;
  if (windowS > 0) {
    for (const b of measured) {
      const snaps = b.windowSnapshots;
      const bytes = b.windowBytes;
      snapTotal += snaps;
      byteTotal += bytes;
      snapRates.push(snaps / windowS);
      byteRates.push(bytes / windowS);
      inputRates.push(b.windowInputs / windowS);
      // Time a dropped link spent down (a --drop-rate kill until the first snapshot after the
      // resume) is excused: the rate is judged over the time the link was up. A bot no longer
      // in its room when the window closed is behind whatever its rate.
      const upS = Math.max(1e-3, windowS - b.windowDownMs / 1000);
      if (b.lostInWindow || sendRate === null || !withinTolerance(snaps / upS, sendRate, KEPT_UP_TOLERANCE)) behind++;
    }
  }
  const rtt = rttWindow.sorted();
  let kills = 0;
  let unplannedDrops = 0;
  let resumes = 0;
  let resumeFailures = 0;
  for (const b of bots) {
    kills += b.kills;
    unplannedDrops += b.unplannedDrops;
    resumes += b.resumes;
    resumeFailures += b.resumeFailures;
  }
  const pings = pingWindow.sorted();
  const driverEnd = driver.counters;
  return {
    url: opts.url,
    transport: opts.transport,
    behavior: opts.behavior,
    clientsRequested: opts.clients,
    clientsConnected: joined.length,
    failedJoins: opts.clients - joined.length,
    failureReasons,
    disconnectedDuringRun: disconnected,
    disconnectReasons,
    rooms: new Set(joined.map((b) => b.welcome!.roomId)).size,
    playersPerNode: opts.matchmake ? countBy(joined.map((b) => b.nodeId ?? '?')) : null,
    tickRateHz: tickRate || null,
    sendRateHz: sendRate,
    durationS: round((performance.now() - t0) / 1000, 1) ?? 0,
    joinPhaseS: round((joinsDoneAt - t0) / 1000, 2) ?? 0,
    warmupS: round(warmupMs / 1000, 2) ?? 0,
    windowS: round(windowS, 2) ?? 0,
    clientsMeasured: windowS > 0 ? measured.length : 0,
    snapshotsPerSecPerClient: perClient(snapRates, 2),
    inputsPerSecPerClient: perClient(inputRates, 2),
    downstreamBytesPerSecPerClient: perClient(byteRates, 0),
    bytesPerSnapshot: snapTotal > 0 ? round(byteTotal / snapTotal, 1) : null,
    fireTicksPct: fireTicksPct(bots),
    inputAckRttMs: latencySummary(rtt),
    pingRttMs: latencySummary(pings),
    drops: {
      ratePerBotPerMinute: opts.dropRate,
      kills,
      unplannedDrops,
      resumes,
      failedResumes: resumeFailures,
      failureReasons: resumeFailureReasons,
      // Drops still resuming RESUME_SETTLE_MS after the stop are neither.
      inFlight: kills + unplannedDrops - resumes - resumeFailures,
      resumeMs: latencySummary(resumeTimes.sorted()),
      allResumed: resumeFailures === 0,
    },
    keptUp: windowS > 0 && measured.length > 0 && behind === 0,
    clientsBehind: behind,
    keptUpTolerancePct: KEPT_UP_TOLERANCE * 100,
    server,
    serverErrors,
    netcode: netcodeFigures(opts, windowS > 0 ? measured : [], server),
    chat: chat?.figures() ?? null,
    bots: {
      cpuPercent: round(cpuPercent(cpuMicros, windowS * 1000), 1),
      rssBytes: process.memoryUsage.rss(),
      eventLoopDelayP99Ms: windowS > 0 ? round(Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS), 1) : null,
      driverSkippedInputs: driverEnd.skippedInputs - driverStart.skippedInputs,
    },
  };
}

function serverFigures(before: HealthSample | undefined, s0: HealthSample, s1: HealthSample, connected: number): ServerFigures {
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

/** The bots' smoothness over the window, added up (the network simulator's settings beside it). */
function netcodeFigures(opts: BotsOptions, measured: readonly Bot[], server: ServerFigures | null): NetcodeFigures {
  let corrections = 0;
  let visible = 0;
  let largest = 0;
  let frames = 0;
  let withoutNewer = 0;
  let extrapolatedMs = 0;
  let jumps = 0;
  let entityFrames = 0;
  let skipped = 0;
  let inputs = 0;
  const delays: number[] = [];
  const leads: number[] = [];
  const targets: number[] = [];
  for (const b of measured) {
    const w = b.windowStats;
    if (!w) continue;
    corrections += w.mispredictions;
    visible += w.correctionsOverHalfUnit;
    largest = Math.max(largest, b.client.stats.correctionMax);
    frames += w.frames;
    withoutNewer += w.framesWithoutNewer;
    extrapolatedMs += w.extrapolatedMs;
    jumps += w.remoteJumps;
    entityFrames += w.remoteEntityFrames;
    skipped += w.inputsSkipped;
    inputs += w.inputsSent;
    delays.push(b.client.interpolationDelayMs);
    const sync = b.client.tickSync;
    if (sync && !Number.isNaN(sync.leadMs)) {
      leads.push(sync.leadMs);
      targets.push(sync.targetLeadMs);
    }
  }
  const median = (v: number[]) => round(percentile(Float64Array.from(v).sort(), 50), 1);
  const windowMs = frames > 0 && opts.fps > 0 ? (frames / opts.fps) * 1000 : 0;
  return {
    latencyMs: opts.latencyMs,
    jitterMs: opts.jitterMs,
    loss: opts.loss,
    fps: opts.fps,
    corrections,
    correctionsOverHalfUnit: visible,
    correctionMaxUnits: measured.length > 0 ? round(largest, 1) : null,
    frames,
    framesWithoutNewerPct: frames > 0 ? round((withoutNewer / frames) * 100, 3) : null,
    extrapolatingPct: windowMs > 0 ? round((extrapolatedMs / windowMs) * 100, 3) : null,
    remoteJumpsPct: entityFrames > 0 ? round((jumps / entityFrames) * 100, 3) : null,
    interpolationDelayMs: median(delays),
    inputLeadMs: median(leads),
    targetLeadMs: median(targets),
    inputsLatePct: server && inputs > 0 ? round((server.inputsLate / inputs) * 100, 3) : null,
    inputsSkipped: skipped,
  };
}

/** Share of all ticks the bots ran on which they held Fire, %. */
function fireTicksPct(bots: readonly Bot[]): number | null {
  let fire = 0;
  let inputs = 0;
  for (const b of bots) {
    fire += b.fireTicks;
    inputs += b.client.stats.inputsSent;
  }
  return inputs > 0 ? round((fire / inputs) * 100, 1) : null;
}

/** p50, p99, max and count of sorted latencies, ms. */
function latencySummary(sorted: Float64Array): LatencySummary {
  return {
    p50: round(percentile(sorted, 50), 1),
    p99: round(percentile(sorted, 99), 1),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, 1),
    samples: sorted.length,
  };
}

/** How many times each value occurs. */
function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
