import { percentile } from '../../lib/stats';

/** One measured figure against its aim. `pass` null: reported only (no aim). */
export interface AimRow {
  what: string;
  value: string;
  aim: string;
  pass: boolean | null;
}

/** A scenario's outcome: the rows of its table, and its raw figures for --json. */
export interface ScenarioResult {
  scenario: string;
  rows: AimRow[];
  figures: Record<string, unknown>;
  /** What the figures mean, said in a line or two (printed under the table). */
  notes: string[];
}

/** p50, p99 and max of `values`, ms (NaN when empty). */
export function spread(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : Number.NaN };
}

/** "123 / 456 / 789 ms" for a spread. */
export function msSpread(s: { p50: number; p99: number; max: number }): string {
  const f = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '–');
  return `${f(s.p50)} / ${f(s.p99)} / ${f(s.max)} ms`;
}

export function pct(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} % (${part} of ${whole})`;
}

/** The scenario's table, aligned, with PASS / MISS per aim. */
export function formatTable(r: ScenarioResult): string {
  const head = ['measured', 'value', 'aim', ''];
  const body = r.rows.map((row) => [row.what, row.value, row.aim, row.pass === null ? '' : row.pass ? 'PASS' : 'MISS']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    `### ${r.scenario}`,
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    ...r.notes.map((n) => `  ${n}`),
  ].join('\n');
}
