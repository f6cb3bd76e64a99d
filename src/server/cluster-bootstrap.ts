import type { ChatService } from '../chat/chat-service';
import { ClusterBus } from '../cluster/cluster-bus';
import type { ClusterRegistry } from '../cluster/cluster-registry';
import { Matchmaker } from '../cluster/matchmaker';
import { MemoryRegistry } from '../cluster/memory-registry';
import { NodePresence, type ClusterOptions } from '../cluster/node-presence';
import { NodeRpc } from '../cluster/node-rpc';
import { RedisRegistry } from '../cluster/redis-registry';
import { RoomMover, type RoomMoveOptions } from '../cluster/room-mover';
import type { Logger } from '../logging/logger';
import { redactUrl } from '../logging/redact-url';
import type { Clock } from '../loop/clock';
import type { RoomManager } from '../rooms/room-manager';
import type { Session } from '../session/session';
import type { MatchmakeRoute } from './matchmake-route';
import { busNoticeDelivery, tellRoomMoved } from './player-notices';

/** Every Redis key starts with this unless `cluster.keyPrefix` says otherwise. */
const DEFAULT_KEY_PREFIX = 'tickwire:';

/** What joining the cluster reads of the server. */
export interface ClusterHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly rooms: RoomManager;
  /** Every open session: bus notices and room moves reach players through them. */
  readonly sessions: ReadonlySet<Session>;
  /** Room chat, whose lines travel with a moved room. */
  readonly chat: ChatService | undefined;
  /** Reserves seats on this node, for local and remote matchmaking. */
  readonly matchmaking: MatchmakeRoute;
  /** True while the server drains: the node takes no new rooms or moves. */
  readonly draining: boolean;
}

/** This node's place in the cluster, as {@link joinCluster} makes it. */
export interface ClusterLink {
  presence: NodePresence;
  matchmaker: Matchmaker;
  bus: ClusterBus;
  /** Calls between nodes (Redis only). */
  rpc: NodeRpc | undefined;
  /** Hands live rooms to other nodes on a drain, and takes theirs (Redis only, unless room moves are off). */
  mover: RoomMover | undefined;
}

/**
 * Connect the cluster registry (Redis with `cluster.redisUrl`, else memory, this process alone)
 * and publish this node. With Redis come the node-to-node calls, room moves and a shared bus.
 */
export async function joinCluster(host: ClusterHost, options: ClusterOptions | undefined, startedAt: number): Promise<ClusterLink> {
  const o = options ?? {};
  const keyPrefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX;
  let registry: ClusterRegistry;
  if (o.redisUrl) {
    registry = await RedisRegistry.connect({ url: o.redisUrl, keyPrefix: o.keyPrefix, nodeTtlMs: o.nodeTtlMs });
    host.log.info({ redis: redactUrl(o.redisUrl), keyPrefix }, 'cluster: registry in Redis');
  } else {
    registry = new MemoryRegistry(host.clock, o.nodeTtlMs);
  }
  const presence = new NodePresence(registry, host.rooms, {
    ...o,
    startedAt,
    isDraining: () => host.draining,
    log: host.log,
  });
  if (o.stickyRoute) host.rooms.nodeRoute = presence.nodeId;
  let rpc: NodeRpc | undefined;
  let mover: RoomMover | undefined;
  if (registry instanceof RedisRegistry) {
    rpc = await NodeRpc.start(registry.redis, keyPrefix, presence.nodeId, host.matchmaking.reserveHere);
    if (o.roomMoves !== false && o.roomMoves?.enabled !== false) {
      mover = makeMover(host, presence.nodeId, registry, rpc, keyPrefix, o.roomMoves);
      rpc.importHandler = mover.importRoom;
    }
  }
  const matchmaker = new Matchmaker(presence, host.matchmaking.reserveHere, rpc, host.log, o.stickyRoute);
  const bus = new ClusterBus(presence.nodeId, busNoticeDelivery(host.sessions), host.log);
  if (registry instanceof RedisRegistry) await bus.connectRedis(registry.redis, keyPrefix);
  await presence.start();
  return { presence, matchmaker, bus, rpc, mover };
}

/** Leave again after a failed start (a port was taken): no node nobody reaches stays advertised. */
export async function leaveCluster(link: Partial<Pick<ClusterLink, 'presence' | 'bus' | 'rpc'>>): Promise<void> {
  void link.rpc?.close();
  link.bus?.close();
  await link.presence?.stop();
}

function makeMover(
  host: ClusterHost,
  nodeId: string,
  registry: RedisRegistry,
  rpc: NodeRpc,
  keyPrefix: string,
  options: RoomMoveOptions | undefined,
): RoomMover {
  const chat = host.chat;
  return new RoomMover(
    {
      rooms: host.rooms,
      clock: host.clock,
      log: host.log,
      nodeId,
      registry,
      redis: registry.redis,
      keyPrefix,
      rpc,
      draining: () => host.draining,
      chatLines: (roomId) => chat?.roomLines(roomId) ?? [],
      restoreChat: (roomId, lines) => chat?.restoreRoom(roomId, lines),
      movedOut: (room, target) => tellRoomMoved(host.sessions, room, target),
    },
    options,
  );
}
