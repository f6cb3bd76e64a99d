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
 * ```
 * Control messages (< 0x10) carry a msgpackr body; hot messages (≥ 0x10) are hand-laid binary.
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
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Bumped on any incompatible wire change. The JOIN carries it; a mismatch is refused with
 * {@link CloseCode.ProtocolMismatch}. 2: JOIN's token and resume fields, WELCOME's resume
 * fields, NOTICE, and the detached-player list at the start of every snapshot body. 3: delta
 * snapshots (the header's baseline, the bit-packed DeltaCodec body), ACK, GLOBALS, JOIN.codec,
 * WELCOME's codec, historyTicks and paged roster. 4: input ticks and leads. 5: chat (CHAT_SEND,
 * CHAT, CHAT_HISTORY, MUTE, MUTES, CHAT_REJECTED), NOTICE.id and NOTICE_READ.
 */
export const PROTOCOL_VERSION = 5;
