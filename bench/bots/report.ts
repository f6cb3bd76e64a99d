import type { BotsProcessFigures } from './bots-part';
import type { ChatLoadFigures } from './chat-load';
import type { Behavior } from './options';

/** Mean / min / max of a per-client figure. */
export interface PerClient {
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
}

/**
 * The result of one bots run: what `--json` prints and what the human summary shows.
 * Rates are per second over the measuring window; CPU is a percentage of one core.
 */
/** Percentiles of one latency, ms (null without samples). */
export interface LatencySummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
  samples: number;
}

export interface BotsSummary {
  url: string;
  behavior: Behavior;
  /** Bots processes the bots ran in (`--processes`), each with its share of the clients. */
  processes: number;
  clientsRequested: number;
  clientsConnected: number;
  failedJoins: number;
  /** Failed joins by reason (close code and reason, or "join timeout"). */
  failureReasons: Record<string, number>;
  /** Bots whose socket closed while the run went on (not by the bots' own stop). */
  disconnectedDuringRun: number;
  disconnectReasons: Record<string, number>;
  /** Distinct rooms the bots were put in. */
  rooms: number;
  tickRateHz: number | null;
  sendRateHz: number | null;
  durationS: number;
  /** From the first connect until every join had succeeded or failed, s. */
  joinPhaseS: number;
  warmupS: number;
  /** Length of the measuring window, s. */
  windowS: number;
  /** Bots measured: those in a room when the window opened. */
  clientsMeasured: number;
  snapshotsPerSecPerClient: PerClient;
  inputsPerSecPerClient: PerClient;
  /** WebSocket payload bytes received per second per client (frame and TCP headers excluded). */
  downstreamBytesPerSecPerClient: PerClient;
  bytesPerSnapshot: number | null;
  /**
   * Input sent → a snapshot acknowledging it, ms: the network both ways, the wait for the
   * server's next tick (0-1 tick), any input queued ahead of it, and both event loops.
   * Inputs sent before a drop and acknowledged after the resume are left out: their wait is
   * the outage, which `drops.resumeMs` reports.
   */
  inputAckRttMs: LatencySummary;
  /** PING → PONG, ms: the network both ways and both event loops, no tick wait. */
  pingRttMs: LatencySummary;
  /** Abrupt link kills (--drop-rate) and how the SDK resumed from them. */
  drops: DropFigures;
  /** Share of bot ticks with Fire held, % (fight bots; 0 for walkers). */
  fireTicksPct: number | null;
  /** Every measured bot stayed connected and got snapshots within `keptUpTolerancePct` of the send rate. */
  keptUp: boolean;
  clientsBehind: number;
  keptUpTolerancePct: number;
  server: ServerFigures | null;
  /** Why server figures are missing or partial (e.g. /health unreachable). */
  serverErrors: string[];
  /** How the bots reached the server. */
  transport: 'ws' | 'webrtc';
  /** Bots per node their matchmaking ticket named (`--matchmake`), or null. */
  playersPerNode: Record<string, number> | null;
  /** How the game felt: the simulated network, and the smoothness the bots measured in the window. */
  netcode: NetcodeFigures;
  /** Lobby chat under load (`--chat-rate`), or null. */
  chat: ChatLoadFigures | null;
  bots: BotsFigures;
}

/** The bots' own cost over the window, over every bots process and per process. */
export interface BotsFigures {
  /** Summed over the processes, % of one core (two busy processes read up to 200). */
  cpuPercent: number | null;
  rssBytes: number;
  /** The worst process's event-loop delay p99, ms. */
  eventLoopDelayP99Ms: number | null;
  driverSkippedInputs: number;
  processes: BotsProcessFigures[];
  /**
   * Some bots process fell behind (event-loop delay p99 over `fellBehindLagP99Ms` or CPU at
   * `fellBehindCpuPercent` of a core or more): the rates and latencies then measure the bots,
   * not the server.
   */
  fellBehind: boolean;
  fellBehindLagP99Ms: number;
  fellBehindCpuPercent: number;
}

/** Smoothness over the measuring window, added up over the bots (see `--fps`). */
export interface NetcodeFigures {
  /** The simulated network: added round trip, ms; ± per one-way message, ms; loss each way. */
  latencyMs: number;
  jitterMs: number;
  loss: number;
  fps: number;
  /** Predictions the server corrected, any size; those over half a world unit; the largest, units. */
  corrections: number;
  correctionsOverHalfUnit: number;
  correctionMaxUnits: number | null;
  /** Frames drawn; the share with no newer snapshot to move towards, %. */
  frames: number;
  framesWithoutNewerPct: number | null;
  /** Share of the time remote entities were drawn extrapolated, %. */
  extrapolatingPct: number | null;
  /** Share of remote entity-frames that jumped (moved over twice what their motion allows), %. */
  remoteJumpsPct: number | null;
  /** Medians over the bots at the end: the interpolation delay, and the input lead and its target, ms. */
  interpolationDelayMs: number | null;
  inputLeadMs: number | null;
  targetLeadMs: number | null;
  /** Inputs that reached the server after their tick, % of inputs sent (server-wide, from /health). */
  inputsLatePct: number | null;
  /** Input ticks the bots' input clocks jumped over. */
  inputsSkipped: number;
}

/** Kills and resumes over the whole run (not only the window). */
export interface DropFigures {
  ratePerBotPerMinute: number;
  /** Links the bots killed. */
  kills: number;
  /** Links that dropped without a kill (liveness or heartbeat timeouts); resumed like kills. */
  unplannedDrops: number;
  /** Drops (kills and unplanned) that resumed. */
  resumes: number;
  failedResumes: number;
  failureReasons: Record<string, number>;
  /** Drops still resuming 3 s after the stop (the bots wait that long for resumes under way). */
  inFlight: number;
  /** From the kill (or unplanned drop) to the first snapshot after the resumed WELCOME, ms. */
  resumeMs: LatencySummary;
  /** Every drop resumed: none failed and none was still resuming when the bots left. */
  allResumed: boolean;
}

/** From the server's GET /health, sampled when the window opened and when it closed. */
export interface ServerFigures {
  cpuPercent: number | null;
  heapUsedBytesStart: number;
  heapUsedBytesEnd: number;
  rssBytesEnd: number;
  /**
   * (heap with the bots joined − heap before any bot connected) / clients connected, bytes.
   * Rough: GC timing moves it by megabytes. Null without the before-sample.
   */
  heapGrowthPerClientBytes: number | null;
  players: number;
  roomCount: number;
  /** Counted during the window: snapshots skipped for backpressure, tick-loop overruns, ticks dropped. */
  snapshotsSkipped: number;
  /** Counted during the window: snapshots sent, those sent full (no baseline), those the budget trimmed, bodies encoded, room ticks. */
  snapshotsSent: number;
  fullSnapshots: number;
  budgetBites: number;
  bodiesEncoded: number;
  ticks: number;
  tickOverruns: number;
  droppedTicks: number;
  /** Counted during the window: inputs that came after their tick, stamped too far ahead (dropped), and player-ticks with no input. */
  inputsLate: number;
  inputsTooEarly: number;
  inputsStarved: number;
}

const fmt = (v: number | null, digits = 1): string =>
  v === null ? 'n/a' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const kb = (bytes: number | null): string => (bytes === null ? 'n/a' : fmt(bytes / 1000, 1));
const mb = (bytes: number): string => fmt(bytes / 1e6, 1);
const reasons = (r: Record<string, number>): string =>
  Object.entries(r)
    .map(([k, n]) => `${n} × ${k}`)
    .join('; ');

/** The human-readable summary (several lines, no trailing newline). KB = 1000 bytes. */
export function formatSummary(s: BotsSummary): string {
  const lines: string[] = [];
  lines.push(
    `tickwire bots: ${s.clientsRequested} ${s.behavior} bots → ${s.url} over ${s.transport === 'webrtc' ? 'WebRTC' : 'WebSocket'}` +
      (s.processes > 1 ? ` from ${s.processes} bots processes` : ''),
  );
  lines.push(
    `  clients          ${s.clientsConnected} connected, ${s.failedJoins} failed joins, ${s.rooms} room(s), ${s.disconnectedDuringRun} disconnected during the run`,
    ...(s.playersPerNode
      ? [
          `  per node         ${Object.entries(s.playersPerNode)
            .map(([node, n]) => `${node}: ${n}`)
            .join(', ')} (matchmade)`,
        ]
      : []),
  );
  if (s.failedJoins > 0) lines.push(`  join failures    ${reasons(s.failureReasons)}`);
  if (s.disconnectedDuringRun > 0) lines.push(`  disconnects      ${reasons(s.disconnectReasons)}`);
  lines.push(
    `  window           ${fmt(s.windowS)} s measured over ${s.clientsMeasured} clients (joins took ${fmt(s.joinPhaseS)} s, then ${fmt(s.warmupS)} s warm-up); tick ${s.tickRateHz ?? 'n/a'} Hz, send ${s.sendRateHz ?? 'n/a'} Hz`,
  );
  const snap = s.snapshotsPerSecPerClient;
  lines.push(
    `  snapshots/s      ${fmt(snap.mean, 2)} per client (min ${fmt(snap.min, 2)}, median ${fmt(snap.median, 2)}, max ${fmt(snap.max, 2)}) vs send rate ${s.sendRateHz ?? 'n/a'} Hz: ` +
      (s.keptUp
        ? `every bot kept up (within ${s.keptUpTolerancePct}%)`
        : `${s.clientsBehind} bot(s) outside ${s.keptUpTolerancePct}% or disconnected`),
  );
  lines.push(
    `  inputs/s         ${fmt(s.inputsPerSecPerClient.mean, 2)} per client (min ${fmt(s.inputsPerSecPerClient.min, 2)})` +
      (s.behavior === 'fight' ? `, Fire held on ${fmt(s.fireTicksPct)} % of ticks` : ''),
  );
  const down = s.downstreamBytesPerSecPerClient;
  lines.push(
    `  downstream       ${kb(down.mean)} KB/s per client (min ${kb(down.min)}, max ${kb(down.max)}), ${fmt(s.bytesPerSnapshot, 0)} B per snapshot`,
  );
  const rtt = s.inputAckRttMs;
  lines.push(
    `  input→ack RTT    p50 ${fmt(rtt.p50)} ms, p99 ${fmt(rtt.p99)} ms, max ${fmt(rtt.max)} ms (${rtt.samples.toLocaleString('en-US')} samples; includes the wait for the next tick` +
      (s.drops.kills + s.drops.unplannedDrops > 0 ? '; inputs caught in a drop are left out' : '') +
      ')',
  );
  const ping = s.pingRttMs;
  lines.push(
    `  ping RTT         p50 ${fmt(ping.p50)} ms, p99 ${fmt(ping.p99)} ms, max ${fmt(ping.max)} ms (${ping.samples.toLocaleString('en-US')} samples; network and event loops only)`,
  );
  const d = s.drops;
  if (d.ratePerBotPerMinute > 0 || d.unplannedDrops > 0 || d.failedResumes > 0) {
    lines.push(
      `  drops            ${d.kills} links killed (${d.ratePerBotPerMinute}/bot/min)` +
        (d.unplannedDrops > 0 ? ` + ${d.unplannedDrops} dropped unasked` : '') +
        `: ${d.resumes} resumed, ${d.failedResumes} failed, ${d.inFlight} still resuming 3 s after the stop — ` +
        (d.allResumed ? 'every drop resumed' : `NOT every drop resumed: ${notResumed(d)}`),
    );
    lines.push(
      `  resume time      p50 ${fmt(d.resumeMs.p50)} ms, p99 ${fmt(d.resumeMs.p99)} ms, max ${fmt(d.resumeMs.max)} ms (kill → first snapshot after the resumed WELCOME, ${d.resumeMs.samples} resumes)`,
    );
    lines.push(
      "                   a link's downtime is excused from the snapshot-rate check: each bot's rate is judged over the time its link was up",
    );
  }
  const sv = s.server;
  if (sv) {
    lines.push(
      `  server           CPU ${fmt(sv.cpuPercent)} % of one core; heap ${mb(sv.heapUsedBytesStart)} → ${mb(sv.heapUsedBytesEnd)} MB, rss ${mb(sv.rssBytesEnd)} MB; ` +
        `heap growth ≈ ${sv.heapGrowthPerClientBytes === null ? 'n/a' : kb(sv.heapGrowthPerClientBytes)} KB per client (rough)`,
    );
    lines.push(
      `                   ${sv.players} players in ${sv.roomCount} room(s); during the window: ${sv.snapshotsSkipped} snapshots skipped, ${sv.tickOverruns} tick overruns, ${sv.droppedTicks} ticks dropped`,
    );
    const pct = (n: number) => (sv.snapshotsSent > 0 ? fmt((n / sv.snapshotsSent) * 100, 2) : 'n/a');
    lines.push(
      `  replication      ${pct(sv.fullSnapshots)} % full snapshots, budget bit ${pct(sv.budgetBites)} %, ${sv.ticks > 0 ? fmt(sv.bodiesEncoded / sv.ticks, 1) : 'n/a'} bodies encoded per room tick`,
    );
  } else {
    lines.push('  server           no figures (GET /health failed)');
  }
  if (s.serverErrors.length > 0) lines.push(`  server probe     ${s.serverErrors.join('; ')}`);
  const n = s.netcode;
  if (n.latencyMs > 0 || n.jitterMs > 0 || n.loss > 0) {
    lines.push(
      `  network          simulated by each bot's SDK: +${fmt(n.latencyMs, 0)} ms round trip, ±${fmt(n.jitterMs, 0)} ms each way, ${fmt(n.loss * 100, 1)} % loss each way`,
    );
  }
  lines.push(
    `  inputs           lead ${fmt(n.inputLeadMs)} ms (target ${fmt(n.targetLeadMs)} ms, medians), ${fmt(n.inputsLatePct, 3)} % late at the server` +
      `${s.server ? `, ${s.server.inputsTooEarly} dropped as too early` : ''}, ${n.inputsSkipped} skipped by the input clocks`,
  );
  if (n.fps > 0) {
    lines.push(
      `  smoothness       ${n.corrections} corrections (${n.correctionsOverHalfUnit} over 0.5 units, largest since joining ${fmt(n.correctionMaxUnits)} units); ${n.frames.toLocaleString('en-US')} frames at ${n.fps} fps`,
    );
    lines.push(
      `                   ${fmt(n.framesWithoutNewerPct, 3)} % with nothing newer to move towards, ` +
        `${fmt(n.extrapolatingPct, 3)} % of the time extrapolating, ` +
        `${fmt(n.remoteJumpsPct, 3)} % of remote entity-frames jumped; interpolation delay ${fmt(n.interpolationDelayMs)} ms (median)`,
    );
  }
  const c = s.chat;
  if (c) {
    lines.push(
      `  lobby chat       ${c.linesSent} lines at ${c.ratePerSecond}/s (${Object.keys(c.linesRejected).length ? `refused: ${reasons(c.linesRejected)}` : 'none refused'}); ` +
        `${c.deliveries.toLocaleString('en-US')} of ${c.deliveriesExpected.toLocaleString('en-US')} deliveries (${c.missing} missing), ${c.botsComplete}/${s.clientsMeasured} bots got every line`,
    );
    lines.push(
      `                   send → arrival p50 ${fmt(c.latencyMs.p50)} ms, p99 ${fmt(c.latencyMs.p99)} ms, max ${fmt(c.latencyMs.max)} ms (${c.latencyMs.samples.toLocaleString('en-US')} deliveries)`,
    );
  }
  lines.push(...botsLines(s.bots));
  return lines.join('\n');
}

/** Why not every drop resumed: refusals by reason, and those still resuming when the bots left. */
function notResumed(d: DropFigures): string {
  const parts: string[] = [];
  if (d.failedResumes > 0) parts.push(reasons(d.failureReasons));
  if (d.inFlight > 0) parts.push(`${d.inFlight} still resuming when the bots left`);
  return parts.join('; ');
}

/** The bots' own cost: one line per bots process, and the verdict when one fell behind. */
function botsLines(b: BotsFigures): string[] {
  const lines: string[] = [];
  const several = b.processes.length > 1;
  for (const p of b.processes) {
    lines.push(
      `  ${several ? `bots process ${p.processIndex}`.padEnd(16) : 'bots process    '} ${several ? `${p.clients} bots, ` : ''}CPU ${fmt(p.cpuPercent)} % of one core, rss ${mb(p.rssBytes)} MB, event-loop delay p99 ${fmt(p.eventLoopDelayP99Ms)} ms, ${p.driverSkippedInputs} inputs skipped (a bot more than 3 ticks behind), input timer ${fmt(p.driverWakesPerS, 0)} wake-ups/s`,
    );
  }
  for (const p of b.processes) {
    if (!p.fellBehind) continue;
    lines.push(
      `  bots behind      bots process ${p.processIndex} fell behind (loop lag p99 ${fmt(p.eventLoopDelayP99Ms)} ms, CPU ${fmt(p.cpuPercent)} %): the figures measure the bots, not the server` +
        ` (limits: lag p99 ${b.fellBehindLagP99Ms} ms, CPU ${b.fellBehindCpuPercent} %; ` +
        // Lagging without using its core: it was waiting for a CPU, which more processes do not fix.
        (p.cpuPercent !== null && p.cpuPercent < b.fellBehindCpuPercent
          ? 'it lagged with CPU to spare on its core: the machine is short of cores)'
          : `its core was full${b.processes.length === 1 ? ': try --processes auto' : ''})`),
    );
  }
  return lines;
}
