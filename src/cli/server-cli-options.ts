import { isIP } from 'node:net';
import { MIN_SECRET_BYTES } from '../auth/auth-options';
import { numberArg, parseStrictArgs, UsageError } from './cli-args';
import { LOG_LEVELS, type LogLevel } from '../logging/logger';
import { SETTINGS, type ServerCliOptions } from './server-cli-settings';

// The table and the help text, and the auth options the flags describe, live beside this file;
// importers keep one entry point.
export { UsageError };
export { serverUsage, type ServerCliOptions } from './server-cli-settings';
export { authOptionsFromCli } from './server-cli-auth';

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
  if (!(LOG_LEVELS as readonly string[]).includes(level.raw))
    throw new UsageError(`${level.name} must be one of ${LOG_LEVELS.join(', ')}, got "${level.raw}"`);
  const staticDir = get('staticDir').raw;
  const optional = (key: keyof typeof SETTINGS) => get(key).raw || undefined;
  const keySources = (['authSecret', 'authPublicKeyFile', 'authJwks'] as const).filter((k) => optional(k) !== undefined);
  if (keySources.length > 1)
    throw new UsageError(`set only one of ${keySources.map((k) => get(k).name).join(', ')}: each is a whole key source`);
  const secret = get('authSecret');
  if (secret.raw !== '' && Buffer.byteLength(secret.raw, 'utf8') < MIN_SECRET_BYTES) {
    throw new UsageError(
      `${secret.name} must be at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 32\`), got ${Buffer.byteLength(secret.raw, 'utf8')}`,
    );
  }
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
    resumeWindowS: numberArg(get('resumeWindowS').name, get('resumeWindowS').raw, 0, 3600, false),
    drainS: numberArg(get('drainS').name, get('drainS').raw, 0, 600, false),
    authSecret: optional('authSecret'),
    authPublicKeyFile: optional('authPublicKeyFile'),
    authJwks: optional('authJwks'),
    authAudience: optional('authAudience'),
    authIssuer: optional('authIssuer'),
    authExpiryNoticeS: numberArg(get('authExpiryNoticeS').name, get('authExpiryNoticeS').raw, 0, 3600, false),
    perIpLimits: onOff(get('perIpLimits')),
    maxConnectionsPerIp: num('maxConnectionsPerIp', 0, 1_000_000),
    dataReadsPerIp: numberArg(get('dataReadsPerIp').name, get('dataReadsPerIp').raw, 0, 10_000, false),
    maxDataReads: num('maxDataReads', 0, 10_000),
    trustProxy: list(get('trustProxy').raw),
    allowedOrigins: list(get('allowedOrigins').raw),
    webrtc: onOff(get('webrtc')),
    webrtcPorts: portRange(get('webrtcPorts')),
    iceServers: list(get('iceServers').raw),
    publicIp: ipAddress(get('publicIp')),
    metrics: onOff(get('metrics')),
    roomMoves: onOff(get('roomMoves')),
    operatorToken: optional('operatorToken'),
    ...adminListener(get('adminPort'), get('adminHost'), num('port', 0, 65535), optional('operatorToken')),
    maxReservationsPerIp: num('maxReservationsPerIp', 0, 1_000_000),
    maxReservations: num('maxReservations', 1, 1_000_000),
    matchmakeAuth: onOff(get('matchmakeAuth')),
    redisUrl: serviceUrl(get('redisUrl'), ['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
    publicUrl: optional('publicUrl'),
    nodeId: optional('nodeId'),
    workers: num('workers', 1, 256),
    reservationS: numberArg(get('reservationS').name, get('reservationS').raw, 1, 600, false),
    databaseUrl: serviceUrl(get('databaseUrl'), ['postgres:', 'postgresql:'], 'a postgres:// URL'),
    dataDir: get('dataDir').raw,
    persistence: onOff(get('persistence')),
    chatRate: numberArg(get('chatRate').name, get('chatRate').raw, 0.1, 100, false),
    chatBurst: num('chatBurst', 1, 1000),
    chatPageRate: numberArg(get('chatPageRate').name, get('chatPageRate').raw, 0.1, 100, false),
    chatPageBurst: num('chatPageBurst', 1, 1000),
    help: values.help === true,
  };
}

/**
 * The admin listener from its flags: by default the game port + 1 (a free port when the game's
 * is 0), on 127.0.0.1. A host other than loopback needs the operator token, or the operator
 * routes would answer anyone who reaches it.
 */
function adminListener(
  port: { name: string; raw: string },
  host: { name: string; raw: string },
  gamePort: number,
  operatorToken: string | undefined,
): { adminPort: number | undefined; adminHost: string } {
  const adminHost = host.raw;
  if (port.raw === 'off') return { adminPort: undefined, adminHost };
  const adminPort = port.raw === '' ? (gamePort === 0 ? 0 : gamePort + 1) : numberArg(port.name, port.raw, 0, 65535);
  if (adminPort > 65535) throw new UsageError(`${port.name}: the game port + 1 is past 65535; set --admin-port`);
  if (adminPort !== 0 && adminPort === gamePort) throw new UsageError(`${port.name} must differ from --port (${gamePort})`);
  const loopback = adminHost === 'localhost' || adminHost === '::1' || adminHost.startsWith('127.');
  if (!loopback && !operatorToken)
    throw new UsageError(
      `${host.name} ${adminHost} lets other machines reach the operator routes: set --operator-token too, or bind 127.0.0.1`,
    );
  return { adminPort, adminHost };
}

function portRange({ name, raw }: { name: string; raw: string }): { min: number; max: number } | undefined {
  if (raw === '') return undefined;
  const m = /^(\d+)-(\d+)$/.exec(raw);
  const min = m ? Number(m[1]) : Number.NaN;
  const max = m ? Number(m[2]) : Number.NaN;
  if (!m || min < 1024 || max > 65535 || min > max)
    throw new UsageError(`${name} must be MIN-MAX with 1024 ≤ MIN ≤ MAX ≤ 65535, got "${raw}"`);
  return { min, max };
}

/**
 * A connection URL whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`), or
 * undefined when unset; a bad one is a UsageError that says `expected` and hides the password.
 */
function serviceUrl({ name, raw }: { name: string; raw: string }, protocols: string[], expected: string): string | undefined {
  if (raw === '') return undefined;
  let ok = false;
  try {
    ok = protocols.includes(new URL(raw).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`${name} must be ${expected}, got "${raw.replace(/:[^:@/]*@/, ':***@')}"`);
  return raw;
}

function ipAddress({ name, raw }: { name: string; raw: string }): string | undefined {
  if (raw === '') return undefined;
  if (!isIP(raw)) throw new UsageError(`${name} must be an IPv4 or IPv6 address, got "${raw}"`);
  return raw;
}

function onOff({ name, raw }: { name: string; raw: string }): boolean {
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new UsageError(`${name} must be on or off, got "${raw}"`);
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
