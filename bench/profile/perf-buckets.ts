/**
 * The same buckets as `cpuprofile-buckets.ts`, from `perf record -g` of a Node process run with
 * `--perf-basic-prof` (so perf names JIT frames `JS:*name url:line:col`). Unlike V8's sampler,
 * perf samples whatever the CPU is running for the process: JavaScript, V8 and Node's C++,
 * libuv, the kernel's socket and scheduler work, and the helper threads. Each main-thread sample
 * goes to the bucket of its innermost frame that has one: a JS frame by its source file (as in
 * the .cpuprofile), or a native frame that is clearly socket I/O (`uv__read`, `writev`...),
 * the event loop's wait and wake-ups (`epoll_pwait`), or GC; kernel and V8 frames inherit.
 */
import { BUCKETS, classifyFrame, type Bucket, type SourceResolver } from './cpuprofile-buckets';

/** Native frames that settle a sample's bucket by themselves (the first that matches wins). */
const NATIVE_BUCKETS: [RegExp, Bucket][] = [
  [
    /^(uv__read|uv__write|uv_try_write|uv__try_write|__GI___writev|__writev|writev|__libc_write|__libc_read|read|uv__stream_io)$/,
    'socket I/O',
  ],
  [/^node::(LibuvStreamWrap|StreamBase)/, 'socket I/O'],
  [/^(epoll_pwait|epoll_wait|uv__io_poll)$/, 'event loop, wakeups'],
  [
    /v8::internal::(Heap|Scavenger|MarkCompact|MinorMarkCompact|ConcurrentMarking|Sweeper|GCTracer|MemoryAllocator)|Scavenge|MarkingVisitor/,
    'GC',
  ],
];

/** What one perf frame says: a bucket, or 'inherit'. */
export function classifyPerfFrame(symbol: string, resolve?: SourceResolver): Bucket | 'inherit' {
  const js = /^JS:[*^~+]?(\S*) (.+):(\d+):(\d+)$/.exec(symbol);
  if (js) {
    const [, name, url, line, column] = js;
    // perf's positions are 1-based; source maps and .cpuprofile frames are 0-based.
    const source = resolve && url!.startsWith('file://') ? resolve(url!, Number(line) - 1, Number(column) - 1) : undefined;
    const own = classifyFrame(name ?? '', url!, source);
    return own === 'idle' ? 'other' : own;
  }
  for (const [pattern, bucket] of NATIVE_BUCKETS) if (pattern.test(symbol)) return bucket;
  return 'inherit';
}

/** Samples per bucket from `perf script -F tid,period,sym` text; helper threads apart. */
export interface PerfBuckets {
  byBucket: Record<Bucket, number>;
  /** Samples on the process's other threads (GC helpers, the JIT, libuv's pool, SQLite). */
  helperThreads: number;
  mainThread: number;
}

/**
 * Bucket each sample of `perfScript` (the text of `perf script -F tid,period,sym`). `mainTid`
 * is the process id: its main thread's id.
 */
export function bucketPerfScript(perfScript: string, mainTid: number, resolve?: SourceResolver): PerfBuckets {
  const byBucket = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
  let helperThreads = 0;
  let mainThread = 0;
  const cache = new Map<string, Bucket | 'inherit'>();
  const classify = (symbol: string): Bucket | 'inherit' => {
    let known = cache.get(symbol);
    if (known === undefined) {
      known = classifyPerfFrame(symbol, resolve);
      cache.set(symbol, known);
    }
    return known;
  };
  for (const block of perfScript.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const tid = Number(/^\s*(\d+)\s/.exec(lines[0]!)?.[1]);
    if (tid !== mainTid) {
      helperThreads++;
      continue;
    }
    mainThread++;
    let bucket: Bucket = 'other';
    for (const frame of lines.slice(1)) {
      // "\t    7faf9a0eeb56 JS:*acceptInputs file:///…:1228:15 (/tmp/perf-1.map)"
      const m = /^\s*[0-9a-f]+\s+(.*?)(?:\s+\([^()]*\))?$/.exec(frame);
      if (!m) continue;
      const own = classify(m[1]!.replace(/\+0x[0-9a-f]+$/, ''));
      if (own !== 'inherit') {
        bucket = own;
        break;
      }
    }
    byBucket[bucket]++;
  }
  return { byBucket, helperThreads, mainThread };
}

/** The table: each bucket's share of the process's samples and its CPU, ms per second. */
export function formatPerfBuckets(buckets: PerfBuckets, seconds: number, frequencyHz: number): string {
  const total = buckets.mainThread + buckets.helperThreads;
  const msPerSec = (samples: number): string => ((samples * 1000) / frequencyHz / seconds).toFixed(1);
  const lines = ['| bucket | share of the CPU | ms per second |', '| --- | ---: | ---: |'];
  for (const b of BUCKETS)
    lines.push(`| ${b} | ${((100 * buckets.byBucket[b]) / total).toFixed(1)} % | ${msPerSec(buckets.byBucket[b])} |`);
  lines.push(
    `| helper threads (GC, JIT) | ${((100 * buckets.helperThreads) / total).toFixed(1)} % | ${msPerSec(buckets.helperThreads)} |`,
    `| **all** (CPU % of a core) | | **${msPerSec(total)}** (${((100 * total) / frequencyHz / seconds).toFixed(1)} %) |`,
  );
  return lines.join('\n');
}
