import { numberArg, parseStrictArgs, UsageError } from './cli-args';
import { LOG_LEVELS, type LogLevel } from '../logging/logger';

/** The settings `npm start` understands: each a flag and an environment variable. */
export interface ServerCliOptions {
  port: number;
  host: string;
  tickRate: number;
  sendRate: number;
  maxPlayers: number;
  maxRooms: number;
  maxConnections: number;
  logLevel: LogLevel;
  staticDir: string | undefined;
  help: boolean;
}

interface Setting {
  flag: string;
  env: string;
  default: string;
  help: string;
}

const SETTINGS: Record<Exclude<keyof ServerCliOptions, 'help'>, Setting> = {
  port: { flag: 'port', env: 'TICKWIRE_PORT', default: '8080', help: 'HTTP and WebSocket port (0 = any free port)' },
  host: { flag: 'host', env: 'TICKWIRE_HOST', default: '0.0.0.0', help: 'interface to bind' },
  tickRate: { flag: 'tick-rate', env: 'TICKWIRE_TICK_RATE', default: '30', help: 'simulation rate, Hz (10-128)' },
  sendRate: { flag: 'send-rate', env: 'TICKWIRE_SEND_RATE', default: '', help: 'snapshot rate, Hz (1..tick rate; default: the tick rate)' },
  maxPlayers: { flag: 'max-players', env: 'TICKWIRE_MAX_PLAYERS', default: '32', help: 'players per room (1-65535); a full room makes a new one' },
  maxRooms: { flag: 'max-rooms', env: 'TICKWIRE_MAX_ROOMS', default: '1000', help: 'rooms at once' },
  maxConnections: { flag: 'max-connections', env: 'TICKWIRE_MAX_CONNECTIONS', default: '5000', help: 'WebSocket connections at once' },
  logLevel: { flag: 'log-level', env: 'TICKWIRE_LOG_LEVEL', default: 'info', help: `one of ${LOG_LEVELS.join(', ')}` },
  staticDir: { flag: 'static-dir', env: 'TICKWIRE_STATIC_DIR', default: '', help: 'folder served at / (default: the built demo)' },
};

export { UsageError };

export function serverUsage(): string {
  const rows = Object.values(SETTINGS).map((s) => {
    const def = s.default ? ` (default ${s.default})` : '';
    return `  --${s.flag.padEnd(17)} ${s.env.padEnd(26)} ${s.help}${def}`;
  });
  return [
    'tickwire: authoritative multiplayer game server',
    '',
    'Usage: npm start -- [options]      (or: npx tsx src/cli/main.ts [options])',
    '',
    'Options (flag, environment variable, meaning); a flag wins over its variable:',
    ...rows,
    '  --help, -h                                                  print this and exit',
    '',
    'Serves the demo at http://HOST:PORT/, health at /health and the game at ws://HOST:PORT/ws.',
  ].join('\n');
}

/** Parse argv (without node and script) and the environment into checked settings. */
export function parseServerCliOptions(argv: string[], env: Record<string, string | undefined>): ServerCliOptions {
  const values: Record<string, string | boolean | undefined> = parseStrictArgs(argv, {
    ...Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }])),
    help: { type: 'boolean', short: 'h' },
  });
  const get = (key: keyof typeof SETTINGS): { name: string; raw: string } => {
    const s = SETTINGS[key];
    const flag = values[s.flag];
    if (typeof flag === 'string') return { name: `--${s.flag}`, raw: flag };
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') return { name: s.env, raw: fromEnv };
    return { name: `--${s.flag}`, raw: s.default };
  };
  const num = (key: keyof typeof SETTINGS, min: number, max: number) => {
    const { name, raw } = get(key);
    return numberArg(name, raw, min, max);
  };
  const tickRate = num('tickRate', 10, 128);
  const sendRaw = get('sendRate');
  const sendRate = sendRaw.raw === '' ? tickRate : numberArg(sendRaw.name, sendRaw.raw, 1, tickRate);
  const level = get('logLevel');
  if (!(LOG_LEVELS as readonly string[]).includes(level.raw)) throw new UsageError(`${level.name} must be one of ${LOG_LEVELS.join(', ')}, got "${level.raw}"`);
  const staticDir = get('staticDir').raw;
  return {
    port: num('port', 0, 65535),
    host: get('host').raw,
    tickRate,
    sendRate,
    maxPlayers: num('maxPlayers', 1, 65535),
    maxRooms: num('maxRooms', 1, 1_000_000),
    maxConnections: num('maxConnections', 1, 1_000_000),
    logLevel: level.raw as LogLevel,
    staticDir: staticDir === '' ? undefined : staticDir,
    help: values.help === true,
  };
}
