/**
 * Buckets a V8 `.cpuprofile` (what `node --cpu-prof` writes) into the categories a per-message
 * server cost splits into: socket I/O, ws framing, session, input decode, step, replication,
 * encode, GC, other. Each sample's time goes to the node it was taken in (self time); a node's
 * category comes from its own source file when that says something, else from its caller's
 * (a native `writev` under `Socket._writeGeneric` is socket I/O; `Buffer.allocUnsafe` under the
 * encoder is encode).
 */

/** One call-tree node of a `.cpuprofile`. */
export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** The parts of a `.cpuprofile` this file reads. */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  /** µs since the previous sample, one per sample. */
  timeDeltas: number[];
}

/** The buckets, in the order the table prints them. */
export const BUCKETS = [
  'socket I/O',
  'ws framing',
  'session',
  'input decode',
  'step',
  'replication',
  'encode',
  'metrics, logs',
  'GC',
  'event loop, wakeups',
  'other',
] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Says which source a compiled position came from (a source map), or undefined. */
export type SourceResolver = (url: string, line: number, column: number) => string | undefined;

/** What a node says about itself: a bucket, or 'inherit' (take the caller's), or 'idle'. */
type Own = Bucket | 'inherit' | 'idle';

/**
 * The bucket a frame belongs to by itself. `source` is its original file when a source map
 * knew it (the server is one bundle, so the compiled URL says little).
 */
export function classifyFrame(functionName: string, url: string, source: string | undefined): Own {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)' || functionName === '(root)') return 'other';
  const file = source ?? url;
  if (file === '') return 'inherit';
  if (/node_modules\/ws\//.test(file)) return 'ws framing';
  if (/node_modules\/(pino|prom-client|sonic-boom|thread-stream)\//.test(file)) return 'metrics, logs';
  // Control messages (PONG, roster, errors) are msgpack: the session's replies.
  if (/node_modules\/msgpackr\//.test(file)) return 'session';
  if (/^node:(net|internal\/stream_base_commons|internal\/net|internal\/tcp_wrap)/.test(file)) return 'socket I/O';
  // Timers, nextTick and microtask queues: the event loop's own bookkeeping.
  if (/^node:internal\/(timers|process\/task_queues)/.test(file)) return 'event loop, wakeups';
  if (file.startsWith('node:')) return 'inherit';
  if (/src\/replication\//.test(file)) return 'replication';
  if (/shared\/(replication|binary\/byte-writer|binary\/bit-writer|protocol\/snapshot-message)/.test(file)) return 'encode';
  // The protocol's INPUT and ACK, the input buffer, and a game's input codec (`*-input.ts`).
  if (/(shared\/protocol\/(input|ack)-message|src\/input\/|shared\/binary\/byte-reader|shared\/games\/.*-input\.ts)/.test(file))
    return 'input decode';
  if (/src\/rooms\/room\.ts/.test(file)) return roomBucket(functionName);
  // The room's INPUT intake and its snapshot sends, in files of their own beside room.ts.
  if (/src\/rooms\/room-inputs\.ts/.test(file)) return 'input decode';
  if (/src\/rooms\/room-snapshots\.ts/.test(file)) return 'replication';
  // src/wire/ holds what the transports share with rooms (joinParts): the link's side.
  if (/src\/(session|transport|server|wire)\//.test(file)) return 'session';
  if (/src\/(metrics|logging)\//.test(file)) return 'metrics, logs';
  if (/src\/(rooms|loop)\/|src\/game|src\/arena|shared\/game|games?\//.test(file)) return 'step';
  return 'other';
}

/** room.ts holds the input and ack entry points and the control broadcast beside the tick: split it by method. */
function roomBucket(functionName: string): Bucket {
  if (/acceptInputs|acknowledge/.test(functionName)) return 'input decode';
  if (/send|broadcast|snapshot|replicat/i.test(functionName)) return 'replication';
  return 'step';
}

/** Self time per bucket in µs, and the idle time beside it. */
export interface BucketTimes {
  byBucket: Record<Bucket, number>;
  idleUs: number;
  totalUs: number;
}

/** Part of a profile, µs since its first sample: [fromUs, toUs). */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/**
 * Sum each sample's time into its node's bucket (see the file comment for the inheritance);
 * with `window`, only the samples inside it (startup and joins left out).
 */
export function bucketProfile(profile: CpuProfile, resolve?: SourceResolver, window?: ProfileWindow): BucketTimes {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const bucketOf = new Map<number, Bucket | 'idle'>();
  const find = (id: number): Bucket | 'idle' => {
    const known = bucketOf.get(id);
    if (known) return known;
    const node = byId.get(id);
    let bucket: Bucket | 'idle' = 'other';
    if (node) {
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      const own = classifyFrame(functionName, url, url && resolve ? resolve(url, lineNumber, columnNumber) : undefined);
      if (own !== 'inherit') bucket = own;
      else {
        const up = parent.get(id);
        bucket = up === undefined ? 'other' : find(up);
      }
    }
    bucketOf.set(id, bucket);
    return bucket;
  };
  const byBucket = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
  let idleUs = 0;
  let totalUs = 0;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window.fromUs || at >= window.toUs)) continue;
    totalUs += dt;
    const bucket = find(profile.samples[i]!);
    if (bucket === 'idle') idleUs += dt;
    else byBucket[bucket] += dt;
  }
  return { byBucket, idleUs, totalUs };
}
