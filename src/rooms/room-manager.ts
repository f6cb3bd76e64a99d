import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CloseCode } from '../../shared/protocol/close-codes';
import { Room, type PlayerSlot, type RoomClient } from './room';
import type { ResolvedRoomType } from './room-type';

/** A JOIN the server refuses; `closeCode` is what the client is closed with. */
export class JoinRejectedError extends Error {
  constructor(readonly closeCode: number, message: string) {
    super(message);
    this.name = 'JoinRejectedError';
  }
}

export interface RoomManagerOptions {
  log: Logger;
  /** Rooms that may exist at once, over all types (default 1000). */
  maxRooms?: number;
  /** Passed to each room: skip snapshots above this many queued bytes. */
  maxBufferedBytes?: number;
}

export interface RoomManagerEvents {
  'room-created': [Room];
  'room-disposed': [Room, string];
  'room-crashed': [Room, unknown];
}

/**
 * Owns every room: join-or-create by type, dispose on empty, and the per-room fault wall.
 * One room throwing (in its step, a hook or its game code) is logged and that room alone is
 * disposed, with its players closed {@link CloseCode.RoomCrashed}; the others keep ticking.
 */
export class RoomManager extends EventEmitter<RoomManagerEvents> {
  readonly rooms = new Map<string, Room>();
  private readonly types = new Map<string, ResolvedRoomType>();
  private readonly maxRooms: number;
  /** Rooms disposed because they threw. */
  crashes = 0;

  constructor(types: readonly ResolvedRoomType<any, any, any>[], private readonly options: RoomManagerOptions) {
    super();
    for (const t of types) {
      if (this.types.has(t.name)) throw new Error(`two room types are named "${t.name}": give one a distinct name`);
      this.types.set(t.name, t as ResolvedRoomType);
    }
    this.maxRooms = options.maxRooms ?? 1000;
  }

  get typeNames(): string[] {
    return [...this.types.keys()];
  }

  /** Put a client in the first room of `typeName` with space, making one if none has any. */
  join(client: RoomClient, typeName: string, name: string): { room: Room; slot: PlayerSlot<unknown> } {
    const type = this.types.get(typeName);
    if (!type) throw new JoinRejectedError(CloseCode.JoinRejected, `unknown room type "${typeName}"; this server has: ${this.typeNames.join(', ')}`);
    let room: Room | undefined;
    for (const r of this.rooms.values()) {
      if (r.type === type && !r.isFull && !r.disposed) {
        room = r;
        break;
      }
    }
    if (!room) {
      if (this.rooms.size >= this.maxRooms) throw new JoinRejectedError(CloseCode.JoinRejected, `every room is full and the server is at its room limit (${this.maxRooms})`);
      try {
        room = this.create(type);
      } catch (err) {
        // createState, createCodec, onCreate or a 'room-created' listener threw: create() has
        // unregistered whatever it registered, so no half-made room is left behind.
        this.crashes++;
        this.options.log.error({ type: type.name, err }, 'room creation failed');
        throw new JoinRejectedError(CloseCode.RoomCrashed, 'the room could not be created');
      }
    }
    try {
      return { room, slot: room.join(client, name) };
    } catch (err) {
      this.crash(room, err);
      throw new JoinRejectedError(CloseCode.RoomCrashed, 'the room failed while adding you');
    }
  }

  /** Remove a player; an emptied room is disposed at once. */
  leave(room: Room, slot: PlayerSlot<unknown>): void {
    try {
      room.leave(slot);
    } catch (err) {
      this.crash(room, err);
      return;
    }
    if (room.players.length === 0) this.dispose(room, 'empty');
  }

  /** Run every room's due steps at `now`. */
  pump(now: number): void {
    for (const room of this.rooms.values()) {
      try {
        room.advance(now);
      } catch (err) {
        this.crash(room, err);
      }
    }
  }

  /** The soonest any room wants to step, ms from now. */
  msUntilNextStep(): number {
    let min = Infinity;
    for (const room of this.rooms.values()) min = Math.min(min, room.loop.msUntilNextStep());
    return min;
  }

  /** Dispose every room, closing its clients with `code`. */
  disposeAll(code: number, reason: string): void {
    for (const room of [...this.rooms.values()]) {
      this.disposeRoom(room, code, reason);
      this.forget(room, reason);
    }
  }

  /** Sum of a numeric stat over all rooms. */
  total(stat: keyof Room['stats']): number {
    let sum = 0;
    for (const room of this.rooms.values()) sum += room.stats[stat];
    return sum;
  }

  private create(type: ResolvedRoomType): Room {
    const id = `${type.name}-${randomBytes(4).toString('hex')}`;
    const room = new Room(id, type, { maxBufferedBytes: this.options.maxBufferedBytes });
    this.rooms.set(id, room);
    try {
      this.emit('room-created', room);
    } catch (err) {
      // onCreate has run, so let onDispose release what it took; then forget the room unseen.
      this.rooms.delete(id);
      this.disposeRoom(room, CloseCode.RoomCrashed, 'room creation failed');
      throw err;
    }
    this.options.log.info({ room: id, type: type.name, tickRate: type.tickRate, sendRate: type.sendRate, seed: room.seed }, 'room created');
    return room;
  }

  private crash(room: Room, err: unknown): void {
    this.crashes++;
    this.options.log.error({ room: room.id, tick: room.tick, err }, 'room crashed; disposing it');
    this.emit('room-crashed', room, err);
    this.disposeRoom(room, CloseCode.RoomCrashed, 'room crashed');
    this.forget(room, 'crashed');
  }

  private dispose(room: Room, reason: string): void {
    this.disposeRoom(room, CloseCode.Normal, reason);
    this.forget(room, reason);
  }

  /** Close the room's clients and run its onDispose; a throwing onDispose is logged, never rethrown. */
  private disposeRoom(room: Room, code: number, reason: string): void {
    try {
      room.dispose(code, reason);
    } catch (err) {
      this.options.log.error({ room: room.id, err }, 'room onDispose threw');
    }
  }

  private forget(room: Room, reason: string): void {
    if (!this.rooms.delete(room.id)) return;
    this.options.log.info({ room: room.id, reason, ticks: room.loop.steps, overruns: room.loop.overruns }, 'room disposed');
    this.emit('room-disposed', room, reason);
  }
}
