import { spawn, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Harness } from './cluster-node';
import { PrivateRedis } from './redis-server';
import { startServer } from './server-harness';

export type { Harness };

/** What {@link useRedisCluster} gives a test file. */
export interface RedisClusterFixture {
  /** The file's own redis-server (started before its first test). */
  readonly redis: PrivateRedis;
  /** Servers closed after each test: {@link node} adds its own, a test may add others. */
  readonly open: Harness[];
  /** A key prefix no other test in this file uses, so each test has a cluster of its own. */
  prefix(): string;
  /**
   * A node on the file's Redis under `keyPrefix`, beating every 100 ms and gone 600 ms after its
   * last beat, with an admin port; closed after the test. `roomMoves: false` keeps its rooms home.
   */
  node(nodeId: string, keyPrefix: string, extra?: Parameters<typeof startServer>[0], roomMoves?: false): Promise<Harness>;
}

/**
 * The cluster registry against a real redis-server: a private one per file (its own port, no
 * persistence), so a test may kill and restart it. Heartbeats here are 100 ms and a node lives
 * 600 ms without one; waits poll the registry until it says what the test expects.
 *
 * Call once at the top level of a test file: it registers the hooks that start and stop the
 * Redis, and close each test's nodes after it.
 */
export function useRedisCluster(): RedisClusterFixture {
  let redis: PrivateRedis | undefined;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(() => redis?.kill());
  const open: Harness[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  let prefixes = 0;
  const fixture: RedisClusterFixture = {
    get redis(): PrivateRedis {
      if (!redis) throw new Error('the private Redis starts in beforeAll: use it inside a test');
      return redis;
    },
    open,
    prefix: () => `t${process.pid}-${++prefixes}:`,
    async node(nodeId, keyPrefix, extra = {}, roomMoves) {
      const h = await startServer({
        cluster: {
          redisUrl: fixture.redis.url,
          keyPrefix,
          nodeId,
          publicUrl: `ws://${nodeId}.test/ws`,
          heartbeatMs: 100,
          nodeTtlMs: 600,
          roomMoves,
        },
        admin: { port: 0 },
        ...extra,
      });
      open.push(h);
      return h;
    },
  };
  return fixture;
}

/** Poll `read` until `ok` holds (every 20 ms); the test's own timeout bounds it. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The CLI (`npm start`'s server, from the sources) as a child process on 127.0.0.1:`port`. */
export function spawnCli(port: number, args: string[], env: Record<string, string>, stdio: StdioOptions = 'ignore') {
  const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  // No database: these nodes share one working directory, and an embedded one is one process's.
  return spawn(process.execPath, ['--import', 'tsx', cli, '--port', String(port), '--host', '127.0.0.1', '--persistence', 'off', ...args], {
    // No admin port (it would be the game port + 1, which nothing here reserved).
    env: { ...process.env, TICKWIRE_ADMIN_PORT: 'off', ...env },
    stdio,
  });
}
