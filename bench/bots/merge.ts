import type { BotsPart, BotsProcessFigures } from './bots-part';
import type { BotsSummary, LatencySummary, PerClient, ServerFigures } from './report';
import { median, medianOfSorted, percentile } from '../lib/stats';
import { round, summarize } from './stats';

/** Snapshot rate counts as kept up within this fraction of the send rate. */
export const KEPT_UP_TOLERANCE = 0.05;
/**
 * A bots process whose event-loop delay p99 over the window is above this, ms, fell behind:
 * its bots read snapshots and sent inputs that late, so its latencies and rates measure it,
 * not the server. 50 ms is a tick and a half at 30 Hz.
 */
export const FELL_BEHIND_LAG_P99_MS = 50;
/** … or whose CPU over the window was at least this share of one core, %: it had no slack left. */
export const FELL_BEHIND_CPU_PERCENT = 95;

/** Whether one bots process fell behind (see {@link FELL_BEHIND_LAG_P99_MS}). */
export function processFellBehind(p: BotsProcessFigures): boolean {
  return (
    (p.eventLoopDelayP99Ms !== null && p.eventLoopDelayP99Ms > FELL_BEHIND_LAG_P99_MS) ||
    (p.cpuPercent !== null && p.cpuPercent >= FELL_BEHIND_CPU_PERCENT)
  );
}

/**
 * One summary from the parts of one run (one per bots process): counts summed, per-client
 * rates and latency percentiles taken over the pooled values of every process, medians over
 * every bot. `server` is the server as probed over the window (by the one process, or by the
 * parent of several).
 */
export function mergeParts(parts: readonly BotsPart[], server: ServerFigures | null, serverErrors: readonly string[]): BotsSummary {
  if (parts.length === 0) throw new RangeError('mergeParts needs at least one part');
  const first = parts[0];
  const sum = (f: (p: BotsPart) => number) => parts.reduce((s, p) => s + f(p), 0);
  const max = (f: (p: BotsPart) => number) => parts.reduce((m, p) => Math.max(m, f(p)), 0);
  const pooled = (f: (p: BotsPart) => Float64Array) => concat(parts.map(f));
  const addUp = (f: (p: BotsPart) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const p of parts) for (const [k, n] of Object.entries(f(p))) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  const firstOf = <T>(f: (p: BotsPart) => T | null): T | null => {
    for (const p of parts) {
      const v = f(p);
      if (v !== null) return v;
    }
    return null;
  };

  const clientsRequested = sum((p) => p.clientsRequested);
  const clientsConnected = sum((p) => p.clientsConnected);
  const clientsMeasured = sum((p) => p.clientsMeasured);
  const clientsBehind = sum((p) => p.clientsBehind);
  const snapTotal = sum((p) => p.snapTotal);
  const byteTotal = sum((p) => p.byteTotal);
  const fireTicks = sum((p) => p.fireTicks);
  const inputsSentTotal = sum((p) => p.inputsSentTotal);
  const kills = sum((p) => p.kills);
  const unplannedDrops = sum((p) => p.unplannedDrops);
  const resumes = sum((p) => p.resumes);
  const failedResumes = sum((p) => p.failedResumes);
  // Drops neither resumed nor refused when the bots left: still resuming after the settle wait.
  const inFlight = kills + unplannedDrops - resumes - failedResumes;
  const playersPerNode = parts.some((p) => p.playersPerNode !== null) ? addUp((p) => p.playersPerNode ?? {}) : null;

  const processes = parts.map((p) => ({ ...p.process, fellBehind: processFellBehind(p.process) }));
  const eld = processes.map((p) => p.eventLoopDelayP99Ms).filter((v): v is number => v !== null);
  const cpu = processes.map((p) => p.cpuPercent).filter((v): v is number => v !== null);

  const n = parts.map((p) => p.netcode);
  const nc = n[0];
  const frames = n.reduce((s, x) => s + x.frames, 0);
  const withoutNewer = n.reduce((s, x) => s + x.framesWithoutNewer, 0);
  const extrapolatedMs = n.reduce((s, x) => s + x.extrapolatedMs, 0);
  const entityFrames = n.reduce((s, x) => s + x.remoteEntityFrames, 0);
  const jumps = n.reduce((s, x) => s + x.remoteJumps, 0);
  const inputs = n.reduce((s, x) => s + x.inputsSent, 0);
  // The largest over the processes that measured any (NaN: none did).
  let correctionMax = Number.NaN;
  for (const x of n)
    if (!Number.isNaN(x.correctionMaxUnits) && !(x.correctionMaxUnits <= correctionMax)) correctionMax = x.correctionMaxUnits;
  const windowMs = frames > 0 && nc.fps > 0 ? (frames / nc.fps) * 1000 : 0;
  const windowS = max((p) => p.windowS);

  return {
    url: first.url,
    transport: first.transport,
    behavior: first.behavior,
    processes: parts.length,
    clientsRequested,
    clientsConnected,
    failedJoins: clientsRequested - clientsConnected,
    failureReasons: addUp((p) => p.failureReasons),
    disconnectedDuringRun: sum((p) => p.disconnectedDuringRun),
    disconnectReasons: addUp((p) => p.disconnectReasons),
    rooms: new Set(parts.flatMap((p) => p.roomIds)).size,
    playersPerNode,
    tickRateHz: firstOf((p) => p.tickRateHz),
    sendRateHz: firstOf((p) => p.sendRateHz),
    durationS: max((p) => p.durationS),
    joinPhaseS: max((p) => p.joinPhaseS),
    warmupS: max((p) => p.warmupS),
    windowS,
    clientsMeasured,
    snapshotsPerSecPerClient: perClient(
      pooled((p) => p.snapRates),
      2,
    ),
    inputsPerSecPerClient: perClient(
      pooled((p) => p.inputRates),
      2,
    ),
    downstreamBytesPerSecPerClient: perClient(
      pooled((p) => p.byteRates),
      0,
    ),
    bytesPerSnapshot: snapTotal > 0 ? round(byteTotal / snapTotal, 1) : null,
    fireTicksPct: inputsSentTotal > 0 ? round((fireTicks / inputsSentTotal) * 100, 1) : null,
    inputAckRttMs: latencySummary(pooled((p) => p.rttMs)),
    pingRttMs: latencySummary(pooled((p) => p.pingMs)),
    drops: {
      ratePerBotPerMinute: first.dropRatePerBotPerMinute,
      kills,
      unplannedDrops,
      resumes,
      failedResumes,
      failureReasons: addUp((p) => p.resumeFailureReasons),
      inFlight,
      resumeMs: latencySummary(pooled((p) => p.resumeMs)),
      // Every drop resumed only if none failed AND none was still resuming when the bots left.
      allResumed: failedResumes === 0 && inFlight === 0,
    },
    keptUp: windowS > 0 && clientsMeasured > 0 && clientsBehind === 0 && parts.every((p) => p.windowS > 0 || p.clientsMeasured === 0),
    clientsBehind,
    keptUpTolerancePct: KEPT_UP_TOLERANCE * 100,
    server,
    serverErrors: [...new Set([...serverErrors, ...parts.flatMap((p) => p.serverErrors)])],
    netcode: {
      latencyMs: nc.latencyMs,
      jitterMs: nc.jitterMs,
      loss: nc.loss,
      fps: nc.fps,
      corrections: n.reduce((s, x) => s + x.corrections, 0),
      correctionsOverHalfUnit: n.reduce((s, x) => s + x.correctionsOverHalfUnit, 0),
      correctionMaxUnits: round(correctionMax, 1),
      frames,
      framesWithoutNewerPct: frames > 0 ? round((withoutNewer / frames) * 100, 3) : null,
      extrapolatingPct: windowMs > 0 ? round((extrapolatedMs / windowMs) * 100, 3) : null,
      remoteJumpsPct: entityFrames > 0 ? round((jumps / entityFrames) * 100, 3) : null,
      interpolationDelayMs: roundedMedian(concat(n.map((x) => x.interpolationDelaysMs))),
      inputLeadMs: roundedMedian(concat(n.map((x) => x.inputLeadsMs))),
      targetLeadMs: roundedMedian(concat(n.map((x) => x.targetLeadsMs))),
      inputsLatePct: server && inputs > 0 ? round((server.inputsLate / inputs) * 100, 3) : null,
      inputsSkipped: n.reduce((s, x) => s + x.inputsSkipped, 0),
    },
    chat: parts.length === 1 ? first.chat : null,
    bots: {
      cpuPercent:
        cpu.length > 0
          ? round(
              cpu.reduce((s, v) => s + v, 0),
              1,
            )
          : null,
      rssBytes: processes.reduce((s, p) => s + p.rssBytes, 0),
      eventLoopDelayP99Ms: eld.length > 0 ? Math.max(...eld) : null,
      driverSkippedInputs: processes.reduce((s, p) => s + p.driverSkippedInputs, 0),
      processes,
      fellBehind: processes.some((p) => p.fellBehind),
      fellBehindLagP99Ms: FELL_BEHIND_LAG_P99_MS,
      fellBehindCpuPercent: FELL_BEHIND_CPU_PERCENT,
    },
  };
}

/** Mean, median, min and max of per-client values. */
export function perClient(values: Float64Array, digits: number): PerClient {
  const s = summarize(values);
  return {
    mean: round(s.mean, digits),
    median: round(median(values), digits),
    min: round(s.min, digits),
    max: round(s.max, digits),
  };
}

/** p50, p99, max and count of latencies, ms (sorts `samples` in place). */
export function latencySummary(samples: Float64Array): LatencySummary {
  const sorted = samples.sort();
  return {
    p50: round(percentile(sorted, 50), 1),
    p99: round(percentile(sorted, 99), 1),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, 1),
    samples: sorted.length,
  };
}

/** The median of `values` to 0.1 (sorts them in place). */
function roundedMedian(values: Float64Array): number | null {
  return round(medianOfSorted(values.sort()), 1);
}

/** The arrays end to end, in a new array. */
function concat(arrays: readonly Float64Array[]): Float64Array {
  if (arrays.length === 1) return arrays[0];
  const out = new Float64Array(arrays.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
