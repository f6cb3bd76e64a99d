import { availableParallelism } from 'node:os';
import { numberArg, parseStrictArgs, UsageError } from '../../src/cli/cli-args';

/** What a bot does each tick. */
export const BEHAVIORS = ['walk', 'fight'] as const;
export type Behavior = (typeof BEHAVIORS)[number];

/** The settings of one `npm run bots` run, parsed and checked. */
export interface BotsOptions {
  /** Server WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`. */
  url: string;
  /** Bots to connect (1-10000; default 10). */
  clients: number;
  /** Whole run, from the first connect to the stop, seconds (default 30). */
  durationS: number;
  /** `walk` (header-only decoding) or `fight` (decodes entities to aim and fire); default walk. */
  behavior: Behavior;
  /** Print the summary as one JSON object on the last line of stdout. */
  json: boolean;
  /** Spread the connects evenly over this many ms (default 0: all at once). */
  rampMs: number;
  /** Time after the last join before measuring starts, seconds (default 1). */
  warmupS: number;
  /** A bot not welcomed this long after it starts connecting counts as a failed join, seconds (default 10). */
  joinTimeoutS: number;
  /** Room type in JOIN (default `arena`). */
  roomType: string;
  /** Seed of the bots' random walks, so runs are repeatable (default 1). */
  seed: number;
  /**
   * Abrupt link kills per bot per minute (default 0): each bot's link is cut with no close
   * frame at random (Poisson) times, and the SDK resumes the seat. 0-600.
   */
  dropRate: number;
  /** Added round trip, ms, half each way, through the SDK's network simulator (default 0). */
  latencyMs: number;
  /** Each one-way message's delay varies within ± this, ms (default 0). */
  jitterMs: number;
  /** Share of packets lost each way, 0-0.5 (default 0); on WebSocket a retransmission a round trip later. */
  loss: number;
  /**
   * Frames each bot draws a second (default 0): it decodes the entities, predicts and
   * reconciles, and draws the others with the SDK's playback clock, so the summary reports
   * smoothness (corrections, frames without a newer snapshot, visible jumps).
   */
  fps: number;
  /** How the bots reach the server: ws (default) or webrtc (the server needs --webrtc on). */
  transport: 'ws' | 'webrtc';
  /**
   * Go through matchmaking (`POST /matchmake` on the --url's host) and connect where the ticket
   * says, as a player on a cluster would; the summary then counts players per node.
   */
  matchmake: boolean;
  /**
   * Lobby chat lines a second over all bots while measuring (default 0: none); each bot checks
   * it gets every line (see ChatLoad). Keep it under bots × the server's --chat-rate.
   */
  chatRate: number;
  /**
   * Bots processes (default 1; `auto`: one per core): each runs its share of `clients` with
   * its own seeds, and the parent merges their measurements into one summary.
   */
  processes: number;
  /**
   * Joins under way at once over all bots processes (default 256; each process takes its
   * share): more would overflow the server's accept queue (511) and time out in SYN retries.
   */
  joinsInFlight: number;
  help: boolean;
}

export { UsageError };

const DEFAULTS = {
  url: 'ws://127.0.0.1:8080/ws',
  clients: '10',
  duration: '30',
  behavior: 'walk',
  'ramp-ms': '0',
  warmup: '1',
  'join-timeout': '10',
  'room-type': 'arena',
  seed: '1',
  'drop-rate': '0',
  latency: '0',
  jitter: '0',
  loss: '0',
  fps: '0',
  transport: 'ws',
  'chat-rate': '0',
  processes: '1',
  'joins-in-flight': '256',
} as const;

export function botsUsage(): string {
  return [
    'tickwire bots: load-test a running server with headless clients (the real client SDK)',
    '',
    'Usage: npm run bots -- [options]      (or: npx tsx bench/bots/main.ts [options])',
    '',
    'Options:',
    `  --url URL            server WebSocket endpoint (default ${DEFAULTS.url})`,
    `  --clients N          bots to connect, 1-10000 (default ${DEFAULTS.clients})`,
    `  --duration S         whole run in seconds, joins included; then the bots stop (default ${DEFAULTS.duration})`,
    `  --behavior B         walk: random walk, header-only decoding (cheap)`,
    `                       fight: walk + aim at the nearest enemy and fire (decodes entities)`,
    `                       (default ${DEFAULTS.behavior})`,
    `  --ramp-ms MS         spread connects evenly over MS milliseconds (default ${DEFAULTS['ramp-ms']}: all at once)`,
    `  --warmup S           wait S seconds after the last join before measuring (default ${DEFAULTS.warmup})`,
    `  --join-timeout S     a bot not in a room S seconds after connecting counts as failed (default ${DEFAULTS['join-timeout']})`,
    `  --joins-in-flight N  joins under way at once, over all processes; the others wait their turn, and their`,
    `                       join timeout starts then (default ${DEFAULTS['joins-in-flight']}: half the server's accept queue)`,
    `  --room-type NAME     room type to join (default ${DEFAULTS['room-type']})`,
    `  --seed N             seed for the random walks and kills (default ${DEFAULTS.seed})`,
    `  --drop-rate N        kill each bot's link abruptly N times a minute at random (Poisson; default ${DEFAULTS['drop-rate']});`,
    '                       the SDK resumes the seat, and the summary reports resumes and resume time',
    `  --latency MS         add MS of round trip, half each way, with the SDK's network simulator (default 0)`,
    `  --jitter MS          vary each one-way delay within ±MS (default 0)`,
    `  --loss P             lose a share P (0-0.5) of packets each way; on WebSocket a loss is a`,
    `                       retransmission one round trip later that holds up what follows (default 0)`,
    `  --fps N              each bot draws N frames a second: decodes entities, predicts, reconciles and`,
    `                       reports smoothness (corrections, frames with nothing newer, jumps) (default 0)`,
    `  --transport T        ws or webrtc (geckos.io data channels; the server needs --webrtc on) (default ${DEFAULTS.transport})`,
    '  --matchmake          join through POST /matchmake (seat reservations, any node of a cluster); report players per node',
    `  --chat-rate N        lobby chat lines a second over all bots while measuring, each bot in turn; every`,
    `                       bot checks it gets every line (default ${DEFAULTS['chat-rate']}); keep it under bots × the server's --chat-rate`,
    `  --processes N|auto   spread the bots over N processes (auto: one per core), each with its share of the`,
    `                       clients; one merged summary (default ${DEFAULTS.processes}). Not with --chat-rate`,
    '  --json               also print the summary as one JSON object, the last line of stdout',
    '  --help, -h           print this and exit',
    '',
    'Progress goes to stderr once a second; the summary goes to stdout. Measuring starts after',
    'every join has settled plus the warm-up and ends when --duration is up.',
    'Exit codes: 0 done, 1 every join failed, 2 bad flags.',
  ].join('\n');
}

function number(flag: string, raw: string, min: number, max: number, integer: boolean): number {
  return numberArg(`--${flag}`, raw, min, max, integer);
}

/** Parse argv (without node and the script) into checked options; throws {@link UsageError}. */
export function parseBotsArgs(argv: string[]): BotsOptions {
  const v = parseStrictArgs(argv, {
    url: { type: 'string' },
    clients: { type: 'string' },
    duration: { type: 'string' },
    behavior: { type: 'string' },
    'ramp-ms': { type: 'string' },
    warmup: { type: 'string' },
    'join-timeout': { type: 'string' },
    'room-type': { type: 'string' },
    seed: { type: 'string' },
    'drop-rate': { type: 'string' },
    latency: { type: 'string' },
    jitter: { type: 'string' },
    loss: { type: 'string' },
    fps: { type: 'string' },
    transport: { type: 'string' },
    matchmake: { type: 'boolean' },
    'chat-rate': { type: 'string' },
    processes: { type: 'string' },
    'joins-in-flight': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const url = v.url ?? DEFAULTS.url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url must be a WebSocket URL like ${DEFAULTS.url}, got "${url}"`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UsageError(`--url must start with ws:// or wss://, got "${url}"`);
  const behavior = v.behavior ?? DEFAULTS.behavior;
  if (!(BEHAVIORS as readonly string[]).includes(behavior))
    throw new UsageError(`--behavior must be one of ${BEHAVIORS.join(', ')}, got "${behavior}"`);
  const roomType = v['room-type'] ?? DEFAULTS['room-type'];
  if (roomType.length === 0 || roomType.length > 32) throw new UsageError(`--room-type must be 1-32 characters, got "${roomType}"`);
  const clients = number('clients', v.clients ?? DEFAULTS.clients, 1, 10_000, true);
  const chatRate = number('chat-rate', v['chat-rate'] ?? DEFAULTS['chat-rate'], 0, 100_000, false);
  const processesRaw = v.processes ?? DEFAULTS.processes;
  // Never more processes than bots: an empty process would only add a fork.
  const processes = Math.min(clients, processesRaw === 'auto' ? availableParallelism() : number('processes', processesRaw, 1, 64, true));
  // The lobby chat check counts the lines its own process sent; lines from another process
  // would read as unexpected, so the chat load stays in one process.
  if (processes > 1 && chatRate > 0) throw new UsageError('--chat-rate needs --processes 1: each bot checks the lines of its own process');
  return {
    url,
    clients,
    durationS: number('duration', v.duration ?? DEFAULTS.duration, 1, 86_400, false),
    behavior: behavior as Behavior,
    json: v.json === true,
    rampMs: number('ramp-ms', v['ramp-ms'] ?? DEFAULTS['ramp-ms'], 0, 600_000, true),
    warmupS: number('warmup', v.warmup ?? DEFAULTS.warmup, 0, 600, false),
    joinTimeoutS: number('join-timeout', v['join-timeout'] ?? DEFAULTS['join-timeout'], 0.1, 600, false),
    roomType,
    seed: number('seed', v.seed ?? DEFAULTS.seed, 0, 0xffffffff, true),
    dropRate: number('drop-rate', v['drop-rate'] ?? DEFAULTS['drop-rate'], 0, 600, false),
    latencyMs: number('latency', v.latency ?? DEFAULTS.latency, 0, 5000, false),
    jitterMs: number('jitter', v.jitter ?? DEFAULTS.jitter, 0, 2000, false),
    loss: number('loss', v.loss ?? DEFAULTS.loss, 0, 0.5, false),
    fps: number('fps', v.fps ?? DEFAULTS.fps, 0, 240, false),
    transport: transportArg(v.transport ?? DEFAULTS.transport),
    matchmake: v.matchmake === true,
    chatRate,
    processes,
    joinsInFlight: number('joins-in-flight', v['joins-in-flight'] ?? DEFAULTS['joins-in-flight'], 1, 100_000, true),
    help: v.help === true,
  };
}

/**
 * The `GET /health` URL of the server behind a WebSocket URL: same host and port, http(s),
 * path `/health` (the server serves both on one port).
 */
export function healthUrlFor(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/health';
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** The network the bots' SDK simulates for these options, or null for none. */
export function botNetwork(
  opts: Pick<BotsOptions, 'latencyMs' | 'jitterMs' | 'loss'>,
): { latencyMs: number; jitterMs: number; loss: number } | null {
  if (opts.latencyMs === 0 && opts.jitterMs === 0 && opts.loss === 0) return null;
  return { latencyMs: opts.latencyMs / 2, jitterMs: opts.jitterMs, loss: opts.loss };
}

function transportArg(raw: string): 'ws' | 'webrtc' {
  if (raw !== 'ws' && raw !== 'webrtc') throw new UsageError(`--transport must be ws or webrtc, got "${raw}"`);
  return raw;
}
