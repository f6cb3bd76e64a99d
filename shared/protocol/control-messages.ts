import { Packr } from 'msgpackr';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { MessageType } from './message-types';

/** Client → server: ask to join a room. */
export interface JoinMessage {
  /** Protocol version, {@link PROTOCOL_VERSION}. */
  v: number;
  /** Room type to join, e.g. `"arena"`. */
  roomType: string;
  /** Display name, 1-24 characters. */
  name: string;
}

/** Server → client: you are in. Everything the client needs to predict and interpolate. */
export interface WelcomeMessage {
  playerId: number;
  roomId: string;
  roomType: string;
  /** Simulation rate, Hz. */
  tickRate: number;
  /** Snapshot rate, Hz (≤ tickRate). */
  sendRate: number;
  /** The room's tick when the client joined. */
  tick: number;
  /** Everyone already in the room, including the joiner: [playerId, name] pairs. */
  players: [number, string][];
}

/** Server → client: why the connection is about to close. */
export interface ErrorMessage {
  code: number;
  message: string;
}

/**
 * Server → client: players who joined since the last tick, as [playerId, name] pairs. Batched
 * once per tick, so a join storm of n players costs O(n) messages per recipient's tick, not
 * O(n²) sends. May repeat players the client already knows from its WELCOME.
 */
export interface PlayerJoinedMessage {
  players: [number, string][];
}

/** Server → client: players who left since the last tick. May name players the client never knew. */
export interface PlayerLeftMessage {
  playerIds: number[];
}

/** One roster entry, as the SDK's playerJoined/playerLeft events report it. */
export interface RosterEntry {
  playerId: number;
  name: string;
}

/** Client → server: echo request. `t` is the client's clock in ms, echoed untouched. */
export interface PingMessage {
  t: number;
}

/** Server → client: echo reply, with the server's current tick. */
export interface PongMessage {
  t: number;
  tick: number;
}

// One encoder for everything: plain maps, no record extension, so any msgpack peer can read us.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** Frame a control message: one type byte, then the msgpack body. */
export function encodeControl(type: MessageType, body: unknown): Uint8Array {
  const payload = packr.pack(body);
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}

/**
 * Decode a control body strictly: msgpackr rejects truncated input and trailing bytes; we
 * rethrow as a {@link WireError} so callers handle one error type.
 */
export function decodeControlBody(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new WireError(WireErrorCode.BadControl, `control body is not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(msg: string): never {
  throw new WireError(WireErrorCode.BadControl, msg);
}

/** Longest accepted display name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 24;
/** Longest accepted room type name. */
export const MAX_ROOM_TYPE_LENGTH = 32;

/** Validate a JOIN body; unknown keys are rejected so typos fail loudly. */
export function parseJoin(body: unknown): JoinMessage {
  if (!isRecord(body)) bad('JOIN body must be a map');
  for (const key of Object.keys(body)) {
    if (key !== 'v' && key !== 'roomType' && key !== 'name') bad(`JOIN has unknown field "${key}"`);
  }
  const { v, roomType, name } = body;
  if (!Number.isInteger(v)) bad('JOIN.v must be an integer protocol version');
  if (typeof roomType !== 'string' || roomType.length === 0 || roomType.length > MAX_ROOM_TYPE_LENGTH) {
    bad(`JOIN.roomType must be a string of 1-${MAX_ROOM_TYPE_LENGTH} characters`);
  }
  if (typeof name !== 'string') bad('JOIN.name must be a string');
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) bad(`JOIN.name must be 1-${MAX_NAME_LENGTH} characters`);
  // Control characters in names would corrupt logs and name tags.
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) bad('JOIN.name must not contain control characters');
  return { v: v as number, roomType, name: trimmed };
}

export function parsePing(body: unknown): PingMessage {
  if (!isRecord(body) || typeof body.t !== 'number' || !Number.isFinite(body.t)) bad('PING body must be { t: number }');
  return { t: body.t };
}
