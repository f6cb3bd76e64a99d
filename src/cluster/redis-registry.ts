import { redactUrl } from '../logging/redact-url';
import { Redis } from 'ioredis';
import {
  RegistryReads,
  type ClusterRegistry,
  type ClusterView,
  type NodeListing,
  type NodeReport,
  type RoomListing,
} from './cluster-registry';

/**
 * Key layout, under the prefix (default `tickwire:`):
 * - `nodes`: a set of every node id that has published and not been reaped;
 * - `node:<id>`: the node's listing as JSON, expiring `nodeTtlMs` after its last publish;
 * - `node-rooms:<id>`: a hash, room id → the room's listing as JSON.
 * A node is alive while its `node:` key exists. Every script below is atomic, so a reader never
 * sees half a publish and two reapers never disagree. The scripts build key names from the
 * prefix, so this needs one Redis (or a primary with replicas), not Redis Cluster.
 */
const PUBLISH = `
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1`;

const REAP = `
local dead = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'node:' .. id) == 0 then
    redis.call('DEL', ARGV[1] .. 'node-rooms:' .. id)
    redis.call('SREM', KEYS[1], id)
    dead[#dead + 1] = id
  end
end
return dead`;

/** Flat: node JSON, then its room count, then that many room JSONs; live nodes only. */
const LIST = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local node = redis.call('GET', ARGV[1] .. 'node:' .. id)
  if node then
    local rooms = redis.call('HVALS', ARGV[1] .. 'node-rooms:' .. id)
    out[#out + 1] = node
    out[#out + 1] = tostring(#rooms)
    for _, r in ipairs(rooms) do out[#out + 1] = r end
  end
end
return out`;

const REMOVE = `
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SREM', KEYS[1], ARGV[1])
return 1`;

export interface RedisRegistryOptions {
  /** `redis://[:password@]host:port[/db]`, as `REDIS_URL`. */
  url: string;
  /** Every key starts with this (default `tickwire:`): one Redis can serve several clusters. */
  keyPrefix?: string;
  /** A node not heard from for this long is reaped, ms (default 3000). */
  nodeTtlMs?: number;
  /** Longest a connect attempt waits before it counts as failed, ms (default 2000). */
  connectTimeoutMs?: number;
}

interface ScriptCommands {
  twPublish(nodes: string, node: string, rooms: string, ...argv: (string | number)[]): Promise<number>;
  twReap(nodes: string, prefix: string): Promise<string[]>;
  twList(nodes: string, prefix: string): Promise<string[]>;
  twRemove(nodes: string, node: string, rooms: string, id: string): Promise<number>;
}

/**
 * {@link ClusterRegistry} in Redis (ioredis). Commands fail at once while Redis is unreachable
 * (no offline queue: a heartbeat is worth nothing late) and the client reconnects on its own
 * with a backoff up to 2 s; the node's next heartbeat republishes everything, so the registry
 * recovers without help.
 */
export class RedisRegistry extends RegistryReads implements ClusterRegistry {
  readonly kind = 'redis';
  readonly redis: Redis & ScriptCommands;
  private readonly prefix: string;
  private readonly nodeTtlMs: number;

  private constructor(options: RedisRegistryOptions) {
    super();
    this.prefix = options.keyPrefix ?? 'tickwire:';
    this.nodeTtlMs = options.nodeTtlMs ?? 3000;
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    }) as Redis & ScriptCommands;
    // Errors surface on the commands that fail; without a listener ioredis prints each one.
    this.redis.on('error', () => {});
    this.redis.defineCommand('twPublish', { numberOfKeys: 3, lua: PUBLISH });
    this.redis.defineCommand('twReap', { numberOfKeys: 1, lua: REAP });
    this.redis.defineCommand('twList', { numberOfKeys: 1, lua: LIST });
    this.redis.defineCommand('twRemove', { numberOfKeys: 3, lua: REMOVE });
  }

  /** Connect; rejects when Redis cannot be reached now (the server refuses to start without it). */
  static async connect(options: RedisRegistryOptions): Promise<RedisRegistry> {
    const registry = new RedisRegistry(options);
    try {
      await registry.redis.connect();
    } catch (err) {
      registry.redis.disconnect();
      throw new Error(`cannot reach Redis at ${redactUrl(options.url)}: ${(err as Error).message}`);
    }
    return registry;
  }

  private keys(nodeId: string): [string, string, string] {
    return [`${this.prefix}nodes`, `${this.prefix}node:${nodeId}`, `${this.prefix}node-rooms:${nodeId}`];
  }

  async publish(report: NodeReport): Promise<void> {
    const argv: (string | number)[] = [report.node.id, this.nodeTtlMs, JSON.stringify(report.node)];
    for (const room of report.rooms) argv.push(room.roomId, JSON.stringify(room));
    await this.redis.twPublish(...this.keys(report.node.id), ...argv);
  }

  async reap(): Promise<string[]> {
    return this.redis.twReap(`${this.prefix}nodes`, this.prefix);
  }

  async view(type?: string): Promise<ClusterView> {
    const flat = await this.redis.twList(`${this.prefix}nodes`, this.prefix);
    const view: ClusterView = { nodes: [], rooms: [] };
    for (let i = 0; i < flat.length;) {
      view.nodes.push(JSON.parse(flat[i++]!) as NodeListing);
      const count = Number(flat[i++]);
      for (let k = 0; k < count; k++) {
        const room = JSON.parse(flat[i++]!) as RoomListing;
        if (type === undefined || room.type === type) view.rooms.push(room);
      }
    }
    return view;
  }

  async close(nodeId: string): Promise<void> {
    try {
      if (this.redis.status === 'ready') await this.redis.twRemove(...this.keys(nodeId), nodeId);
    } finally {
      this.redis.disconnect();
    }
  }
}
