/**
 * The one table of wire message types. Every message starts with one of these bytes.
 *
 * ```
 *  client ─► server                     server ─► client
 *  JOIN      (msgpack)                   WELCOME        (msgpack)
 *  INPUT     (binary, hot)               SNAPSHOT       (binary, hot)
 *  ACK       (binary, hot)               GLOBALS        (binary)
 *  PING      (msgpack)                   PONG           (msgpack)
 *  CHAT_SEND, CHAT_HISTORY (msgpack)     CHAT, CHAT_REJECTED (msgpack)
 *  MUTE, NOTICE_READ (msgpack)           MUTES          (msgpack)
 *                                        PLAYER_JOINED  (msgpack)
 *                                        PLAYER_LEFT    (msgpack)
 *                                        ERROR          (msgpack, then close)
 *                                        NOTICE         (msgpack)
 *  TOKEN_REFRESH (msgpack)               TOKEN_REFRESHED (msgpack)
 * ```
 * Three ranges, so a decoder knows a message's body from its first byte alone:
 *
 * | range       | body                    | what                                                   |
 * | ----------- | ----------------------- | ------------------------------------------------------ |
 * | 0x01-0x0f   | msgpackr                | control: joins, roster, chat, notices (all 15 taken)   |
 * | 0x10-0x1f   | hand-laid binary        | hot: inputs, snapshots, acks, globals                  |
 * | 0x20-0x2f   | msgpackr                | control, second range: session upkeep (token refresh)  |
 *
 * {@link isControlType} is the one test of "msgpackr body"; nothing else compares codes to 0x10.
 */
export const MessageType = {
  Join: 0x01,
  Welcome: 0x02,
  Error: 0x03,
  PlayerJoined: 0x04,
  PlayerLeft: 0x05,
  Ping: 0x06,
  Pong: 0x07,
  Notice: 0x08,
  ChatSend: 0x09,
  Chat: 0x0a,
  ChatHistory: 0x0b,
  Mute: 0x0c,
  ChatRejected: 0x0d,
  NoticeRead: 0x0e,
  Mutes: 0x0f,
  Input: 0x10,
  Snapshot: 0x11,
  Ack: 0x12,
  Globals: 0x13,
  /** Client → server: a fresh bearer token for this session, before the old one expires. */
  TokenRefresh: 0x20,
  /** Server → client: the answer to TOKEN_REFRESH (taken, or a transient failure: try again). */
  TokenRefreshed: 0x21,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Bumped on any incompatible wire change. The JOIN carries it; a mismatch is refused with
 * {@link CloseCode.ProtocolMismatch}. 2: JOIN's token and resume fields, WELCOME's resume
 * fields, NOTICE, and the detached-player list at the start of every snapshot body. 3: delta
 * snapshots (the header's baseline, the bit-packed DeltaCodec body), ACK, GLOBALS, JOIN.codec,
 * WELCOME's codec, historyTicks and paged roster. 4: input ticks and leads. 5: chat (CHAT_SEND,
 * CHAT, CHAT_HISTORY, MUTE, MUTES, CHAT_REJECTED), NOTICE.id and NOTICE_READ. 6: tokens for the
 * whole session: the second control range (0x20-0x2f), TOKEN_REFRESH and TOKEN_REFRESHED, the
 * NOTICE kind 'token-expiring', and close codes 4014 TokenExpired and 4015 AuthUnavailable. 7:
 * rooms move between nodes: the NOTICE kind 'move' (with `node` and `url`) and close code 4016
 * RoomMoved, which an older SDK would take as the end of its game; and with interest
 * management, snapshot bodies of per-cell chunks (shared/replication/cell-codec.ts) and
 * WELCOME.interest, the grid they need. 8: sparse inputs on in-order links: JOIN.inOrder says
 * whether the client's link delivers in order, WELCOME.inputKeepaliveTicks how long such a client
 * may hold back an unchanged input; an older SDK would be counted as starved between its inputs
 * were it to skip them, and a newer one would send a JOIN key an older server refuses.
 */
export const PROTOCOL_VERSION = 8;

/** First and last code of each control range (msgpackr bodies). */
export const CONTROL_RANGES = [
  [0x01, 0x0f],
  [0x20, 0x2f],
] as const;

/** True when messages of this type carry a msgpackr body (a control message), false for hot ones. */
export function isControlType(type: number): boolean {
  return (type >= 0x01 && type <= 0x0f) || (type >= 0x20 && type <= 0x2f);
}
