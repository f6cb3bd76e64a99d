import {
  checkChatText,
  type ChatChannelName,
  type ChatHistoryMessage,
  type ChatMessage,
  type ChatSendMessage,
  type MuteMessage,
  type MutesMessage,
  type NoticeReadMessage,
} from '../../../shared/protocol/chat-messages';
import { encodeControl, type NoticeMessage } from '../../../shared/protocol/control-messages';
import { MessageType } from '../../../shared/protocol/message-types';
import { ChatLog } from '../chat-log';
import { ClientState } from '../client-state';
import type { ClientCore } from './client-core';

/**
 * What people and the server say: chat lines in and out (room and lobby), mutes, and NOTICEs,
 * each shown once and marked read; a notice that asks for action (a room move, a shutdown, an
 * expiring token) is handed to the part that acts on it.
 */
export class ChatAndNotices<S, I, P> {
  /** Chat lines seen on both channels, oldest first, each once. */
  readonly chat = new ChatLog();
  /** Sender keys this player has muted, as the server last said. */
  mutes: ReadonlySet<string> = new Set();
  private chatRef = 0;
  private readonly noticesSeen = new Set<number>();

  constructor(private readonly core: ClientCore<S, I, P>) {}

  /** CHAT: new lines (live, a WELCOME's history, or a page asked for). */
  onChat(m: ChatMessage): void {
    const lines = this.chat.add(m.ch, m.lines);
    // A page says whether older lines remain; so does a history whose first line is our oldest.
    if (m.kind === 'page' || (m.kind === 'history' && this.chat.oldestId(m.ch) === m.lines[0]?.[0])) this.chat.more[m.ch] = m.more === true;
    if (lines.length > 0 || m.kind === 'page') this.core.emit('chat', { ch: m.ch, kind: m.kind, lines });
  }

  /** MUTES: everyone this player has muted, as the server keeps it. */
  onMutes(m: MutesMessage): void {
    this.mutes = new Set(m.users);
    this.core.emit('mutes', [...this.mutes]);
  }

  /** NOTICE: emitted once per stored id, marked read, and acted on (room move, shutdown, expiring token). */
  onNotice(n: NoticeMessage): void {
    const core = this.core;
    if (n.id !== undefined) {
      // A stored notice comes again on every connect until it is read: show it once.
      if (this.noticesSeen.has(n.id)) return;
      this.noticesSeen.add(n.id);
    }
    core.emit('notice', n);
    if (n.kind === 'move' && core.state === ClientState.Open) core.keeper.onRoomMoving(n);
    if (n.kind === 'shutdown' && core.state === ClientState.Open) core.keeper.follower?.onShutdownNotice(n.message, n.secondsLeft ?? 0);
    if (n.id !== undefined && core.options.autoReadNotices !== false) this.markNoticesRead([n.id]);
    if (n.kind === 'token-expiring') void core.tokens.refreshSessionToken(n.secondsLeft ?? 0);
  }

  /** Tell the server these stored notifications (NOTICE.id) were shown: they are not sent again. */
  markNoticesRead(ids: number[]): void {
    if (ids.length > 0) this.sendControl(MessageType.NoticeRead, { ids } satisfies NoticeReadMessage);
  }

  /** This player's key in chat (its user id, or `guest:<room>:<player>`); undefined before the first WELCOME. */
  get chatKey(): string | undefined {
    const w = this.core.welcome;
    return w ? (w.userId ?? `guest:${w.roomId}:${w.playerId}`) : undefined;
  }

  /** Say `text` on `ch`; returns the line's ref. Throws a RangeError when the text breaks the rules or when not open. */
  say(ch: ChatChannelName, text: string): number {
    const checked = checkChatText(text);
    if (checked.problem !== undefined) throw new RangeError(`the line ${checked.problem}`);
    const ref = ++this.chatRef >>> 0;
    this.sendControl(MessageType.ChatSend, { ch, text: checked.text, ref } satisfies ChatSendMessage);
    return ref;
  }

  /** Ask for up to `limit` lines of `ch` older than the oldest one held. */
  loadOlderChat(ch: ChatChannelName, limit: number): void {
    const before = this.chat.oldestId(ch);
    if (before === undefined) return;
    this.sendControl(MessageType.ChatHistory, { ch, before, limit } satisfies ChatHistoryMessage);
  }

  /** Stop (or, with `muted` false, resume) receiving what `userKey` says. */
  mute(userKey: string, muted: boolean): void {
    this.sendControl(MessageType.Mute, { user: userKey, muted } satisfies MuteMessage);
  }

  private sendControl(type: MessageType, body: unknown): void {
    const socket = this.core.socket;
    if (!socket || socket.readyState !== 1 || this.core.state !== ClientState.Open)
      throw new RangeError('not connected: wait for the WELCOME');
    socket.send(encodeControl(type, body));
  }
}
