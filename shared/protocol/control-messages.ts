import { Packr } from 'msgpackr';
import { WireError, WireErrorCode } from '../binary/wire-error';
import type { CellGeometry } from '../replication/cell-geometry';
import { MessageType } from './message-types';
import { MAX_NAME_GRAPHEMES, normalizePlayerName } from './player-name';

/** Client → server: ask to join a room. */
export interface JoinMessage {
  /** Protocol version, {@link PROTOCOL_VERSION}. */
  v: number;
  /** Room type to join, e.g. `"arena"`. */
  roomType: string;
  /** Display name, 1-24 characters. */
  name: string;
  /**
   * A bearer token (JWT) proving who the player is, when the server has authentication on.
   * It may come in the WebSocket URL's `token` query parameter instead; this one wins.
   */
  token?: string;
  /**
   * The resume token from the newest WELCOME: take back the same seat (player, entity, score)
   * after a dropped link. Single use; an unknown, used, expired or foreign one closes 4009.
   */
  resume?: string;
  /**
   * The snapshot codec the client decodes with (`DeltaCodec.name`: version and schema
   * fingerprint). A room type whose codec differs refuses the join with 4000, rather than
   * letting the client misread every snapshot.
   */
  codec?: string;
  /**
   * A seat reservation from matchmaking (`POST /matchmake`): take the seat held for it in the
   * room it names on this node. Single use, short-lived; a bad one closes 4013.
   */
  reservation?: string;
  /**
   * The client's link delivers every message in order, both ways (a WebSocket or an in-memory
   * link, with no unordered network simulator on it). Default: true on a WebSocket, false on
   * anything else; WebRTC is never in order whatever this says. In order, the server sends
   * deltas against the newest snapshot sent rather than the acknowledged one, and lets the
   * client skip unchanged inputs (WELCOME.inputKeepaliveTicks).
   */
  inOrder?: boolean;
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
  /**
   * Players in the room, the joiner included: [playerId, name] pairs. In a big room only the
   * first page ({@link ROSTER_PAGE} entries); the rest follow in PLAYER_JOINED pages, one per
   * tick, so a join storm does not cost O(players²) bytes at once.
   */
  players: [number, string][];
  /** Players in the room when it answered: more than `players.length` means pages follow. */
  rosterSize: number;
  /** The snapshot codec, `DeltaCodec.name`; the client checks it is its own. */
  codec: string;
  /**
   * Ticks back a snapshot's baseline may be: the client keeps every decoded snapshot this
   * recent, so it can decode any delta the server sends.
   */
  historyTicks: number;
  /**
   * Presents this (once) in JOIN.resume to take the seat back after a dropped link. A new one
   * comes with every WELCOME; the old one stops working when it is used.
   */
  resumeToken: string;
  /** How long the seat is held after a drop, ms (0: never; a drop leaves at once). */
  resumeWindowMs: number;
  /** True when this WELCOME answers a resume (or a takeover of the identity's seat). */
  resumed: boolean;
  /** Newest input seq the server applied for this player: resend only the ones after it. */
  lastSeq: number;
  /** The authenticated user (the token's `sub`), or null for a guest. */
  userId: string | null;
  /**
   * Most ticks this client may go without sending an INPUT while its input is unchanged: the
   * server repeats the last input for a tick without one, and counts a tick as starved only
   * after this many silent ticks. 1: send every tick (a link that is not in order). Below the
   * room type's repeatInputTicks, so a held key never stops (see src/rooms/input-keepalive.ts).
   */
  inputKeepaliveTicks: number;
  /**
   * The node holding this seat, when the server sits behind a front that routes on `?node=`
   * (`npm start -- --workers N`): the SDK adds `node=<this>` to its URL when it resumes, so
   * the resume reaches this process.
   */
  node?: string;
  /**
   * The interest grid, when the room type has interest management on: snapshot bodies are then
   * per-cell chunks (shared/replication/cell-codec.ts), and the client needs the grid to decode them.
   */
  interest?: CellGeometry;
}

/** Server → client: something the player should be told, e.g. that the server is shutting down. */
export interface NoticeMessage {
  /**
   * 'shutdown': the server is draining and closes with 1001 in `secondsLeft`; 'info': a notice
   * to everyone (an operator's, on every node); 'direct': to this player's identity alone;
   * 'token-expiring': this session's token expires in `secondsLeft`, and the session is closed
   * 4014 (after the clock tolerance) unless a TOKEN_REFRESH brings a fresh one first; 'move':
   * the node drains and this player's room now runs on node `node` (reach it at `url`, or
   * through the same front with `?node=` when `url` is ''), where its seat waits under the same
   * resume token; the link closes 4016 right after.
   */
  kind: 'shutdown' | 'info' | 'direct' | 'token-expiring' | 'move';
  message: string;
  /**
   * A stored notification's id ('direct' only): it stays unread until the client sends
   * NOTICE_READ with it (the SDK does, after emitting `notice`), and comes again on every
   * connect until then.
   */
  id?: number;
  /** When a stored notification was made, ms since the epoch. */
  at?: number;
  /** Seconds until the server acts on it (shutdown), when known. */
  secondsLeft?: number;
  /** 'move': the id of the node the room moved to. */
  node?: string;
  /** 'move': that node's public URL ('' when it has none: same front, routed on `?node=`). */
  url?: string;
}

/**
 * Client → server: a fresh bearer token for this session (after a 'token-expiring' NOTICE, or
 * any time). Verified like JOIN's; its `sub` must be the session's. One at a time, a few a
 * minute; a bad one closes the session (4010, or 4011 for another user's token).
 */
export interface TokenRefreshMessage {
  token: string;
}

/** Server → client: the answer to a TOKEN_REFRESH that did not close the session. */
export interface TokenRefreshedMessage {
  /** True: the fresh token now holds the session. False: it could not be checked now; try again. */
  ok: boolean;
  /** Seconds until the (fresh) token expires; absent when it has no `exp`. */
  secondsLeft?: number;
  /** Why it was not taken (`ok` false), e.g. "the key set could not be fetched; try again". */
  message?: string;
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
  /** Set on the last page of a roster paged after WELCOME: the client now knows everyone. */
  rosterEnd?: true;
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

/**
 * Server → client: echo reply, with the room's tick when it was written, fractional (how far
 * into the next tick): with the round trip, the client's estimate of the server's clock.
 */
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

/** Longest accepted display name, in grapheme clusters (see player-name.ts). */
export const MAX_NAME_LENGTH = MAX_NAME_GRAPHEMES;
/** Longest accepted room type name. */
export const MAX_ROOM_TYPE_LENGTH = 32;

/** Longest accepted bearer token, in characters (8 KiB: JWTs with large claims sets fit). */
export const MAX_TOKEN_LENGTH = 8192;
/** Longest accepted resume token, in characters (the server issues 24). */
export const MAX_RESUME_TOKEN_LENGTH = 64;

const JOIN_KEYS = new Set(['v', 'roomType', 'name', 'token', 'resume', 'codec', 'reservation', 'inOrder']);

/** Roster entries in WELCOME, and in each PLAYER_JOINED page after it. */
export const ROSTER_PAGE = 64;

/** Validate a JOIN body; unknown keys are rejected so typos fail loudly. */
export function parseJoin(body: unknown): JoinMessage {
  if (!isRecord(body)) bad('JOIN body must be a map');
  for (const key of Object.keys(body)) {
    if (!JOIN_KEYS.has(key)) bad(`JOIN has unknown field "${key}"`);
  }
  const { v, roomType, name, token, resume, codec, reservation, inOrder } = body;
  if (inOrder !== undefined && typeof inOrder !== 'boolean') bad('JOIN.inOrder must be a boolean');
  if (
    reservation !== undefined &&
    (typeof reservation !== 'string' || reservation.length === 0 || reservation.length > MAX_RESUME_TOKEN_LENGTH)
  )
    bad(`JOIN.reservation must be a string of 1-${MAX_RESUME_TOKEN_LENGTH} characters`);
  if (codec !== undefined && (typeof codec !== 'string' || codec.length === 0 || codec.length > 64))
    bad('JOIN.codec must be a string of 1-64 characters');
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)) {
    bad(`JOIN.token must be a string of 1-${MAX_TOKEN_LENGTH} characters`);
  }
  if (resume !== undefined && (typeof resume !== 'string' || resume.length === 0 || resume.length > MAX_RESUME_TOKEN_LENGTH)) {
    bad(`JOIN.resume must be a string of 1-${MAX_RESUME_TOKEN_LENGTH} characters`);
  }
  if (!Number.isInteger(v)) bad('JOIN.v must be an integer protocol version');
  if (typeof roomType !== 'string' || roomType.length === 0 || roomType.length > MAX_ROOM_TYPE_LENGTH) {
    bad(`JOIN.roomType must be a string of 1-${MAX_ROOM_TYPE_LENGTH} characters`);
  }
  if (typeof name !== 'string') bad('JOIN.name must be a string');
  // Names are shown to everyone and written to logs: see normalizePlayerName for the rules.
  const trimmed = normalizePlayerName(name);
  const join: JoinMessage = { v: v as number, roomType, name: trimmed };
  if (token !== undefined) join.token = token as string;
  if (resume !== undefined) join.resume = resume as string;
  if (codec !== undefined) join.codec = codec as string;
  if (reservation !== undefined) join.reservation = reservation as string;
  if (inOrder !== undefined) join.inOrder = inOrder as boolean;
  return join;
}

/** Validate a TOKEN_REFRESH body: exactly `{ token }`, 1-{@link MAX_TOKEN_LENGTH} characters. */
export function parseTokenRefresh(body: unknown): TokenRefreshMessage {
  if (!isRecord(body)) bad('TOKEN_REFRESH body must be a map { token }');
  for (const key of Object.keys(body)) if (key !== 'token') bad(`TOKEN_REFRESH has unknown field "${key}"`);
  const { token } = body;
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
    bad(`TOKEN_REFRESH.token must be a string of 1-${MAX_TOKEN_LENGTH} characters`);
  return { token };
}

export function parsePing(body: unknown): PingMessage {
  if (!isRecord(body) || typeof body.t !== 'number' || !Number.isFinite(body.t)) bad('PING body must be { t: number }');
  return { t: body.t };
}
