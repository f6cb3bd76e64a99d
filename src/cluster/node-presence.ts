import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RoomManager } from '../rooms/room-manager';
import type { RoomMoveOptions } from './room-mover';
import { DEFAULT_HEARTBEAT_MS, type ClusterRegistry, type NodeReport, type RoomListing } from './cluster-registry';

/** Settings for the cluster presence (the server's `cluster` option). */
export interface ClusterOptions {
  /** Redis to share the registry through (`REDIS_URL`); unset: in memory, this process only. */
  redisUrl?: string;
  /** Every Redis key starts with this (default `tickwire:`). */
  keyPrefix?: string;
  /** This node's id (default: host name, pid and 32 random bits). Must be unique in the cluster. */
  nodeId?: string;
  /** Where clients reach this node, e.g. `wss://eu-1.example.com/ws` (default ''). */
  publicUrl?: string;
  /**
   * Behind a front that routes on `?node=<id>` (`npm start -- --workers N` is one): the URLs
   * matchmaking hands out, and every WELCOME, name this node, so players and their resumes reach it.
   */
  stickyRoute?: boolean;
  /** How long a matchmaking seat reservation holds its seat, ms (default 10000). */
  reservationTtlMs?: number;
  /** How often the node publishes itself and reaps dead nodes, ms (default 1000). */
  heartbeatMs?: number;
  /** A node not heard from for this long is dead and its rooms are removed, ms (default 3000). */
  nodeTtlMs?: number;
  /**
   * Live rooms move to another node when this one drains, and this node takes rooms from
   * draining ones (with Redis; default on). `false` (or `enabled: false`) turns both off: a
   * drain then ends every room as before.
   */
  roomMoves?: RoomMoveOptions | false;
}

/** Counters for /health: how the node's link to the registry is doing. */
export interface PresenceStats {
  /** 'memory' or 'redis'. */
  registry: ClusterRegistry['kind'];
  nodeId: string;
  /** False from a failed publish until the next one succeeds. */
  reachable: boolean;
  publishes: number;
  publishFailures: number;
  /** Dead nodes this node removed from the registry. */
  nodesReaped: number;
}

export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Keeps this node's entry in the cluster registry true: publishes the node and its rooms every
 * heartbeat and as soon as a room is made or disposed, and reaps dead nodes. Player counts are
 * at most one heartbeat old. A registry that cannot be reached costs nothing but the cluster
 * view: rooms keep ticking, failures are counted and logged once per outage, and the next
 * heartbeat that gets through republishes everything.
 */
export class NodePresence {
  readonly nodeId: string;
  /**
   * Where clients reach this node, published with it and handed out by matchmaking (default:
   * `publicUrl` from the options, or ''). Settable after listen(), when a port-0 server knows its port.
   */
  publicUrl: string;
  readonly stats: PresenceStats;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly onRoomsChanged = (): void => void this.heartbeat();

  constructor(
    readonly registry: ClusterRegistry,
    private readonly rooms: RoomManager,
    private readonly options: ClusterOptions & { startedAt: number; isDraining: () => boolean; log: Logger },
  ) {
    this.nodeId = options.nodeId ?? defaultNodeId();
    this.publicUrl = options.publicUrl ? this.routed(options.publicUrl) : '';
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.stats = { registry: registry.kind, nodeId: this.nodeId, reachable: true, publishes: 0, publishFailures: 0, nodesReaped: 0 };
  }

  /** Publish now, then every heartbeat. Resolves after the first publish (failed or not). */
  async start(): Promise<void> {
    this.rooms.on('room-created', this.onRoomsChanged);
    this.rooms.on('room-disposed', this.onRoomsChanged);
    this.timer = setInterval(this.onRoomsChanged, this.heartbeatMs);
    this.timer.unref();
    await this.heartbeat();
  }

  /** `url` naming this node in `?node=` when behind a routing front; as it is otherwise. */
  routed(url: string): string {
    if (!this.options.stickyRoute) return url;
    const u = new URL(url);
    u.searchParams.set('node', this.nodeId);
    return u.toString();
  }

  /** True while the server drains: it takes no new rooms or seats. */
  isDraining(): boolean {
    return this.options.isDraining();
  }

  /** This node as the registry sees it now. */
  report(): NodeReport {
    const rooms: RoomListing[] = [];
    let players = 0;
    for (const room of this.rooms.rooms.values()) {
      if (room.disposed) continue;
      players += room.players.length;
      rooms.push({
        roomId: room.id,
        type: room.type.name,
        nodeId: this.nodeId,
        players: room.players.length,
        capacity: room.type.maxPlayers,
      });
    }
    return {
      node: {
        id: this.nodeId,
        publicUrl: this.publicUrl,
        startedAt: this.options.startedAt,
        draining: this.options.isDraining(),
        players,
        rooms: rooms.length,
      },
      rooms,
    };
  }

  /**
   * Publish and reap once. A call while one is in flight runs once more after it (so a room
   * made mid-publish is not missed) instead of queueing one per call.
   */
  heartbeat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.beat().finally(() => {
      this.inFlight = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.heartbeat();
      }
    });
    return this.inFlight;
  }

  private async beat(): Promise<void> {
    try {
      await this.registry.publish(this.report());
      const reaped = await this.registry.reap();
      this.stats.publishes++;
      this.stats.nodesReaped += reaped.length;
      if (reaped.length > 0) this.options.log.warn({ nodes: reaped }, 'cluster: nodes stopped heartbeating; their rooms are removed');
      if (!this.stats.reachable) this.options.log.info({ registry: this.registry.kind }, 'cluster: registry reachable again; republished');
      this.stats.reachable = true;
    } catch (err) {
      this.stats.publishFailures++;
      if (this.stats.reachable)
        this.options.log.warn(
          { registry: this.registry.kind, err: (err as Error).message },
          'cluster: registry unreachable; rooms keep running, the cluster view is stale until it is back',
        );
      this.stats.reachable = false;
    }
  }

  /** Stop heartbeating and remove this node and its rooms from the registry (a clean exit). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.rooms.off('room-created', this.onRoomsChanged);
    this.rooms.off('room-disposed', this.onRoomsChanged);
    await this.inFlight;
    try {
      await this.registry.close(this.nodeId);
    } catch (err) {
      this.options.log.warn(
        { err: (err as Error).message },
        'cluster: could not remove this node from the registry; it expires on its own',
      );
    }
  }
}
