import Benchmark from 'benchmark';

/**
 * How long each benchmark runs. Benchmark.js repeats the function in timed cycles of at least
 * `minTime` seconds until `maxTime` seconds have passed and at least `minSamples` cycles ran.
 */
export interface BenchSettings {
  /** Seconds per benchmark (Benchmark.js default 5). */
  maxTime: number;
  /** Fewest timed cycles (Benchmark.js default 5). */
  minSamples: number;
  /** Shortest timed cycle, seconds (Benchmark.js default: 0.05 on a µs timer). */
  minTime?: number;
}

/** Full run: ~30 benchmarks × ~2.5 s ≈ 80-100 s on 2 cores. */
export const FULL_SETTINGS: BenchSettings = { maxTime: 2, minSamples: 10 };
/** `--quick`: a smoke check that every scenario runs (CI); the figures are rough. */
export const QUICK_SETTINGS: BenchSettings = { maxTime: 0.05, minSamples: 2, minTime: 0.005 };

/** One timed result. */
export interface Measurement {
  opsPerSec: number;
  /** Mean time per operation, µs. */
  usPerOp: number;
  /** Relative margin of error at 95 %, percent. */
  rmePct: number;
  /** Timed cycles. */
  samples: number;
}

/**
 * Time `fn` with Benchmark.js, synchronously. `fn` is passed as a function (never as a string),
 * so Benchmark.js calls it instead of decompiling its source, and closures work.
 */
export function measure(name: string, fn: () => void, settings: BenchSettings): Measurement {
  const bench = new Benchmark(name, fn, {
    maxTime: settings.maxTime,
    minSamples: settings.minSamples,
    ...(settings.minTime !== undefined ? { minTime: settings.minTime } : {}),
  });
  bench.run();
  if (bench.error) throw new Error(`benchmark "${name}" failed: ${bench.error.message}`, { cause: bench.error });
  return { opsPerSec: bench.hz, usPerOp: 1e6 / bench.hz, rmePct: bench.stats.rme, samples: bench.stats.sample.length };
}

/** One line of the results table (and of bench/results/latest.json). */
export interface BenchRow {
  /** What was timed, e.g. `arena step`, `encode: full codec`, `room tick`. */
  scenario: string;
  /** Players in the game state. */
  players: number;
  /** Replicated entities: players + live projectiles (mean while timed, for the stepping scenarios). */
  entities: number;
  /** Clients receiving snapshots (room scenarios only). */
  clients: number | null;
  opsPerSec: number;
  /** µs per operation; for tick scenarios, per tick. */
  usPerOp: number;
  rmePct: number;
  samples: number;
  /** Bytes of one snapshot (for the room: one client's whole SNAPSHOT message). */
  bytesPerSnapshot: number | null;
  bytesPerEntity: number | null;
  /** A short remark, e.g. what an operation includes. */
  note?: string;
}

/** What every scenario gets. */
export interface ScenarioContext {
  settings: BenchSettings;
  quick: boolean;
  /** Progress messages (stderr). */
  log(message: string): void;
}

/** One scenario file's export. */
export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): BenchRow[];
}

/** Make a row from a measurement plus what the scenario knows. */
export function row(m: Measurement, fields: Omit<BenchRow, 'opsPerSec' | 'usPerOp' | 'rmePct' | 'samples'>): BenchRow {
  return { ...fields, opsPerSec: m.opsPerSec, usPerOp: m.usPerOp, rmePct: m.rmePct, samples: m.samples };
}

const num = (v: number, digits = 0): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The results as a plain-text table (for the terminal and for pasting into the README). */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['scenario', 'players', 'entities', 'clients', 'ops/s', 'µs/op', '±%', 'B/snapshot', 'B/entity'];
  const body = rows.map((r) => [
    r.scenario,
    num(r.players),
    num(r.entities),
    r.clients === null ? '' : num(r.clients),
    num(r.opsPerSec),
    num(r.usPerOp, r.usPerOp < 10 ? 2 : 1),
    num(r.rmePct, 1),
    r.bytesPerSnapshot === null ? '' : num(r.bytesPerSnapshot),
    r.bytesPerEntity === null ? '' : num(r.bytesPerEntity, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  // Text left-aligned, numbers right-aligned.
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
