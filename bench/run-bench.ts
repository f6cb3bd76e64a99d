#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --only NAME]`: the in-process benchmarks, one scenario per file
 * in bench/scenarios/. Prints a table (ops/s, µs per op, bytes per snapshot and per entity) and
 * writes it with the machine's details to bench/results/latest.json.
 *
 * The full run takes ~1.5 min on 2 cores; `--quick` (~10 s) only checks that everything runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL_SETTINGS, formatTable, QUICK_SETTINGS, type BenchRow, type Scenario } from './lib/harness';
import { largeWorldScenario } from './scenarios/large-world';
import { roomBroadcastScenario } from './scenarios/room-broadcast';
import { snapshotAlternativesScenario } from './scenarios/snapshot-alternatives';
import { snapshotCodecScenario } from './scenarios/snapshot-codec';
import { stepScenario } from './scenarios/step';

const SCENARIOS: readonly Scenario[] = [
  stepScenario,
  snapshotCodecScenario,
  snapshotAlternativesScenario,
  roomBroadcastScenario,
  largeWorldScenario,
];

function usage(): string {
  return [
    'tickwire bench: tick and codec benchmarks (Benchmark.js)',
    '',
    'Usage: npm run bench -- [options]',
    '',
    'Options:',
    '  --quick        much shorter runs: a smoke check that every scenario works (CI), rough figures',
    `  --only NAME    run only these scenarios (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}`,
    '  --help, -h     print this and exit',
    '',
    'Writes bench/results/latest.json (machine, date, settings and every row).',
  ].join('\n');
}

function fail(message: string): never {
  process.stderr.write(`tickwire bench: ${message}\n\n${usage()}\n`);
  process.exit(2);
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: { quick: { type: 'boolean' }, only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const only = values.only ?? [];
  for (const name of only) if (!SCENARIOS.some((s) => s.name === name)) fail(`--only: no scenario "${name}"`);
  const quick = values.quick === true;
  const settings = quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const chosen = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;

  const started = performance.now();
  const rows: BenchRow[] = [];
  const log = (m: string) => process.stderr.write(`  ${m}\n`);
  for (const scenario of chosen) {
    process.stderr.write(`${scenario.name}\n`);
    rows.push(...scenario.run({ settings, quick, log }));
  }
  const seconds = (performance.now() - started) / 1000;

  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    totalMemBytes: totalmem(),
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
  };
  process.stdout.write(`\n${formatTable(rows)}\n\n`);
  process.stdout.write(
    `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${quick ? 'quick run (rough figures)' : 'full run'} in ${seconds.toFixed(1)} s\n`,
  );

  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}latest.json`;
  const result = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    quick,
    settings,
    seconds: Math.round(seconds * 10) / 10,
    machine,
    rows,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

main();
