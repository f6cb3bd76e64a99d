import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../loop/clock';
import type { StoredChatMessage } from '../persistence/chat-store';
import type { Room } from '../rooms/room';
import { JoinRejectedError, type RoomManager } from '../rooms/room-manager';
import {
  decodeMovedRoom,
  DEFAULT_MAX_MOVED_ROOM_BYTES,
  encodeMovedRoom,
  isMovable,
  MoveRefusedError,
  restoreMovedRoom,
} from '../rooms/room-move';
import type { ClusterRegistry, NodeListing } from './cluster-registry';
import type { ImportRoomReply, ImportRoomRequest, NodeRpc } from './node-rpc';

/** Room moves on a drain (the server's `cluster.roomMoves` option). */
export interface RoomMoveOptions {
  /** Move live rooms to other nodes when this one drains (default true; needs Redis). */
  enabled?: boolean;
  /** A room larger than this, encoded, is not moved and drains as before, bytes (default 4 MiB). */
  maxBytes?: number;
  /** How long the taking node has to answer, ms (default 2000); then the room drains as before. */
  timeoutMs?: number;
  /**
   * How long a moved room waits, without ticking, for the players who were connected on the old
   * node to resume, ms (default {@link DEFAULT_MOVE_HOLD_MS}): their inputs for the ticks after
   * the move are then not late. It ends as soon as they are all back.
   */
  holdMs?: number;
}

/** What the mover needs from its server. */
export interface RoomMoverHost {
  readonly rooms: RoomManager;
  readonly clock: Clock;
  readonly log: Logger;
  readonly nodeId: string;
  readonly registry: ClusterRegistry;
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly rpc: NodeRpc;
  /** True while this node drains: it takes no rooms. */
  draining(): boolean;
  /** The room chat's lines to carry, and where to put those that arrive. */
  chatLines(roomId: string): StoredChatMessage[];
  restoreChat(roomId: string, lines: StoredChatMessage[]): void;
  /** The room is on `target` now: tell its players (NOTICE 'move', close 4016) and let go of their sessions. */
  movedOut(room: Room, target: NodeListing): void;
}

/** Counters for /health. */
export interface RoomMoveStats {
  /** Rooms this node handed to another. */
  movedOut: number;
  /** Rooms this node took from another. */
  movedIn: number;
  /** Rooms that could not move (no node, too large, refused, timed out) and drained as before. */
  failed: number;
  /** Moved rooms this node refused to take. */
  refused: number;
}

/**
 * Default hold of a moved room, ms. Everyone who is back waits for the last of the room's
 * players, so the hold sets the room's median gap in snapshots (the slowest player's own
 * reconnect sets the p99 either way). A player back after it has the inputs it re-sends for
 * the ticks run meanwhile refused as late. 250 ms was tried: on the deploy rig the gaps did not
 * move beyond the runs' spread (docs/deploy.md), while more players came back after it.
 */
export const DEFAULT_MOVE_HOLD_MS = 500;

/** How many nodes one room is offered to before it drains as before. */
const MAX_TRIES = 2;
/** The blob outlives the answer's timeout by this much, ms: a node that is slow still finds it, and it goes by itself otherwise. */
const BLOB_TTL_EXTRA_MS = 10_000;

/**
 * Hands a draining node's live rooms to other nodes, and takes theirs (issue 22).
 *
 * Out: each movable room with players is frozen at its tick, encoded (room-move.ts) and stored
 * in Redis under a fresh key with a TTL; the least-loaded live node that is not draining is
 * asked over the node RPC to take it. The taker reads the blob, builds the room, and claims the
 * key by deleting it; only then does the room run there. The key is the one point both sides
 * decide on: when the answer does not come in time, the old node deletes the key itself, and
 * whichever delete came first wins (deleted by the old node: the room drains here as before;
 * already gone: the taker has it). A room runs on exactly one node either way.
 */
export class RoomMover {
  readonly stats: RoomMoveStats = { movedOut: 0, movedIn: 0, failed: 0, refused: 0 };
  readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly holdMs: number;

  constructor(
    private readonly host: RoomMoverHost,
    options: RoomMoveOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_MOVED_ROOM_BYTES;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.holdMs = options.holdMs ?? DEFAULT_MOVE_HOLD_MS;
    if (!(this.maxBytes > 0)) throw new RangeError(`roomMoves.maxBytes must be a positive number of bytes, got ${this.maxBytes}`);
    if (!(this.timeoutMs > 0)) throw new RangeError(`roomMoves.timeoutMs must be > 0 ms, got ${this.timeoutMs}`);
    if (!(this.holdMs >= 0)) throw new RangeError(`roomMoves.holdMs must be ≥ 0 ms, got ${this.holdMs}`);
  }

  /** The rooms a drain would try to move: live, movable, with players. */
  candidates(): Set<Room> {
    const out = new Set<Room>();
    for (const room of this.host.rooms.rooms.values()) if (!room.disposed && room.players.length > 0 && isMovable(room.type)) out.add(room);
    return out;
  }

  /**
   * Move every room of `rooms` it can, all at once; resolves with the rooms moved. Those that
   * did not move tick on here (and drain as before).
   */
  async moveAll(rooms: Set<Room>): Promise<Set<Room>> {
    const moved = new Set<Room>();
    if (rooms.size === 0) return moved;
    const { log } = this.host;
    let nodes: NodeListing[];
    try {
      nodes = await this.host.registry.nodes();
    } catch (err) {
      log.warn({ err: (err as Error).message, rooms: rooms.size }, 'room moves: the registry is unreachable; rooms drain as before');
      this.stats.failed += rooms.size;
      return moved;
    }
    const open = nodes.filter((n) => n.id !== this.host.nodeId && !n.draining);
    if (open.length === 0) {
      log.warn({ rooms: rooms.size }, 'room moves: no other live node that is not draining; rooms drain as before');
      this.stats.failed += rooms.size;
      return moved;
    }
    // Players each node will have once the rooms already given to it arrive: the next room
    // goes to the least loaded, so a drained node's rooms spread out.
    const load = new Map(open.map((n) => [n.id, n.players]));
    const plans = [...rooms].map((room) => {
      const order = [...open].sort((a, b) => load.get(a.id)! - load.get(b.id)! || a.rooms - b.rooms);
      load.set(order[0].id, load.get(order[0].id)! + room.players.length);
      return { room, order: order.slice(0, MAX_TRIES) };
    });
    await Promise.all(
      plans.map(async ({ room, order }) => {
        if (await this.moveOne(room, order)) moved.add(room);
      }),
    );
    return moved;
  }

  /** Offer `room` to each of `targets` in turn; true once one has it (its players have been told). */
  private async moveOne(room: Room, targets: NodeListing[]): Promise<boolean> {
    const { rooms, clock, log, redis } = this.host;
    rooms.freeze(room);
    const frozenAt = performance.now();
    const fields = { room: room.id, type: room.type.name, tick: room.tick, players: room.players.length };
    let bytes: Uint8Array;
    try {
      bytes = encodeMovedRoom(room, clock.now(), this.host.nodeId, this.host.chatLines(room.id));
    } catch (err) {
      log.error({ ...fields, err }, 'room move: the state could not be encoded (the game state codec threw); the room drains as before');
      return this.fail(room);
    }
    if (bytes.length > this.maxBytes) {
      log.warn(
        { ...fields, bytes: bytes.length, maxBytes: this.maxBytes },
        'room move: the room is over the size limit; it drains as before',
      );
      return this.fail(room);
    }
    for (const target of targets) {
      const key = `${this.host.keyPrefix}move:${room.id}:${randomBytes(8).toString('hex')}`;
      const at = { ...fields, to: target.id, bytes: bytes.length };
      let taken: boolean;
      try {
        // The request goes out without waiting for the SET's answer: both travel on the same
        // connection (NodeRpc publishes on the registry's), and Redis runs one connection's
        // commands in order, so the blob is stored before the target hears of it. One round
        // trip less while the room is frozen and its players see no snapshots.
        const stored = redis.set(
          key,
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          'PX',
          this.timeoutMs + BLOB_TTL_EXTRA_MS,
        );
        const answer = this.host.rpc
          .request(target.id, { op: 'import-room', key, roomId: room.id, roomType: room.type.name }, this.timeoutMs)
          .catch(async (err: Error): Promise<ImportRoomReply> => {
            // No answer: whoever deletes the key first decides. Gone already: the target has it.
            const deleted = await redis.del(key).catch(() => -1);
            return deleted === 0 ? { ok: true } : { ok: false, message: err.message };
          });
        await stored;
        const reply = await answer;
        taken = reply.ok;
        if (!reply.ok) log.warn({ ...at, reason: reply.message }, 'room move: refused or no answer');
      } catch (err) {
        log.warn({ ...at, err: (err as Error).message }, 'room move: Redis failed; the room drains as before');
        await redis.del(key).catch(() => undefined);
        return this.fail(room);
      }
      if (taken) {
        this.stats.movedOut++;
        // frozenMs: freeze → taken there, the part of its players' gap in snapshots that is this hand-over's.
        log.info({ ...at, frozenMs: Math.round(performance.now() - frozenAt) }, 'room moved out');
        this.host.movedOut(room, target);
        rooms.forgetMoved(room);
        return true;
      }
    }
    return this.fail(room);
  }

  private fail(room: Room): false {
    this.stats.failed++;
    this.host.rooms.thaw(room, this.host.clock.now());
    return false;
  }

  /** Take a room another node is draining (the node RPC's import-room). */
  readonly importRoom = async (req: ImportRoomRequest): Promise<ImportRoomReply> => {
    try {
      await this.take(req);
      this.stats.movedIn++;
      return { ok: true };
    } catch (err) {
      this.stats.refused++;
      const known = err instanceof MoveRefusedError || err instanceof JoinRejectedError;
      if (!known) this.host.log.error({ room: req.roomId, err }, 'room move: taking the room failed');
      else this.host.log.warn({ room: req.roomId, reason: (err as Error).message }, 'room move: refused a room');
      return { ok: false, message: (err as Error).message };
    }
  };

  private async take(req: ImportRoomRequest): Promise<void> {
    const { rooms, redis, clock } = this.host;
    if (this.host.draining()) throw new MoveRefusedError('this node is draining too');
    const type = rooms.type(req.roomType);
    if (!isMovable(type)) throw new MoveRefusedError(`room type "${type.name}" does not move here (movable: false)`);
    if (rooms.rooms.has(req.roomId)) throw new MoveRefusedError(`a room ${req.roomId} already runs here`);
    const bytes = await redis.getBuffer(req.key);
    if (bytes === null) throw new MoveRefusedError('the room is no longer on offer (timed out, or called off)');
    if (bytes.length > this.maxBytes)
      throw new MoveRefusedError(`the room is ${bytes.length} bytes, over this node's limit of ${this.maxBytes}`);
    const moved = decodeMovedRoom(bytes);
    if (moved.roomId !== req.roomId || moved.type !== type.name) throw new MoveRefusedError('the blob is not the room asked about');
    const room = restoreMovedRoom(moved, type, rooms.roomOptions, clock.now(), this.holdMs);
    // The claim: deleting the key decides, against the old node's own delete on a timeout.
    if ((await redis.del(req.key)) !== 1) throw new MoveRefusedError('the move was called off before this node claimed it');
    rooms.adopt(room);
    this.host.restoreChat(room.id, moved.chat);
  }
}
