import type { Logger } from 'pino';
import type { ClusterView, NodeListing, RoomListing } from './cluster-registry';
import type { NodePresence } from './node-presence';
import type { NodeRpc, ReserveHandler, ReserveReply, ReserveRequest } from './node-rpc';

import type { MatchmakeTicket } from '../../shared/protocol/matchmake-ticket';

/** Where to play: the node to connect to and the single-use reservation to present in JOIN. */
export type MatchmakeResult = MatchmakeTicket;

/** A matchmaking refusal, with the HTTP status it is answered with. */
export class MatchmakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'MatchmakeError';
  }
}

/** Existing rooms tried (fullest first) before a new room is asked for. */
const CANDIDATES = 3;

/**
 * Join-or-create across the cluster. Reads the registry, tries the fullest rooms with a free
 * seat first (ties: the less loaded node), and asks each room's node to hold a seat; the first
 * that does wins. If none does, the least-loaded node that is not draining makes a new room.
 *
 * No seat is ever double-booked: a seat is held by the node that runs the room, whose count
 * (seated players + held seats) is the only one that decides; the registry's counts, up to a
 * heartbeat old, only choose whom to ask. A node that is full by then says so and the next
 * candidate is asked.
 */
export class Matchmaker {
  constructor(
    private readonly presence: NodePresence,
    private readonly local: ReserveHandler,
    private readonly rpc: NodeRpc | undefined,
    private readonly log: Logger,
    /**
     * Every node without a public URL sits behind the same routing front as this one (the
     * `--workers` primary): reach it through this node's URL with its own `?node=`.
     */
    private readonly sameFront = false,
  ) {}

  /** The registry read under way per room type, shared by every request that arrives meanwhile. */
  private readonly reading = new Map<string, Promise<ClusterView>>();
  /** Registry reads made (one per batch of concurrent requests), for tests and /health. */
  registryReads = 0;

  /**
   * The registry's view of `roomType`'s rooms. Requests that arrive while a read is under way
   * share it: however fast anonymous clients ask, this node has at most one read per room
   * type in flight, and the registry's cost follows its own latency, not the request rate.
   * The view is up to a heartbeat old anyway; the owning node's count decides every seat.
   */
  private view(roomType: string): Promise<ClusterView> {
    let read = this.reading.get(roomType);
    if (!read) {
      this.registryReads++;
      read = this.presence.registry.view(roomType).finally(() => this.reading.delete(roomType));
      this.reading.set(roomType, read);
    }
    return read;
  }

  /**
   * @param roomType the room type to play.
   * @param selfUrl this node's WebSocket URL as the caller reached it (used when it has no public URL).
   * @param userId the identity the seat is for (matchmaking with a token): only it may claim it.
   */
  async matchmake(roomType: string, selfUrl: string, userId?: string): Promise<MatchmakeResult> {
    const self = this.presence.nodeId;
    let nodes: NodeListing[] = [];
    let rooms: RoomListing[] = [];
    try {
      ({ nodes, rooms } = await this.view(roomType));
    } catch (err) {
      // Registry unreachable: match on this node alone rather than not at all.
      this.log.warn({ err: (err as Error).message }, 'matchmaking without the registry: this node only');
    }
    const open = new Map(nodes.filter((n) => !n.draining).map((n) => [n.id, n]));
    const load = (id: string) => open.get(id)?.players ?? 0;
    const candidates = rooms
      .filter((r) => open.has(r.nodeId) && r.players < r.capacity)
      .sort((a, b) => b.players - a.players || load(a.nodeId) - load(b.nodeId))
      .slice(0, CANDIDATES);
    // Existing rooms first, fullest first; then a new room, on the least-loaded open node (this
    // one when the registry knows none). Ties broken at random: in a burst every node's
    // published load is the same (a heartbeat old), and a fixed order would send every new
    // room to one node.
    const newRoomOn = [...open.values()]
      .map((n) => ({ id: n.id, players: n.players, r: Math.random() }))
      .sort((a, b) => a.players - b.players || a.r - b.r)
      .map((n) => n.id);
    if (newRoomOn.length === 0 && !this.presence.isDraining()) newRoomOn.push(self);
    const asks: [string, ReserveRequest][] = [
      ...candidates.map((r): [string, ReserveRequest] => [r.nodeId, { op: 'reserve', roomType, roomId: r.roomId, userId }]),
      ...newRoomOn.slice(0, CANDIDATES).map((id): [string, ReserveRequest] => [id, { op: 'reserve', roomType, userId }]),
    ];
    const failures: string[] = [];
    for (const [nodeId, req] of asks) {
      const reply = await this.ask(nodeId, req).catch((err: Error) => ({
        ok: false as const,
        reason: 'refused' as const,
        message: err.message,
      }));
      if (reply.ok) return this.result(reply, roomType, selfUrl);
      failures.push(reply.message);
    }
    throw new MatchmakeError(503, `no seat could be had: ${failures.join('; ') || 'every node is draining'}`);
  }

  private ask(nodeId: string, req: ReserveRequest): Promise<ReserveReply> {
    if (nodeId === this.presence.nodeId) return Promise.resolve(this.local(req));
    if (!this.rpc) return Promise.reject(new Error(`node ${nodeId} cannot be asked without Redis`));
    return this.rpc.request(nodeId, req);
  }

  private result(reply: Extract<ReserveReply, { ok: true }>, roomType: string, selfUrl: string): MatchmakeResult {
    let url = reply.url || (reply.nodeId === this.presence.nodeId ? selfUrl : '');
    if (!url && this.sameFront) {
      const u = new URL(selfUrl);
      u.searchParams.set('node', reply.nodeId);
      url = u.toString();
    }
    if (!url) throw new MatchmakeError(503, `node ${reply.nodeId} has no public URL (--public-url): clients cannot reach it`);
    return { nodeId: reply.nodeId, url, roomId: reply.roomId, roomType, reservation: reply.reservation, expiresInMs: reply.expiresInMs };
  }
}
