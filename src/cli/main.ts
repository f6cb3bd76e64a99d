#!/usr/bin/env node
import { arenaGame } from '../../shared/games/arena';
import { cursorsGame } from '../../shared/games/cursors';
import { createLogger } from '../logging/logger';
import { defineRoomType } from '../rooms/room-type';
import cluster from 'node:cluster';
import { TickwireServer } from '../server/tickwire-server';
import { TickwireData } from '../persistence/tickwire-data';
import { withArenaStats } from '../profiles/arena-stats';
import { adoptStickyConnections } from '../cluster/sticky-front';
import { runWorkersPrimary, workerPorts } from './workers-primary';
import { authOptionsFromCli, parseServerCliOptions, serverUsage, UsageError } from './server-cli-options';

/** `npm start`: the arena on one port, configured by flags and environment variables. */
async function main(): Promise<void> {
  let opts;
  try {
    opts = parseServerCliOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tickwire: ${err.message}\n\n${serverUsage()}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${serverUsage()}\n`);
    return;
  }
  if (opts.workers > 1 && !opts.redisUrl) {
    process.stderr.write('tickwire: --workers needs REDIS_URL (--redis-url): the workers share their rooms and seats through Redis\n');
    process.exit(2);
  }
  if (opts.workers > 1 && opts.persistence && !opts.databaseUrl) {
    process.stderr.write(
      'tickwire: --workers needs DATABASE_URL (--database-url) or --persistence off: the embedded database belongs to one process\n',
    );
    process.exit(2);
  }
  if (opts.workers > 1 && opts.webrtc && opts.webrtcPorts && opts.webrtcPorts.max - opts.webrtcPorts.min + 1 < opts.workers) {
    process.stderr.write(
      `tickwire: --workers ${opts.workers} with --webrtc needs a UDP port per worker: --webrtc-ports ${opts.webrtcPorts.min}-${opts.webrtcPorts.min + opts.workers - 1} at least\n`,
    );
    process.exit(2);
  }
  const worker = opts.workers > 1 && cluster.isWorker;
  const logger = createLogger(opts.logLevel);
  if (opts.workers > 1 && cluster.isPrimary) {
    await runWorkersPrimary(opts, logger);
    return;
  }
  let auth;
  try {
    auth = authOptionsFromCli(opts);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tickwire: ${err.message}\n`);
    process.exit(2);
  }
  let data: TickwireData | undefined;
  if (opts.persistence) {
    try {
      data = await TickwireData.open({ url: opts.databaseUrl, dataDir: opts.dataDir, logger });
    } catch (err) {
      const fix = opts.databaseUrl ? 'start PostgreSQL or fix DATABASE_URL' : 'use another --data-dir';
      logger.fatal({ err }, `${(err as Error).message}: ${fix}, or run with --persistence off`);
      process.exit(1);
    }
  }
  // The arena keeps its players' stats in their profiles when there is a database.
  const arena = data ? withArenaStats({ game: arenaGame }, data.profiles) : { game: arenaGame };
  const server = new TickwireServer({
    // The arena, and the cursors board: a second game on the same server, at 60 Hz.
    roomTypes: [defineRoomType(arena), defineRoomType({ game: cursorsGame, tickRate: 60, sendRate: 60, maxPlayers: 64 })],
    data,
    chat: { ratePerSecond: opts.chatRate, burst: opts.chatBurst, pagesPerSecond: opts.chatPageRate, pageBurst: opts.chatPageBurst },
    // A worker takes its connections from the primary; its own port is for nobody but tests.
    port: worker ? 0 : opts.port,
    host: worker ? '127.0.0.1' : opts.host,
    tickRate: opts.tickRate,
    sendRate: opts.sendRate,
    maxPlayers: opts.maxPlayers,
    maxRooms: opts.maxRooms,
    maxConnections: opts.maxConnections,
    staticDir: opts.staticDir,
    resumeWindowMs: opts.resumeWindowS * 1000,
    drainMs: opts.drainS * 1000,
    auth,
    frontDoor: {
      perIpLimits: opts.perIpLimits,
      maxConnectionsPerIp: opts.maxConnectionsPerIp,
      dataReadsPerSecondPerIp: opts.dataReadsPerIp,
      maxDataReadsInFlight: opts.maxDataReads,
      trustedProxies: opts.trustProxy,
      allowedOrigins: opts.allowedOrigins,
    },
    metrics: opts.metrics,
    operatorToken: opts.operatorToken,
    // Worker i of --workers N listens on the admin port + i (a free one with port 0).
    admin:
      opts.adminPort === undefined
        ? undefined
        : {
            port: opts.adminPort === 0 ? 0 : opts.adminPort + (worker ? Number(process.env.TICKWIRE_WORKER_INDEX) : 0),
            host: opts.adminHost,
          },
    matchmaking: {
      maxReservationsPerIp: opts.maxReservationsPerIp,
      maxReservations: opts.maxReservations,
      requireAuth: opts.matchmakeAuth,
    },
    cluster: {
      redisUrl: opts.redisUrl,
      publicUrl: opts.publicUrl,
      nodeId: worker && opts.nodeId ? `${opts.nodeId}-w${process.env.TICKWIRE_WORKER_INDEX}` : opts.nodeId,
      stickyRoute: worker,
      reservationTtlMs: opts.reservationS * 1000,
      roomMoves: opts.roomMoves ? undefined : false,
    },
    webrtc: {
      enabled: opts.webrtc,
      portRange: worker ? workerPorts(opts.webrtcPorts, Number(process.env.TICKWIRE_WORKER_INDEX), opts.workers) : opts.webrtcPorts,
      iceServers: opts.iceServers.map((urls) => ({ urls })),
      publicIp: opts.publicIp,
    },
    logger,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    server
      .close()
      .then(() => data?.close())
      .then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  // `on`, not `once`: a signal often arrives twice (Ctrl-C or a group kill reaches npm and the
  // server, and npm forwards its copy), and a second one must not kill the process mid-shutdown.
  // Shutdown is bounded anyway (closeTimeoutMs + 1 s).
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await server.listen();
    if (worker) {
      adoptStickyConnections((socket, head) => server.adoptConnection(socket, head));
      process.send!({ type: 'tickwire:ready', nodeId: server.cluster!.nodeId });
    }
  } catch (err) {
    if ((err as Error).message.startsWith('cannot reach Redis')) {
      logger.fatal(`${(err as Error).message}: start Redis, or unset REDIS_URL (--redis-url) to run this node alone`);
      process.exit(1);
    }
    const code = (err as NodeJS.ErrnoException).code;
    // The admin listener binds after the game's: an error naming another port is the admin's.
    const failedPort = (err as { port?: number }).port;
    const admin = failedPort !== undefined && failedPort !== opts.port && !worker;
    const hint =
      code === 'EADDRINUSE'
        ? admin
          ? `the admin port ${failedPort} is taken: pick another with --admin-port, or --admin-port off`
          : 'the port is taken: pick another with --port'
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
          ? 'no such interface: check --host'
          : code === 'EACCES'
            ? 'not allowed to bind it: use a port above 1023'
            : 'see the error';
    logger.fatal({ err, host: opts.host, port: opts.port }, `could not listen on ${opts.host}:${opts.port} (${code ?? 'error'}): ${hint}`);
    process.exit(1);
  }
}

void main();
