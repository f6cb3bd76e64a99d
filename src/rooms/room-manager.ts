import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CloseCode } from '../../shared/protocol/close-codes';
import { Room, type PlayerIdentity, type PlayerSlot, type RoomClient, type RoomOptions } from './room';
import type { ResolvedRoomType } from './room-type';

/** A seat found by resume token or identity, and the link it had (undefined when detached). */
export interface SeatTakeover {
  room: Room;
  slot: PlayerSlot<unknown>;
  /** The seat's live link that the new one replaces (a half-open predecessor, or another tab). */
  previous: RoomClient | undefined;
  /** When the seat's link dropped, ms on the server clock (NaN for a new or live seat). */
  detachedAt: number;
}

/** A JOIN the server refuses; `closeCode` is what the client is closed with. */
export class JoinRejectedError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
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
  /**
   * Makes a room id (default: the type name and 64 random bits). An id already in use is
   * drawn again, so a live room is never overwritten.
   */
  roomId?: (typeName: string) => string;
  /**
   * Seats held for matchmade players at once, over all rooms (default 256): past it this node
   * refuses to hold more, so addresses without number cannot fill its rooms with holds.
   */
  maxReservations?: number;
}

/** A seat held in a room for a player who is on the way (matchmaking), single use. */
export interface SeatReservation {
  /** What the player presents in JOIN.reservation: 128 random bits, base64url. */
  token: string;
  roomId: string;
  typeName: string;
  /** When the hold lapses, ms on the server clock. */
  expiresAt: number;
  /** The identity the seat is held for (matchmaking with a token); only it may claim the seat. */
  userId?: string;
}

export interface RoomManagerEvents {
  'room-created': [Room];
  'room-disposed': [Room, string];
  'room-crashed': [Room, unknown];
  /** A reservation was claimed by a JOIN (its token). */
  'reservation-claimed': [string];
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
  /** Named in every WELCOME when set (see WelcomeMessage.node): the cluster sets it behind a routing front. */
  nodeRoute: string | undefined;
  /** Resume token → its seat. Every held seat has exactly one live token. */
  private readonly byResumeToken = new Map<string, { room: Room; slot: PlayerSlot<unknown> }>();
  /** `${roomType}\0${userId}` → the identity's one seat in rooms of that type. */
  private readonly byUser = new Map<string, { room: Room; slot: PlayerSlot<unknown> }>();
  /** Reservation token → its hold; and held seats per room, which count as taken. */
  private readonly reservations = new Map<string, { room: Room; expiresAt: number; userId: string | undefined }>();
  private readonly maxReservations: number;
  private readonly reservedIn = new Map<Room, number>();

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each room type has its own state, input and prediction types
    types: readonly ResolvedRoomType<any, any, any>[],
    private readonly options: RoomManagerOptions,
  ) {
    super();
    for (const t of types) {
      if (this.types.has(t.name)) throw new Error(`two room types are named "${t.name}": give one a distinct name`);
      this.types.set(t.name, t as ResolvedRoomType);
    }
    this.maxRooms = options.maxRooms ?? 1000;
    this.maxReservations = options.maxReservations ?? 256;
  }

  /** What every room here is made with (a room moved in too). */
  get roomOptions(): RoomOptions {
    return { maxBufferedBytes: this.options.maxBufferedBytes, nodeRoute: () => this.nodeRoute };
  }

  get typeNames(): string[] {
    return [...this.types.keys()];
  }

  /** The resolved room type called `typeName`, or a JoinRejectedError saying which exist. */
  type(typeName: string): ResolvedRoomType {
    const type = this.types.get(typeName);
    if (!type)
      throw new JoinRejectedError(CloseCode.JoinRejected, `unknown room type "${typeName}"; this server has: ${this.typeNames.join(', ')}`);
    return type;
  }

  /**
   * Put a client in the first room of `typeName` with space, making one if none has any. An
   * identity that already holds a seat in a room of that type takes that seat over instead
   * (`previous` is the link to close): one identity, one seat.
   */
  join(client: RoomClient, typeName: string, name: string, identity?: PlayerIdentity): SeatTakeover {
    const type = this.type(typeName);
    return this.takeOverOwnSeat(client, type.name, identity) ?? this.seat(this.roomWithSpace(type), client, name, identity);
  }

  /** One identity, one seat per room type: the seat `identity` already holds there, taken over by `client`. */
  private takeOverOwnSeat(client: RoomClient, typeName: string, identity: PlayerIdentity | undefined): SeatTakeover | undefined {
    const held = identity && this.byUser.get(userKey(typeName, identity.userId));
    return held ? this.takeOver(held.room, held.slot, client) : undefined;
  }

  /** Seats not taken and not held in `room`. */
  freeSeats(room: Room): number {
    return room.type.maxPlayers - room.players.length - (this.reservedIn.get(room) ?? 0);
  }

  /** The first room of `type` with a free seat (held seats count as taken), or a new one. */
  private roomWithSpace(type: ResolvedRoomType): Room {
    for (const r of this.rooms.values()) if (r.type === type && !r.disposed && this.freeSeats(r) > 0) return r;
    if (this.rooms.size >= this.maxRooms)
      throw new JoinRejectedError(CloseCode.JoinRejected, `every room is full and the server is at its room limit (${this.maxRooms})`);
    try {
      return this.create(type);
    } catch (err) {
      // createState, onCreate or a 'room-created' listener threw: create() has
      // unregistered whatever it registered, so no half-made room is left behind.
      this.crashes++;
      this.options.log.error({ type: type.name, err }, 'room creation failed');
      throw new JoinRejectedError(CloseCode.RoomCrashed, 'the room could not be created');
    }
  }

  /**
   * Hold a seat for a player on the way (matchmaking): in `roomId` when it is of `typeName`
   * and has a free seat, else in the first room of that type with one, else in a new room.
   * The hold counts as a taken seat for everyone (local joins too) until it is claimed with
   * {@link claim} or lapses at `now + ttlMs`. With `userId` only that identity may claim it.
   * Refused (JoinRejectedError) when no room can be had, or this node already holds
   * `maxReservations` seats.
   */
  reserve(typeName: string, now: number, ttlMs: number, roomId?: string, userId?: string): SeatReservation {
    const type = this.type(typeName);
    if (this.reservations.size >= this.maxReservations)
      throw new JoinRejectedError(
        CloseCode.JoinRejected,
        `this node already holds ${this.maxReservations} seats for matchmade players (its limit); try again shortly`,
      );
    const wanted = roomId === undefined ? undefined : this.rooms.get(roomId);
    const room = wanted && wanted.type === type && !wanted.disposed && this.freeSeats(wanted) > 0 ? wanted : this.roomWithSpace(type);
    const token = randomBytes(16).toString('base64url');
    const expiresAt = now + ttlMs;
    this.reservations.set(token, { room, expiresAt, userId });
    this.reservedIn.set(room, (this.reservedIn.get(room) ?? 0) + 1);
    return { token, roomId: room.id, typeName: type.name, expiresAt, userId };
  }

  /**
   * Take the seat a reservation holds. An identity that already has a seat of this type takes
   * that one over instead (and the hold is released). Refused (4013) when the token is unknown,
   * used, expired, for another room type, or held for another identity.
   */
  claim(client: RoomClient, token: string, typeName: string, name: string, now: number, identity?: PlayerIdentity): SeatTakeover {
    const held = this.reservations.get(token);
    if (!held || held.expiresAt <= now || held.room.disposed)
      throw new JoinRejectedError(
        CloseCode.ReservationRejected,
        'reservation refused: unknown, already used, or expired (or for a room on another node); matchmake again',
      );
    if (held.room.type.name !== typeName)
      throw new JoinRejectedError(
        CloseCode.ReservationRejected,
        `reservation refused: it is for a "${held.room.type.name}" room, not "${typeName}"`,
      );
    if (held.userId !== undefined && held.userId !== identity?.userId)
      throw new JoinRejectedError(CloseCode.ReservationRejected, 'reservation refused: it was made for another identity');
    this.release(token, held.room);
    this.emit('reservation-claimed', token);
    return this.takeOverOwnSeat(client, typeName, identity) ?? this.seat(held.room, client, name, identity);
  }

  private release(token: string, room: Room): void {
    this.reservations.delete(token);
    const n = (this.reservedIn.get(room) ?? 1) - 1;
    if (n > 0) this.reservedIn.set(room, n);
    else this.reservedIn.delete(room);
  }

  /** Held seats over all rooms. */
  get reservedSeats(): number {
    return this.reservations.size;
  }

  private seat(room: Room, client: RoomClient, name: string, identity: PlayerIdentity | undefined): SeatTakeover {
    let slot: PlayerSlot<unknown>;
    try {
      slot = room.join(client, name, identity);
    } catch (err) {
      this.crash(room, err);
      throw new JoinRejectedError(CloseCode.RoomCrashed, 'the room failed while adding you');
    }
    this.index(room, slot);
    return { room, slot, previous: undefined, detachedAt: Number.NaN };
  }

  /**
   * Take back the seat a resume token names. Refused (4009) when the token is unknown, used or
   * expired, names another room type, or belongs to another identity; a refused token stays
   * valid for its owner.
   */
  resume(client: RoomClient, token: string, typeName: string, identity?: PlayerIdentity): SeatTakeover {
    const held = this.byResumeToken.get(token);
    if (!held)
      throw new JoinRejectedError(
        CloseCode.ResumeRejected,
        'resume refused: the token is unknown, already used, or expired (the seat was freed); join again',
      );
    if (held.room.type.name !== typeName)
      throw new JoinRejectedError(
        CloseCode.ResumeRejected,
        `resume refused: the token is for a "${held.room.type.name}" room, not "${typeName}"`,
      );
    if (held.slot.userId !== identity?.userId)
      throw new JoinRejectedError(CloseCode.ResumeRejected, 'resume refused: the token belongs to another identity');
    return this.takeOver(held.room, held.slot, client);
  }

  private takeOver(room: Room, slot: PlayerSlot<unknown>, client: RoomClient): SeatTakeover {
    const previous = slot.connected ? slot.client : undefined;
    const detachedAt = slot.detachedAt;
    this.byResumeToken.delete(slot.resumeToken);
    try {
      room.reattach(slot, client);
    } catch (err) {
      this.crash(room, err);
      throw new JoinRejectedError(CloseCode.RoomCrashed, 'the room failed while resuming you');
    }
    this.byResumeToken.set(slot.resumeToken, { room, slot });
    return { room, slot, previous, detachedAt };
  }

  /**
   * The player's link dropped: hold the seat for the room type's resume window, or leave at
   * once when it has none.
   */
  detach(room: Room, slot: PlayerSlot<unknown>, code: number, now: number): void {
    if (room.type.resumeWindowMs <= 0 || room.disposed) {
      this.leave(room, slot);
      return;
    }
    try {
      room.detach(slot, code, now);
    } catch (err) {
      this.crash(room, err);
    }
  }

  /** Free every seat whose resume window has run out by `now`; returns how many. */
  expireSeats(now: number): number {
    let freed = 0;
    for (const [token, held] of this.reservations) {
      if (held.expiresAt > now) continue;
      this.release(token, held.room);
      freed++;
      this.options.log.info({ room: held.room.id }, 'reservation lapsed; seat freed');
      // A room made for a reservation nobody claimed is as empty as one everybody left.
      if (!held.room.disposed && held.room.players.length === 0 && !this.reservedIn.has(held.room)) this.dispose(held.room, 'empty');
    }
    for (const room of [...this.rooms.values()]) {
      if (room.detachedCount === 0) continue;
      for (const slot of room.players.slice()) {
        if (slot.connected || now - slot.detachedAt < room.type.resumeWindowMs) continue;
        this.options.log.info(
          { room: room.id, player: slot.id, droppedMs: Math.round(now - slot.detachedAt) },
          'resume window over; seat freed',
        );
        freed++;
        this.leave(room, slot);
        if (room.disposed) break;
      }
    }
    return freed;
  }

  /** Seats held for a resume, over all rooms. */
  get detachedSeats(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.detachedCount;
    return n;
  }

  /** Remove a player; an emptied room is disposed at once. */
  leave(room: Room, slot: PlayerSlot<unknown>): void {
    this.unindex(room, slot);
    try {
      room.leave(slot);
    } catch (err) {
      this.crash(room, err);
      return;
    }
    if (room.players.length === 0 && !this.reservedIn.has(room)) this.dispose(room, 'empty');
  }

  private index(room: Room, slot: PlayerSlot<unknown>): void {
    this.byResumeToken.set(slot.resumeToken, { room, slot });
    if (slot.userId !== undefined) this.byUser.set(userKey(room.type.name, slot.userId), { room, slot });
  }

  private unindex(room: Room, slot: PlayerSlot<unknown>): void {
    if (this.byResumeToken.get(slot.resumeToken)?.slot === slot) this.byResumeToken.delete(slot.resumeToken);
    if (slot.userId === undefined) return;
    const key = userKey(room.type.name, slot.userId);
    if (this.byUser.get(key)?.slot === slot) this.byUser.delete(key);
  }

  /**
   * Run every room's due steps at `now`. A room that holds only reservations (nobody has sat
   * down yet) does not tick: its clock is moved along instead, so its first player starts at
   * tick 0 and no catch-up burst runs. Holds cost a seat and nothing more.
   */
  pump(now: number): void {
    for (const room of this.rooms.values()) {
      // Frozen: being handed to another node. Held: moved here, waiting for its players.
      if (room.frozen) continue;
      if (room.players.length === 0 || room.isHeld(now)) {
        room.loop.start(now);
        continue;
      }
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

  /**
   * Stop a room ticking while it is handed to another node (its state at this tick is what
   * travels). {@link thaw} undoes it when the hand-over fails; {@link forgetMoved} ends it here
   * when it succeeds.
   */
  freeze(room: Room): void {
    room.frozen = true;
  }

  /** The hand-over failed: tick on from `now` (no burst of catch-up ticks for the time frozen). */
  thaw(room: Room, now: number): void {
    if (!room.frozen) return;
    room.frozen = false;
    room.loop.start(now);
  }

  /**
   * A room moved here from another node (room-move.ts): register it and its seats, so its
   * players' resume tokens and identities find them. Refused when a room of that id is here or
   * the node is at its room limit.
   */
  adopt(room: Room): void {
    if (this.rooms.has(room.id)) throw new JoinRejectedError(CloseCode.JoinRejected, `a room ${room.id} already runs here`);
    if (this.rooms.size >= this.maxRooms)
      throw new JoinRejectedError(CloseCode.JoinRejected, `this node is at its room limit (${this.maxRooms})`);
    this.rooms.set(room.id, room);
    for (const slot of room.players) this.index(room, slot);
    try {
      this.emit('room-created', room);
      room.type.onMovedIn?.(room);
    } catch (err) {
      this.crash(room, err);
      throw new JoinRejectedError(CloseCode.RoomCrashed, `the moved room failed to start here: ${(err as Error).message}`);
    }
    this.options.log.info({ room: room.id, type: room.type.name, tick: room.tick, players: room.players.length }, 'room moved in');
  }

  /**
   * The room now runs on another node: forget it here without ending it (no onDispose, no
   * leave hooks; onMovedOut instead). Its sessions must have let go of it first.
   */
  forgetMoved(room: Room): void {
    room.disposed = true;
    try {
      room.type.onMovedOut?.(room);
    } catch (err) {
      this.options.log.error({ room: room.id, err }, 'room onMovedOut threw');
    }
    this.forget(room, 'moved');
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
    const makeId = this.options.roomId ?? defaultRoomId;
    let id = makeId(type.name);
    for (let tries = 1; this.rooms.has(id); tries++) {
      if (tries >= 100) throw new Error(`room id generator keeps returning ids in use (last "${id}")`);
      id = makeId(type.name);
    }
    const room = new Room(id, type, this.roomOptions);
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
    if (this.rooms.get(room.id) !== room) return;
    this.rooms.delete(room.id);
    for (const slot of room.players) this.unindex(room, slot);
    if (this.reservedIn.delete(room))
      for (const [token, held] of this.reservations) if (held.room === room) this.reservations.delete(token);
    this.options.log.info({ room: room.id, reason, ticks: room.loop.steps, overruns: room.loop.overruns }, 'room disposed');
    this.emit('room-disposed', room, reason);
  }
}

function userKey(typeName: string, userId: string): string {
  return `${typeName}\0${userId}`;
}

/** The type name and 64 random bits: unique across processes too, for a later shared registry. */
function defaultRoomId(typeName: string): string {
  return `${typeName}-${randomBytes(8).toString('hex')}`;
}
