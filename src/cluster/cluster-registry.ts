/**
 * The cluster's shared picture: which nodes are alive and which rooms live where. One
 * interface, two stores: in memory (the embedded default, one process) and in Redis (on when
 * `REDIS_URL` is set). Room code never sees either; {@link NodePresence} feeds it from the
 * room manager.
 */

/** One server process as the cluster sees it. */
export interface NodeListing {
  /** Unique per process (default: host name, pid and 32 random bits). */
  id: string;
  /** Where clients reach this node (its `--public-url`), or '' when not set. */
  publicUrl: string;
  /** When the process started, ms since the epoch. */
  startedAt: number;
  /** A draining node takes no new rooms. */
  draining: boolean;
  /** Taken seats on this node (as {@link RoomListing.players}). */
  players: number;
  /** Rooms on this node. */
  rooms: number;
}

/** One room as the cluster sees it. */
export interface RoomListing {
  roomId: string;
  /** The room type's name. */
  type: string;
  /** The node that runs it. */
  nodeId: string;
  /** Taken seats: seated players (detached ones too: they hold a place) and seats held by reservations. */
  players: number;
  /** The room type's maxPlayers. */
  capacity: number;
}

/** The registry at one moment: live nodes, and the rooms on them. */
export interface ClusterView {
  nodes: NodeListing[];
  rooms: RoomListing[];
}

/** What one node publishes each heartbeat: itself and every room it runs. */
export interface NodeReport {
  node: NodeListing;
  rooms: readonly RoomListing[];
}

/**
 * The shared registry. `publish` replaces everything this node said before (rooms it no
 * longer lists are removed) and refreshes its liveness for `nodeTtlMs`; a node that stops
 * publishing is reaped, with its rooms, by whichever node next calls `reap` (every node does
 * on each heartbeat), and reads never return a dead node's rooms.
 */
export interface ClusterRegistry {
  readonly kind: 'memory' | 'redis';
  /** Replace this node's entry and room list; refreshes its liveness. */
  publish(report: NodeReport): Promise<void>;
  /** Remove nodes whose liveness has lapsed, and their rooms; resolves with their ids. */
  reap(): Promise<string[]>;
  /** Live nodes and their rooms (optionally of one type), read together in one round trip. */
  view(type?: string): Promise<ClusterView>;
  /** Live nodes. */
  nodes(): Promise<NodeListing[]>;
  /** Rooms on live nodes, optionally of one type. */
  rooms(type?: string): Promise<RoomListing[]>;
  /** Remove this node and its rooms now (a clean shutdown), then release connections. */
  close(nodeId: string): Promise<void>;
}

/** `nodes()` and `rooms()`, derived from `view()`: what every registry shares. */
export abstract class RegistryReads {
  abstract view(type?: string): Promise<ClusterView>;

  async nodes(): Promise<NodeListing[]> {
    return (await this.view()).nodes;
  }

  async rooms(type?: string): Promise<RoomListing[]> {
    return (await this.view(type)).rooms;
  }
}

/** Liveness and heartbeat defaults, ms. */
export const DEFAULT_HEARTBEAT_MS = 1000;
/** A node not heard from for this long is dead: three missed heartbeats. */
export const DEFAULT_NODE_TTL_MS = 3000;
