import { numberArg, parseStrictArgs, UsageError } from '../../src/cli/cli-args';

/** The settings of one `npm run soak` run. */
export interface SoakOptions {
  /** Whole run, minutes (default 10; fractions allowed, e.g. 0.5 for a smoke run). */
  minutes: number;
  /** A running server to soak; unset: the soak starts its own in a child process. */
  url: string | undefined;
  /** Bots kept playing at once (default 100). */
  clients: number;
  /** Abrupt link kills per bot per minute (default 2). */
  dropRate: number;
  /** Shortest and longest a bot plays before leaving (1000) and being replaced, s (default 20-90). */
  lifetimeMinS: number;
  lifetimeMaxS: number;
  seed: number;
  json: boolean;
  help: boolean;
}

export { UsageError };

export function soakUsage(): string {
  return [
    'tickwire soak: churn for a long time and check that nothing leaks',
    '',
    'Usage: npm run soak -- [options]      (or: npx tsx bench/soak/main.ts [options])',
    '',
    'Options:',
    '  --minutes M        whole run in minutes, fractions allowed (default 10)',
    '  --url URL          soak a running server (default: start one in a child process)',
    '  --clients N        bots playing at once, 1-5000 (default 100)',
    '  --drop-rate N      abrupt link kills per bot per minute, resumed by the SDK (default 2)',
    '  --lifetime S-S     how long each bot plays before leaving and being replaced, s (default 20-90)',
    '  --seed N           seed for the walks, kills and lifetimes (default 1)',
    '  --json             also print the summary as one JSON object, the last line of stdout',
    '',
    'Progress goes to stderr every 5 s; the summary goes to stdout.',
    'Exit codes: 0 passed; 1 a check failed (connections, players, detached seats or rooms left',
    'after the bots left; a failed resume; a bot lost for good; or, for runs of 2 minutes or more,',
    'heap at the end over 110 % of heap after warm-up); 2 bad flags.',
  ].join('\n');
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const v = parseStrictArgs(argv, {
    minutes: { type: 'string' },
    url: { type: 'string' },
    clients: { type: 'string' },
    'drop-rate': { type: 'string' },
    lifetime: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const lifetime = (v.lifetime ?? '20-90').split('-');
  if (lifetime.length !== 2) throw new UsageError(`--lifetime must be MIN-MAX seconds, e.g. 20-90, got "${v.lifetime}"`);
  const lifetimeMinS = numberArg('--lifetime (min)', lifetime[0], 1, 86_400, false);
  const lifetimeMaxS = numberArg('--lifetime (max)', lifetime[1], lifetimeMinS, 86_400, false);
  if (v.url !== undefined && !/^wss?:\/\//.test(v.url)) throw new UsageError(`--url must start with ws:// or wss://, got "${v.url}"`);
  return {
    minutes: numberArg('--minutes', v.minutes ?? '10', 0.1, 1440, false),
    url: v.url,
    clients: numberArg('--clients', v.clients ?? '100', 1, 5000, true),
    dropRate: numberArg('--drop-rate', v['drop-rate'] ?? '2', 0, 600, false),
    lifetimeMinS,
    lifetimeMaxS,
    seed: numberArg('--seed', v.seed ?? '1', 0, 0xffffffff, true),
    json: v.json === true,
    help: v.help === true,
  };
}
