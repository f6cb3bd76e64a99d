/**
 * `npx tsx bench/profile/summarize-cpuprofile.ts FILE.cpuprofile [--top N]`
 *
 * Prints a `.cpuprofile`'s busy time by bucket (see `cpuprofile-buckets.ts`) as a Markdown table,
 * and with `--top N` the N functions with the most self time. The server is one tsup bundle, so
 * positions are mapped back to their source files through the bundle's source maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  BUCKETS,
  bucketProfile,
  classifyFrame,
  type BucketTimes,
  type CpuProfile,
  type ProfileWindow,
  type SourceResolver,
} from './cpuprofile-buckets';

/** Reads `X.js.map` beside each bundle file once; undefined for files without one. */
export function sourceMapResolver(): SourceResolver {
  const maps = new Map<string, SourceMap | undefined>();
  return (url, line, column) => {
    if (!url.startsWith('file://')) return undefined;
    let map = maps.get(url);
    if (!maps.has(url)) {
      const path = `${fileURLToPath(url)}.map`;
      map = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined;
      maps.set(url, map);
    }
    if (!map) return undefined;
    const entry = map.findEntry(line, column) as { originalSource?: string };
    return entry.originalSource;
  };
}

/** The table: each bucket's share of busy time (idle excluded) and ms per second of profile. */
export function formatBuckets(times: BucketTimes): string {
  const busy = times.totalUs - times.idleUs;
  const seconds = times.totalUs / 1e6;
  const lines = ['| bucket | share of busy time | ms per second |', '| --- | ---: | ---: |'];
  for (const b of BUCKETS) {
    const us = times.byBucket[b];
    lines.push(`| ${b} | ${((100 * us) / busy).toFixed(1)} % | ${(us / 1000 / seconds).toFixed(1)} |`);
  }
  lines.push(
    `| **busy** (CPU % of a core) | | **${(busy / 1000 / seconds).toFixed(1)}** (${((100 * busy) / times.totalUs).toFixed(1)} %) |`,
  );
  return lines.join('\n');
}

/** The `n` functions with the most self time, with their bucket and source. */
export function topFunctions(profile: CpuProfile, resolve: SourceResolver, n: number, window?: ProfileWindow): string {
  const self = new Map<number, number>();
  let at = 0;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window.fromUs || at >= window.toUs)) continue;
    total += dt;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt);
  }
  const byFrame = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const source = url ? resolve(url, lineNumber, columnNumber) : undefined;
    const key = `${functionName || '(anonymous)'}  ${(source ?? url).replace(/^.*node_modules\//, '').replace(/^.*?\/(src|shared)\//, '$1/')}  [${classifyFrame(functionName, url, source)}]`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
  }
  return [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) => `${((us * 1000) / total).toFixed(2).padStart(7)} ms/s  ${key}`)
    .join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: tsx bench/profile/summarize-cpuprofile.ts FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const topAt = args.indexOf('--top');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const resolve = sourceMapResolver();
  process.stdout.write(`${formatBuckets(bucketProfile(profile, resolve))}\n`);
  if (topAt >= 0) process.stdout.write(`\n${topFunctions(profile, resolve, Number(args[topAt + 1] ?? 30))}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
