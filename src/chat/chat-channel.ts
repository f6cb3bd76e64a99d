import { encodeControl } from '../../shared/protocol/control-messages';
import type { ChatChannelName, ChatLine, ChatMessage } from '../../shared/protocol/chat-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { StoredChatMessage } from '../persistence/chat-store';

/** A channel member, as a channel sees it. */
export interface ChatReader {
  /** Sender keys this reader has muted. */
  readonly mutes: ReadonlySet<string>;
  send(bytes: Uint8Array): void;
}

/** The wire form of a line. */
export function toChatLine(m: StoredChatMessage): ChatLine {
  return [m.id, m.at, m.sender, m.senderName, m.text];
}

/**
 * One channel: who reads it, the lines said since the last flush, and the newest lines kept in
 * memory for history. A flush encodes the new lines once for every reader that mutes none of
 * their senders (a reader with mutes gets its own filtered copy): 200 lines a second into a
 * lobby of 500 is a few hundred sends, not 100 000 encodes.
 */
export class ChatChannel {
  readonly readers = new Set<ChatReader>();
  /** Said since the last flush: not yet in `recent`, so a joiner's history and the next flush never overlap. */
  private outbox: StoredChatMessage[] = [];
  /** The newest flushed lines, oldest first, at most `keep`. */
  readonly recent: StoredChatMessage[] = [];
  /** Older lines may exist in the database (lines fell out of `recent`, or it was loaded full). */
  mayHaveOlder = false;

  constructor(
    /** The key lines are stored under: `lobby` or `room:<roomId>`. */
    readonly key: string,
    /** What readers call it: 'lobby' or 'room'. */
    readonly name: ChatChannelName,
    private readonly keep: number,
  ) {}

  say(line: StoredChatMessage): void {
    this.outbox.push(line);
  }

  get pending(): number {
    return this.outbox.length;
  }

  /** Send what was said since the last flush to every reader; returns how many sends it made. */
  flush(): number {
    if (this.outbox.length === 0) return 0;
    const lines = this.outbox;
    this.outbox = [];
    let shared: Uint8Array | undefined;
    let sends = 0;
    for (const reader of this.readers) {
      const bytes =
        reader.mutes.size > 0 && lines.some((l) => reader.mutes.has(l.sender))
          ? this.encode('live', lines, reader)
          : (shared ??= this.encode('live', lines));
      if (bytes) {
        reader.send(bytes);
        sends++;
      }
    }
    this.remember(lines);
    return sends;
  }

  /** Add lines to the in-memory history (a flush, or the lobby's newest lines loaded at start). */
  remember(lines: readonly StoredChatMessage[]): void {
    this.recent.push(...lines);
    if (this.recent.length > this.keep) {
      this.recent.splice(0, this.recent.length - this.keep);
      this.mayHaveOlder = true;
    }
  }

  /** The newest `count` lines `reader` may see, as CHAT 'history' (undefined when there are none). */
  history(reader: ChatReader, count: number): Uint8Array | undefined {
    const visible = reader.mutes.size > 0 ? this.recent.filter((l) => !reader.mutes.has(l.sender)) : this.recent;
    if (visible.length === 0) return undefined;
    const lines = visible.slice(-count);
    return this.encode('history', lines, undefined, lines.length < visible.length || this.mayHaveOlder);
  }

  /**
   * Lines before `before` held in memory, oldest first, at most `limit`; `complete` is false when
   * the database may hold what memory does not (ask it instead).
   */
  olderInMemory(before: string, limit: number): { lines: StoredChatMessage[]; complete: boolean; more: boolean } {
    let end = this.recent.length;
    while (end > 0 && this.recent[end - 1]!.id >= before) end--;
    const start = Math.max(0, end - limit);
    return { lines: this.recent.slice(start, end), complete: start > 0 || !this.mayHaveOlder, more: start > 0 || this.mayHaveOlder };
  }

  /** A CHAT message of `lines` (without the ones `reader` muted); undefined if none are left. */
  encode(kind: ChatMessage['kind'], lines: readonly StoredChatMessage[], reader?: ChatReader, more?: boolean): Uint8Array | undefined {
    const shown = reader ? lines.filter((l) => !reader.mutes.has(l.sender)) : lines;
    if (shown.length === 0 && kind === 'live') return undefined;
    const body: ChatMessage = { ch: this.name, kind, lines: shown.map(toChatLine) };
    if (more !== undefined) body.more = more;
    return encodeControl(MessageType.Chat, body);
  }
}
