import { ByteReader } from '../../../shared/binary/byte-reader';
import { WireError } from '../../../shared/binary/wire-error';
import type { ChatMessage, ChatRejectedMessage, MutesMessage } from '../../../shared/protocol/chat-messages';
import { clampCloseReason, CloseCode } from '../../../shared/protocol/close-codes';
import {
  decodeControlBody,
  type ErrorMessage,
  type NoticeMessage,
  type PlayerJoinedMessage,
  type PlayerLeftMessage,
  type PongMessage,
  type TokenRefreshedMessage,
  type WelcomeMessage,
} from '../../../shared/protocol/control-messages';
import { MessageType } from '../../../shared/protocol/message-types';
import type { ClientCore } from './client-core';

/**
 * Every message from the server, by its type byte, to the part that handles it. One reader is
 * reused for all of them; a malformed message closes the client with 4001.
 */
export class MessageRouter<S, I, P> {
  private readonly reader = new ByteReader();

  constructor(private readonly core: ClientCore<S, I, P>) {}

  /** One message from the current link (an ArrayBuffer, or bytes from an in-memory link). */
  onMessage(data: unknown): void {
    const core = this.core;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
    core.stats.bytesReceived += bytes.length;
    core.link.lastHeardAt = core.clock.now();
    const reader = this.reader.reset(bytes);
    try {
      const type = reader.u8();
      if (type === MessageType.Snapshot) core.receiver.onSnapshot(reader);
      else if (type === MessageType.Welcome) core.entry.onWelcome(decodeControlBody(reader.rest()) as WelcomeMessage);
      else if (type === MessageType.Globals) core.receiver.onGlobals(reader);
      else if (type === MessageType.PlayerJoined) core.roster.onPlayerJoined(decodeControlBody(reader.rest()) as PlayerJoinedMessage);
      else if (type === MessageType.PlayerLeft) core.roster.onPlayerLeft(decodeControlBody(reader.rest()) as PlayerLeftMessage);
      else if (type === MessageType.Pong) {
        const m = decodeControlBody(reader.rest()) as PongMessage;
        const now = core.clock.now();
        core.stats.lastPingMs = now - m.t;
        core.sync?.onPong(m.t, now, m.tick);
        core.emit('pong', core.stats.lastPingMs);
      } else if (type === MessageType.Error) {
        core.emit('serverError', decodeControlBody(reader.rest()) as ErrorMessage);
      } else if (type === MessageType.Notice) {
        core.talk.onNotice(decodeControlBody(reader.rest()) as NoticeMessage);
      } else if (type === MessageType.TokenRefreshed) {
        core.tokens.onTokenRefreshed(decodeControlBody(reader.rest()) as TokenRefreshedMessage);
      } else if (type === MessageType.Chat) {
        core.talk.onChat(decodeControlBody(reader.rest()) as ChatMessage);
      } else if (type === MessageType.ChatRejected) {
        core.emit('chatRejected', decodeControlBody(reader.rest()) as ChatRejectedMessage);
      } else if (type === MessageType.Mutes) {
        core.talk.onMutes(decodeControlBody(reader.rest()) as MutesMessage);
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      core.link.close(CloseCode.MalformedMessage, clampCloseReason(`client got a malformed message: ${err.message}`));
    }
  }
}
