import type { ClusterOptions } from '../../src/cluster/node-presence';
import { startServer } from './server-harness';

/** A server started by startServer, with its log lines and clock. */
export type Harness = Awaited<ReturnType<typeof startServer>>;

/**
 * One node of a test cluster on a private Redis (startServer on port 0): it beats every 100 ms
 * and counts as gone 600 ms after its last beat, and its public URL is its own, set once it
 * listens. `cluster` names the Redis, the key prefix (fresh per test), the node and its room
 * moves; `options` goes to startServer. The caller beats once all its nodes are up.
 */
export async function startClusterNode(
  cluster: Required<Pick<ClusterOptions, 'redisUrl' | 'keyPrefix' | 'nodeId'>> & Pick<ClusterOptions, 'roomMoves'>,
  options: Parameters<typeof startServer>[0] = {},
): Promise<Harness> {
  const h = await startServer({
    ...options,
    cluster: { ...cluster, publicUrl: 'ws://unset.test/ws', heartbeatMs: 100, nodeTtlMs: 600 },
  });
  // Port 0: the public URL is known once listening.
  h.server.cluster!.publicUrl = h.url;
  return h;
}
