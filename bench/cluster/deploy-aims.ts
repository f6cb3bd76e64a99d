import { availableParallelism } from 'node:os';
import { numberArg, parseStrictArgs, UsageError } from '../../src/cli/cli-args';
import { formatTable, type ScenarioResult } from './deploy/aim-report';
import { startCluster, type RigDatabase } from './deploy/cluster-rig';
import type { ScenarioOptions } from './deploy/scenario-kit';
import { runDrops } from './deploy/scenario-drops';
import { runRedis } from './deploy/scenario-redis';
import { runSigkill } from './deploy/scenario-sigkill';
import { runSigterm } from './deploy/scenario-sigterm';

/**
 * `npm run bench:deploy`: issue 22's aims, measured on this machine as the deploy guide runs
 * them: three `node dist/cli.js` nodes (ids n1-n3, each its own port and --public-url), a private
 * redis-server, PostgreSQL (a scratch database on the local server), HAProxy with the shipped
 * deploy/haproxy/haproxy.cfg and a certificate made by openssl, and players on the client SDK
 * over wss:// through the proxy, each from its own loopback address. A fresh cluster per
 * scenario; a table per scenario with each aim and PASS/MISS.
 */
const SCENARIOS = {
  drops: runDrops,
  sigterm: runSigterm,
  sigkill: runSigkill,
  redis: runRedis,
} as const;
type ScenarioName = keyof typeof SCENARIOS;

function usage(): string {
  return [
    'npm run bench:deploy -- [options]      (builds nothing: run npm run build first)',
    '',
    '  --scenario S      drops, sigterm, sigkill, redis, or all (default all); a comma list works too',
    '  --clients N       players (default per scenario: drops 200, sigterm 100, sigkill 150, redis 100)',
    '  --seconds S       drops: how long links are killed (default 60)',
    '  --drop-rate N     drops: kills per player per minute (default 2)',
    '  --outage S        redis: seconds Redis stays down (default 10)',
    '  --tls-resume on|off  players resume TLS sessions with the proxy, as browsers do (default on)',
    "  --processes N     players' processes for drops and sigterm (default: the cores, at least 2)",
    "  --drain-seconds S the nodes' --drain-seconds, for sigterm (default 5)",
    '  --max-players N   players per room (default 25: sigterm puts 100 players in 4 rooms)',
    '  --db D            postgres (a scratch database on the local server), sqlite (per node) or off (default postgres)',
    '  --node-args "…"   more flags for every node, e.g. "--drain-ms 5000"',
    "  --keep-logs       keep each node's log (and SQLite folder) in /tmp/tickwire-deploy-aims-*",
    '  --json            also print every result as one JSON object, the last line of stdout',
  ].join('\n');
}

function onOff(flag: string, value: string): boolean {
  if (value !== 'on' && value !== 'off') throw new UsageError(`${flag} must be on or off, got "${value}"`);
  return value === 'on';
}

async function main(): Promise<void> {
  const v = parseStrictArgs(process.argv.slice(2), {
    scenario: { type: 'string' },
    clients: { type: 'string' },
    seconds: { type: 'string' },
    'drop-rate': { type: 'string' },
    outage: { type: 'string' },
    'drain-seconds': { type: 'string' },
    processes: { type: 'string' },
    'tls-resume': { type: 'string' },
    'max-players': { type: 'string' },
    db: { type: 'string' },
    'node-args': { type: 'string' },
    json: { type: 'boolean' },
    'keep-logs': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(usage());
    return;
  }
  const raw = v.scenario ?? 'all';
  const names = (raw === 'all' ? Object.keys(SCENARIOS) : raw.split(',')) as ScenarioName[];
  for (const n of names)
    if (!(n in SCENARIOS)) throw new UsageError(`--scenario must be drops, sigterm, sigkill, redis or all, got "${n}"`);
  const db = (v.db ?? 'postgres') as RigDatabase;
  if (!['postgres', 'sqlite', 'off'].includes(db)) throw new UsageError(`--db must be postgres, sqlite or off, got "${db}"`);
  const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const o: ScenarioOptions = {
    clients: v.clients === undefined ? undefined : numberArg('--clients', v.clients, 1, 1000),
    seconds: numberArg('--seconds', v.seconds ?? '60', 5, 3600),
    dropRate: numberArg('--drop-rate', v['drop-rate'] ?? '2', 0, 60, false),
    outageSeconds: numberArg('--outage', v.outage ?? '10', 2, 300),
    drainSeconds: numberArg('--drain-seconds', v['drain-seconds'] ?? '5', 0, 600),
    processes: numberArg('--processes', v.processes ?? String(Math.max(2, availableParallelism())), 1, 64),
    tlsResume: onOff('--tls-resume', v['tls-resume'] ?? 'on'),
    log,
  };
  const maxPlayers = numberArg('--max-players', v['max-players'] ?? '25', 2, 1000);
  const nodeArgs = v['node-args']?.split(/\s+/).filter(Boolean) ?? [];
  const results: ScenarioResult[] = [];
  for (const name of names) {
    log(`— ${name} —`);
    const rig = await startCluster({ maxPlayers, drainSeconds: o.drainSeconds, db, nodeArgs, log, keepLogs: v['keep-logs'] === true });
    try {
      const r = await SCENARIOS[name](rig, o);
      results.push(r);
      console.log(`${formatTable(r)}\n`);
    } finally {
      await rig.stop();
    }
  }
  if (v.json) console.log(JSON.stringify({ command: process.argv.slice(2).join(' '), results }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof UsageError ? `${err.message}\n\n${usage()}` : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
