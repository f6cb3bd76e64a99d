import type { ChatLoadFigures } from './chat-load';
import type { Behavior } from './options';
import type { ServerFigures } from './report';

/**
 * What one bots process measured, raw: counts, and every sample the summary takes a
 * percentile, median or extreme of. One process's summary is the merge of its one part; a
 * `--processes N` run merges N of them (see `mergeParts`), so percentiles come from the
 * pooled samples, never from averaging the processes' percentiles. Plain data and typed
 * arrays only: it crosses the IPC channel with the `advanced` (structured clone) serialization.
 */
export interface BotsPart {
  /** Which bots process, 0-based (0 for a single-process run). */
  processIndex: number;
  url: string;
  transport: 'ws' | 'webrtc';
  behavior: Behavior;
  /** Bots this process was given, and how many got into a room. */
  clientsRequested: number;
  clientsConnected: number;
  failureReasons: Record<string, number>;
  disconnectedDuringRun: number;
  disconnectReasons: Record<string, number>;
  /** Room id of every joined bot's room (distinct over the processes in the merge). */
  roomIds: string[];
  /** Bots per node their ticket named (`--matchmake`), or null. */
  playersPerNode: Record<string, number> | null;
  tickRateHz: number | null;
  sendRateHz: number | null;
  durationS: number;
  joinPhaseS: number;
  warmupS: number;
  windowS: number;
  clientsMeasured: number;
  /** Per measured bot over the window: snapshots, payload bytes and inputs a second. */
  snapRates: Float64Array;
  byteRates: Float64Array;
  inputRates: Float64Array;
  /** Snapshots and bytes over the window, all measured bots. */
  snapTotal: number;
  byteTotal: number;
  /** Measured bots outside the kept-up tolerance, or lost. */
  clientsBehind: number;
  /** Ticks with Fire held, and inputs sent, over the whole run (for the Fire share). */
  fireTicks: number;
  inputsSentTotal: number;
  /** Input→ack, ping and resume times, ms (raw samples, unsorted or sorted). */
  rttMs: Float64Array;
  pingMs: Float64Array;
  resumeMs: Float64Array;
  /** `--drop-rate`: abrupt link kills per bot per minute. */
  dropRatePerBotPerMinute: number;
  kills: number;
  unplannedDrops: number;
  resumes: number;
  failedResumes: number;
  resumeFailureReasons: Record<string, number>;
  netcode: NetcodeRaw;
  chat: ChatLoadFigures | null;
  /** This process's own cost over the window. */
  process: BotsProcessFigures;
  /** The server as this process probed it (null when the parent probes, or /health failed). */
  server: ServerFigures | null;
  serverErrors: string[];
}

/** The smoothness counters over the window, summed over one process's measured bots. */
export interface NetcodeRaw {
  latencyMs: number;
  jitterMs: number;
  loss: number;
  fps: number;
  corrections: number;
  correctionsOverHalfUnit: number;
  /** Largest correction since joining, any bot, world units (NaN: no bot). */
  correctionMaxUnits: number;
  frames: number;
  framesWithoutNewer: number;
  extrapolatedMs: number;
  remoteJumps: number;
  remoteEntityFrames: number;
  inputsSkipped: number;
  inputsSent: number;
  /** Per bot at the end: interpolation delay, input lead and its target, ms. */
  interpolationDelaysMs: Float64Array;
  inputLeadsMs: Float64Array;
  targetLeadsMs: Float64Array;
}

/** NetcodeRaw before any bot is counted in: the network simulator's settings, every count 0, no samples. */
export function emptyNetcodeRaw(sim: Pick<NetcodeRaw, 'latencyMs' | 'jitterMs' | 'loss' | 'fps'>): NetcodeRaw {
  return {
    latencyMs: sim.latencyMs,
    jitterMs: sim.jitterMs,
    loss: sim.loss,
    fps: sim.fps,
    corrections: 0,
    correctionsOverHalfUnit: 0,
    correctionMaxUnits: Number.NaN,
    frames: 0,
    framesWithoutNewer: 0,
    extrapolatedMs: 0,
    remoteJumps: 0,
    remoteEntityFrames: 0,
    inputsSkipped: 0,
    inputsSent: 0,
    interpolationDelaysMs: new Float64Array(0),
    inputLeadsMs: new Float64Array(0),
    targetLeadsMs: new Float64Array(0),
  };
}

/** One bots process's own cost over the measuring window. */
export interface BotsProcessFigures {
  processIndex: number;
  /** Bots this process ran. */
  clients: number;
  /** CPU of this process over the window, % of one core (null: no window). */
  cpuPercent: number | null;
  rssBytes: number;
  /** Event-loop delay p99 over the window, ms, the sampling interval taken off (null: no window). */
  eventLoopDelayP99Ms: number | null;
  /** Inputs the shared driver skipped because a bot fell more than 3 ticks behind. */
  driverSkippedInputs: number;
  /** Wake-ups of the shared input timer a second over the window (each walks every bot). */
  driverWakesPerS: number | null;
  /** Set by the merge: this process fell behind (see `FELL_BEHIND_*`). */
  fellBehind?: boolean;
}
