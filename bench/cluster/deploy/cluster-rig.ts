import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HealthReport } from '../../../src/server/health';
import { startHaproxy, trustingFetch } from '../../../test/support/haproxy';
import { freePort, PrivateRedis } from '../../../test/support/redis-server';
import { scratchPostgres, type ScratchPostgres } from '../../../test/support/test-database';

/** Opens /cluster on the game port to the rig (the admin port is off, as behind a proxy). */
const OPERATOR_TOKEN = randomBytes(24).toString('hex');

/** The built CLI (`npm run build`): what an operator runs on each machine. */
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

/** Where the nodes keep profiles, chat and notifications. */
export type RigDatabase = 'postgres' | 'sqlite' | 'off';

export interface ClusterRigOptions {
  /** Players per room (`--max-players`). */
  maxPlayers: number;
  /** `--drain-seconds` of every node: how long a SIGTERMed node keeps its rooms. */
  drainSeconds: number;
  db: RigDatabase;
  /** More flags for every node (e.g. i22-move's `--drain-ms`). */
  nodeArgs: string[];
  /** Print progress here. */
  log: (line: string) => void;
  /** Keep the nodes' logs (and SQLite folders) after the run; by default they are removed. */
  keepLogs: boolean;
}

/** One `node dist/cli.js` process: node id nK on its own port, as on its own machine. */
export class RigNode {
  child: ChildProcess | undefined;
  /** Resolves with the exit code or signal once the current process is gone. */
  exited: Promise<string> = Promise.resolve('not started');

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  /** Start (again, on the same port) and wait until it is in the registry. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...this.args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(this.logFile, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
    for (;;) {
      if (child.exitCode !== null) throw new Error(`node ${this.id} exited at start: see ${this.logFile}`);
      const h = await this.health();
      if (h?.cluster?.reachable) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The node's own /health (straight to its port, as the proxy's checks do), or undefined. */
  async health(): Promise<(HealthReport & { cluster?: { reachable: boolean } }) | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as HealthReport & { cluster?: { reachable: boolean } };
    } catch {
      return undefined;
    }
  }

  /** The registry as this node reads it (GET /cluster with the rig's operator token), or undefined. */
  async clusterView(): Promise<{ nodes: { id: string }[]; rooms: unknown[] } | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/cluster`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        signal: AbortSignal.timeout(2000),
      });
      return res.ok ? ((await res.json()) as { nodes: { id: string }[]; rooms: unknown[] }) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Send `signal`; resolves once the process has exited. */
  async signal(signal: NodeJS.Signals): Promise<string> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Three nodes, a private Redis, optionally PostgreSQL, behind the shipped HAProxy with TLS. */
export interface ClusterRig {
  /** https:// of the proxy: POST /matchmake goes here. */
  base: string;
  /** wss:// of the proxy's game path (append `?node=nK` for one node). */
  wsUrl: string;
  /** The self-signed certificate clients trust. */
  ca: string;
  nodes: RigNode[];
  redis: PrivateRedis;
  /** Where each node's output goes. */
  logDir: string;
  /** Wait until HAProxy routes to every running node again (its checks run every second). */
  proxyReady(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Bring up the cluster as the deploy guide describes it, on this machine: each node is the
 * built CLI with `--node-id`, `--public-url wss://<proxy>/ws?node=<id>`, `--trust-proxy`, Redis and
 * the database; HAProxy runs deploy/haproxy/haproxy.cfg with a certificate made here.
 */
export async function startCluster(o: ClusterRigOptions): Promise<ClusterRig> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const logDir = mkdtempSync(join(tmpdir(), 'tickwire-deploy-aims-'));
  const redis = await PrivateRedis.start();
  let pg: ScratchPostgres | undefined;
  if (o.db === 'postgres') pg = await scratchPostgres();
  const ports = [await freePort(), await freePort(), await freePort()];
  const proxy = await startHaproxy(ports.map((p) => `127.0.0.1:${p}`) as [string, string, string]);
  const base = `https://127.0.0.1:${proxy.port}`;
  const wsUrl = `wss://127.0.0.1:${proxy.port}/ws`;
  const nodes = ports.map((port, i) => {
    const id = `n${i + 1}`;
    const args = [
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--node-id',
      id,
      '--public-url',
      `${wsUrl}?node=${id}`,
      // Every request comes through the proxy: its X-Forwarded-For names the player.
      '--trust-proxy',
      '127.0.0.1',
      '--max-players',
      String(o.maxPlayers),
      '--drain-seconds',
      String(o.drainSeconds),
      '--admin-port',
      'off',
      '--log-level',
      'warn',
      '--static-dir',
      logDir,
      ...(o.db === 'off' ? ['--persistence', 'off'] : []),
      // SQLite is one process's: each node its own folder (and its own players' profiles).
      ...(o.db === 'sqlite' ? ['--data-dir', join(logDir, `data-${id}`)] : []),
      ...o.nodeArgs,
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redis.url,
      TICKWIRE_OPERATOR_TOKEN: OPERATOR_TOKEN,
      ...(pg ? { DATABASE_URL: pg.url } : {}),
    };
    delete env.TICKWIRE_ADMIN_PORT;
    return new RigNode(id, port, args, env, join(logDir, `${id}.log`));
  });
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.signal('SIGKILL')));
    await proxy.stop();
    await redis.kill();
    await pg?.drop().catch(() => undefined);
    if (!o.keepLogs) rmSync(logDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const get = trustingFetch(proxy.ca);
    const proxyReady = async (): Promise<void> => {
      // A page through each node's backend is the node's own answer, not HAProxy's 503.
      for (const path of [...nodes.map((n) => `/ws?node=${n.id}`), '/', '/', '/'])
        for (;;) {
          const text = await (await get(`${base}${path}`)).text().catch(() => '503 Service Unavailable');
          if (!text.includes('503 Service Unavailable')) break;
          await new Promise((r) => setTimeout(r, 200));
        }
    };
    await proxyReady();
    o.log(
      `cluster up: proxy ${base}, nodes ${nodes.map((n) => `${n.id}@${n.port}`).join(' ')}, db ${o.db}, logs in ${logDir}${o.keepLogs ? '' : ' (removed at the end; --keep-logs keeps them)'}`,
    );
    return { base, wsUrl, ca: proxy.ca, nodes, redis, logDir, proxyReady, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
