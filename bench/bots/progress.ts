import { percentile } from '../lib/stats';

/**
 * One bots process's last second, for the live progress line. Counts are summable, so the
 * line of a `--processes N` run is the sum of the N processes' samples (see
 * {@link mergeProgress}); the RTT median is taken over their pooled samples.
 */
export interface ProgressSample {
  /** Seconds since the run started. */
  atS: number;
  clients: number;
  connected: number;
  failed: number;
  /** Distinct reasons of the refused joins so far. */
  failureKinds: string[];
  reconnecting: number;
  resumed: number;
  resumesRefused: number;
  resumeRefusedKinds: string[];
  /** Show the reconnecting/resumed part (--drop-rate, or drops seen). */
  showDrops: boolean;
  /** Snapshots and bytes received over the last period, all bots. */
  snapshots: number;
  bytes: number;
  /** Σ connected bots × period, client-seconds: divides the totals into per-client rates. */
  clientSeconds: number;
  /** Input→ack round trips timed over the last period, ms. */
  rttMs: Float64Array;
  measuring: boolean;
}

/** The samples of several processes as one (the latest of each). */
export function mergeProgress(samples: readonly ProgressSample[]): ProgressSample {
  const union = (f: (s: ProgressSample) => string[]) => [...new Set(samples.flatMap(f))];
  const sum = (f: (s: ProgressSample) => number) => samples.reduce((t, s) => t + f(s), 0);
  const rtt = new Float64Array(sum((s) => s.rttMs.length));
  let at = 0;
  for (const s of samples) {
    rtt.set(s.rttMs, at);
    at += s.rttMs.length;
  }
  return {
    atS: samples.reduce((m, s) => Math.max(m, s.atS), 0),
    clients: sum((s) => s.clients),
    connected: sum((s) => s.connected),
    failed: sum((s) => s.failed),
    failureKinds: union((s) => s.failureKinds),
    reconnecting: sum((s) => s.reconnecting),
    resumed: sum((s) => s.resumed),
    resumesRefused: sum((s) => s.resumesRefused),
    resumeRefusedKinds: union((s) => s.resumeRefusedKinds),
    showDrops: samples.some((s) => s.showDrops),
    snapshots: sum((s) => s.snapshots),
    bytes: sum((s) => s.bytes),
    clientSeconds: sum((s) => s.clientSeconds),
    rttMs: rtt,
    measuring: samples.some((s) => s.measuring),
  };
}

/** The progress line (stderr, once a second). `processes` > 1 adds how many are reporting. */
export function formatProgress(s: ProgressSample, processes = 1, reporting = processes): string {
  const per = s.clientSeconds > 0 ? 1 / s.clientSeconds : Number.NaN;
  const rate = (v: number, scale: number) => (Number.isNaN(per) ? '-' : ((v * per) / scale).toFixed(1));
  const p50 = percentile(s.rttMs.sort(), 50);
  return (
    `[${s.atS.toFixed(1).padStart(6)} s] connected ${s.connected}/${s.clients} failed ${s.failed}` +
    (s.failed > 0 ? ` (joins refused: ${s.failureKinds.join('; ')})` : '') +
    (s.showDrops ? ` reconnecting ${s.reconnecting} resumed ${s.resumed}` : '') +
    (s.resumesRefused > 0 ? ` RESUMES REFUSED ${s.resumesRefused} (${s.resumeRefusedKinds.join('; ')})` : '') +
    ` | ${rate(s.snapshots, 1)} snapshots/s/client | ${rate(s.bytes, 1000)} KB/s/client` +
    ` | rtt p50 ${Number.isNaN(p50) ? '-' : p50.toFixed(1)} ms${s.measuring ? ' | measuring' : ''}` +
    (processes > 1 ? ` | ${reporting}/${processes} bots processes` : '')
  );
}
