import { Packr } from 'msgpackr';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import type { StateCodec } from '../../shared/game/game-definition';
import { plainStateCodec } from '../../shared/game/state-codec';
import { CloseCode } from '../../shared/protocol/close-codes';
import { TickInputBuffer } from '../input/tick-input-buffer';
import type { StoredChatMessage } from '../persistence/chat-store';
import { PlayerSlot, Room, type PlayerIdentity, type RoomOptions } from './room';
import { DETACHED_CLIENT } from './room-client';
import type { ResolvedRoomType } from './room-type';

/**
 * A live room as it travels from a draining node to another (issue 22): everything the new node
 * needs to run it on from the tick it stopped at, with every seat held for its player's resume.
 * Bumped when the layout changes; a node refuses a version it does not know.
 */
export const MOVED_ROOM_VERSION = 1;

/** Largest moved room, bytes (default of the cluster's `maxMovedRoomBytes`): 4 MiB. */
export const DEFAULT_MAX_MOVED_ROOM_BYTES = 4 * 1024 * 1024;

/** One seat of a moved room. */
export interface MovedSeat {
  id: number;
  name: string;
  identity: PlayerIdentity | null;
  /** The token the player holds (its last WELCOME's): the one that takes the seat back on the new node. */
  resumeToken: string;
  /** Whether its link was up on the old node (then the new node waits a little for it: Room.holdFor). */
  connected: boolean;
  /** A seat already detached on the old node: for how long, ms (its resume window goes on counting). */
  detachedForMs: number;
  dropCode: number;
  lastProcessedSeq: number;
  starvedStreak: number;
  rewind16: number;
  /** The input applied last (the one a late input repeats), in the game's input codec. */
  current: Uint8Array;
  /** Inputs buffered for ticks after the move's tick: [tick, view lag in 1/16 ticks, input bytes]. */
  inputs: [number, number, Uint8Array][];
}

/** A moved room, as encoded. */
export interface MovedRoom {
  v: number;
  roomId: string;
  /** The room type's name: the new node must have a type of that name. */
  type: string;
  /** The tick the room stopped at on the old node; the new one carries on from it. */
  tick: number;
  seed: number;
  /** The game state, in the game's state codec. */
  state: Uint8Array;
  nextPlayerId: number;
  seats: MovedSeat[];
  /** The room chat's newest lines, so its history survives the move. */
  chat: StoredChatMessage[];
  /** The node it left. */
  from: string;
}

/** Records off: each blob stands alone, readable by a node that never saw another. */
const packr = new Packr({ useRecords: false, moreTypes: true });

/** The game's state codec, or msgpackr for plain data. */
export function stateCodecOf<S>(type: ResolvedRoomType<S, unknown, unknown>): StateCodec<S> {
  return type.game.stateCodec ?? plainStateCodec<S>();
}

/** Whether rooms of this type may move: the room type says, else the game, else yes. */
export function isMovable(type: ResolvedRoomType): boolean {
  return type.movable ?? type.game.movable ?? true;
}

/**
 * The room as bytes at its current tick, for another node. Call it between ticks on a frozen
 * room (Room.frozen): nothing may change between this and the room being forgotten here.
 *
 * @param now the server clock, ms: how long detached seats have been detached travels, not when
 */
export function encodeMovedRoom(room: Room, now: number, fromNode: string, chat: StoredChatMessage[] = []): Uint8Array {
  const { game } = room.type;
  const tick = room.tick;
  const writer = new ByteWriter(64);
  const inputBytes = (input: unknown): Uint8Array => {
    writer.reset();
    game.input.write(writer, input);
    return writer.bytes().slice();
  };
  const seats: MovedSeat[] = room.players.map((slot) => ({
    id: slot.id,
    name: slot.name,
    identity: slot.identity ?? null,
    resumeToken: slot.resumeToken,
    connected: slot.connected,
    detachedForMs: slot.connected ? 0 : Math.max(0, now - slot.detachedAt),
    dropCode: slot.connected ? 0 : slot.dropCode,
    lastProcessedSeq: slot.lastProcessedSeq,
    starvedStreak: slot.starvedStreak,
    rewind16: slot.rewind16,
    current: inputBytes(slot.current),
    inputs: slot.inputs.pending(tick).map((p): [number, number, Uint8Array] => [p.tick, p.viewLag16, inputBytes(p.input)]),
  }));
  const moved: MovedRoom = {
    v: MOVED_ROOM_VERSION,
    roomId: room.id,
    type: room.type.name,
    tick,
    seed: room.seed,
    state: stateCodecOf(room.type).encode(room.state),
    nextPlayerId: room.nextPlayerId,
    seats,
    chat,
    from: fromNode,
  };
  return packr.pack(moved);
}

/** A moved room that cannot be taken here; `message` says why (the old node logs it and drains the room as before). */
export class MoveRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoveRefusedError';
  }
}

/** Decode and check the shape of a moved room (it comes from Redis, which the cluster trusts, but a bug should fail loudly here). */
export function decodeMovedRoom(bytes: Uint8Array): MovedRoom {
  let m: MovedRoom;
  try {
    m = packr.unpack(bytes) as MovedRoom;
  } catch (err) {
    throw new MoveRefusedError(`the moved room could not be decoded: ${(err as Error).message}`);
  }
  if (typeof m !== 'object' || m === null || m.v !== MOVED_ROOM_VERSION)
    throw new MoveRefusedError(`moved room format ${String((m as { v?: unknown } | null)?.v)} is not ${MOVED_ROOM_VERSION}`);
  if (typeof m.roomId !== 'string' || typeof m.type !== 'string' || !Number.isInteger(m.tick) || !(m.state instanceof Uint8Array))
    throw new MoveRefusedError('the moved room lacks its id, type, tick or state');
  if (!Array.isArray(m.seats) || !Array.isArray(m.chat)) throw new MoveRefusedError('the moved room lacks its seats');
  return m;
}

/**
 * Build the room a moved blob describes, on this node, at the tick it stopped at: the state
 * through the game's codec, every seat detached (held for its resume window, by the same resume
 * token), each seat's buffered inputs in place. The caller registers it (RoomManager.adopt).
 *
 * @param holdMs how long the room waits, without ticking, for the players who were connected
 */
export function restoreMovedRoom(m: MovedRoom, type: ResolvedRoomType, options: RoomOptions, now: number, holdMs: number): Room {
  const state = stateCodecOf(type).decode(m.state);
  if (type.game.tickOf(state) !== m.tick)
    throw new MoveRefusedError(
      `the decoded state is at tick ${type.game.tickOf(state)}, not the room's ${m.tick}: the game's state codec is wrong`,
    );
  const room = new Room(m.roomId, type, { ...options, restore: { seed: m.seed, state } });
  room.nextPlayerId = m.nextPlayerId;
  const reader = new ByteReader();
  const { input } = type.game;
  const readInput = (bytes: Uint8Array, out: unknown): void => {
    reader.reset(bytes);
    input.read(reader, out);
  };
  const waitFor = new Set<number>();
  for (const seat of m.seats) {
    const slot = new PlayerSlot(
      seat.id,
      seat.name,
      // A moved seat's client until its player resumes: sends go nowhere.
      DETACHED_CLIENT,
      new TickInputBuffer(input, type.inputBufferTicks),
      input.create(),
      input.create(),
    );
    slot.identity = seat.identity ?? undefined;
    slot.resumeToken = seat.resumeToken;
    slot.connected = false;
    slot.detachedAt = now - seat.detachedForMs;
    slot.dropCode = seat.connected ? CloseCode.RoomMoved : seat.dropCode;
    slot.lastProcessedSeq = seat.lastProcessedSeq;
    // The player holds the old node's snapshots up to the move's tick: its acks of them name
    // ticks this node's history has too (with other bytes), so only later ones count here.
    slot.acksFrom = m.tick + 1;
    slot.starvedStreak = seat.starvedStreak;
    slot.rewind16 = seat.rewind16;
    readInput(seat.current, slot.current);
    const scratch = input.create();
    for (const [tick, viewLag16, bytes] of seat.inputs) {
      if (tick <= m.tick || tick > m.tick + slot.inputs.capacity) continue;
      readInput(bytes, scratch);
      slot.inputs.put(tick, scratch, viewLag16);
    }
    // A seat that had inputs keeps counting its ticks as used (Room.runTick's lastProcessedSeq).
    if (seat.lastProcessedSeq > slot.inputs.newestTick) slot.inputs.newestTick = seat.lastProcessedSeq;
    room.restoreSeat(slot);
    if (seat.connected) waitFor.add(seat.id);
  }
  if (waitFor.size > 0 && holdMs > 0) {
    room.holdFor = waitFor;
    room.holdUntil = now + holdMs;
  }
  return room;
}
