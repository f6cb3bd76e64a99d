import { WireError, WireErrorCode } from '../binary/wire-error';
import { checkDisplayText, type DisplayTextCheck } from './player-name';

/**
 * Chat on the wire. Every message here is a control message (msgpack body), sent reliably and
 * in order on the WebSocket (and on WebRTC's reliable channel).
 *
 * ```
 *  client ─► server                         server ─► client
 *  CHAT_SEND    { ch, text, ref? }          CHAT          { ch, kind, lines, more? }
 *  CHAT_HISTORY { ch, before, limit? }      CHAT_REJECTED { ch, ref?, reason, message, retryInMs? }
 *  MUTE         { user, muted }             MUTES         { users }
 *  NOTICE_READ  { ids }
 * ```
 */

/** The two channels a player is in: its room's, and the lobby every player on the server (every node) shares. */
export type ChatChannelName = 'room' | 'lobby';
export const CHAT_CHANNELS: readonly ChatChannelName[] = ['room', 'lobby'];

/** Longest chat line, characters as a reader counts them. */
export const CHAT_MAX_GRAPHEMES = 200;
/** Longest chat line, UTF-16 units: 300 of the widest (3-byte) characters still fit a 1 KiB frame. */
export const CHAT_MAX_CODE_UNITS = 300;
/** Most lines a history page holds. */
export const CHAT_PAGE_MAX = 100;
/** Longest sender key (a user id or a guest key). */
export const MAX_USER_KEY_LENGTH = 128;

/**
 * One line: [id, at, from, name, text]. `id` sorts in time order within a channel (older is
 * smaller), `at` is when the server took it (ms since the epoch), `from` the sender's key (its
 * user id, or `guest:<room>:<player>` for a guest: what MUTE names), `name` its display name.
 */
export type ChatLine = [id: string, at: number, from: string, name: string, text: string];

/** Client → server: say `text` on `ch`. `ref` (the client's own counter) comes back in a rejection. */
export interface ChatSendMessage {
  ch: ChatChannelName;
  text: string;
  ref?: number;
}

/**
 * Server → client: lines of one channel, oldest first. `kind`: 'live' (just said), 'history'
 * (the newest lines, sent after every WELCOME), 'page' (the answer to CHAT_HISTORY). `more`
 * (history and page): older lines exist; ask with `before` = the first line's id.
 */
export interface ChatMessage {
  ch: ChatChannelName;
  kind: 'live' | 'history' | 'page';
  lines: ChatLine[];
  more?: boolean;
}

/** Client → server: up to `limit` (≤ {@link CHAT_PAGE_MAX}, default 50) lines older than the line `before`. */
export interface ChatHistoryMessage {
  ch: ChatChannelName;
  before: string;
  limit?: number;
}

/** Client → server: stop (`muted: true`) or resume delivering what `user` (a sender key) says to this player. */
export interface MuteMessage {
  user: string;
  muted: boolean;
}

/** Server → client: everyone this player has muted (after every WELCOME, and after each MUTE). */
export interface MutesMessage {
  users: string[];
}

/**
 * Server → client: a line was not sent, or a history page not served. 'rate': a line over the
 * per-user rate (wait `retryInMs`); 'text': it breaks the text rules (`message` says which);
 * 'page-rate': a CHAT_HISTORY over the per-user page rate (wait `retryInMs`); 'unavailable':
 * the lobby could not reach the other nodes, or (a page) the database is busy. The connection
 * stays open (only a flood of refused lines, or of refused pages, closes it, 4003).
 */
export interface ChatRejectedMessage {
  ch: ChatChannelName;
  ref?: number;
  reason: 'rate' | 'text' | 'page-rate' | 'unavailable';
  message: string;
  retryInMs?: number;
}

/** Client → server: these stored notifications (NOTICE.id) were shown; the server marks them read. */
export interface NoticeReadMessage {
  ids: number[];
}

function bad(msg: string): never {
  throw new WireError(WireErrorCode.BadControl, msg);
}

function record(body: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad(`${what} body must be a map`);
  for (const key of Object.keys(body)) if (!keys.includes(key)) bad(`${what} has unknown field "${key}"`);
  return body as Record<string, unknown>;
}

function channel(v: unknown, what: string): ChatChannelName {
  if (v !== 'room' && v !== 'lobby') bad(`${what}.ch must be "room" or "lobby"`);
  return v;
}

/** Validate CHAT_SEND's shape (a WireError closes the client); the text's rules are checked apart, by {@link checkChatText}. */
export function parseChatSend(body: unknown): ChatSendMessage {
  const b = record(body, 'CHAT_SEND', ['ch', 'text', 'ref']);
  const ch = channel(b.ch, 'CHAT_SEND');
  if (typeof b.text !== 'string') bad('CHAT_SEND.text must be a string');
  if (b.ref !== undefined && !(Number.isInteger(b.ref) && (b.ref as number) >= 0 && (b.ref as number) <= 0xffffffff))
    bad('CHAT_SEND.ref must be an integer from 0 to 2^32-1');
  return b.ref === undefined ? { ch, text: b.text } : { ch, text: b.text, ref: b.ref as number };
}

export function parseChatHistory(body: unknown): ChatHistoryMessage {
  const b = record(body, 'CHAT_HISTORY', ['ch', 'before', 'limit']);
  const ch = channel(b.ch, 'CHAT_HISTORY');
  if (typeof b.before !== 'string' || b.before.length === 0 || b.before.length > 64) bad('CHAT_HISTORY.before must be a line id');
  if (b.limit !== undefined && !(Number.isInteger(b.limit) && (b.limit as number) >= 1 && (b.limit as number) <= CHAT_PAGE_MAX))
    bad(`CHAT_HISTORY.limit must be an integer from 1 to ${CHAT_PAGE_MAX}`);
  return { ch, before: b.before, limit: b.limit as number | undefined };
}

export function parseMute(body: unknown): MuteMessage {
  const b = record(body, 'MUTE', ['user', 'muted']);
  if (typeof b.user !== 'string' || b.user.length === 0 || b.user.length > MAX_USER_KEY_LENGTH)
    bad(`MUTE.user must be a sender key of 1-${MAX_USER_KEY_LENGTH} characters`);
  if (typeof b.muted !== 'boolean') bad('MUTE.muted must be true or false');
  return { user: b.user, muted: b.muted };
}

export function parseNoticeRead(body: unknown): NoticeReadMessage {
  const b = record(body, 'NOTICE_READ', ['ids']);
  if (!Array.isArray(b.ids) || b.ids.length === 0 || b.ids.length > 100 || !b.ids.every((id) => Number.isInteger(id) && id > 0))
    bad('NOTICE_READ.ids must be 1-100 notification ids');
  return { ids: b.ids as number[] };
}

/** A chat line's text, normalized as names are (see checkDisplayText), or why it cannot be sent. */
export function checkChatText(raw: string): DisplayTextCheck {
  return checkDisplayText(raw, CHAT_MAX_GRAPHEMES, CHAT_MAX_CODE_UNITS);
}
