import type { ChatChannelName, ChatLine } from '../../shared/protocol/chat-messages';

/** A chat line as the SDK hands it out. */
export interface ChatEntry {
  /** Sorts in time order within its channel. */
  id: string;
  /** When the server took it, ms since the epoch. */
  at: number;
  /** The sender's key (user id, or `guest:<room>:<player>`): what `mute` takes. */
  from: string;
  /** The sender's display name. */
  name: string;
  text: string;
}

/**
 * The lines of both channels the client has seen, oldest first, each once: the history after
 * every WELCOME repeats lines a resumed client already has, and pages fill in older ones, so
 * lines are merged by id. At most `keep` per channel (the oldest go).
 */
export class ChatLog {
  private readonly lines: Record<ChatChannelName, ChatEntry[]> = { room: [], lobby: [] };
  private readonly ids: Record<ChatChannelName, Set<string>> = { room: new Set(), lobby: new Set() };
  /** Older lines exist on the server (from the newest history or page): `loadOlderChat` fetches them. */
  readonly more: Record<ChatChannelName, boolean> = { room: false, lobby: false };

  constructor(private readonly keep = 500) {}

  /** The channel's lines, oldest first (do not modify). */
  get(ch: ChatChannelName): readonly ChatEntry[] {
    return this.lines[ch];
  }

  /** The oldest line's id (what an older page starts before), or undefined. */
  oldestId(ch: ChatChannelName): string | undefined {
    return this.lines[ch][0]?.id;
  }

  /** Merge lines in; returns those it did not have, oldest first. */
  add(ch: ChatChannelName, raw: readonly ChatLine[]): ChatEntry[] {
    const list = this.lines[ch];
    const seen = this.ids[ch];
    const added: ChatEntry[] = [];
    for (const [id, at, from, name, text] of raw) {
      if (seen.has(id)) continue;
      seen.add(id);
      const entry = { id, at, from, name, text };
      added.push(entry);
      // Nearly always the newest: walk back from the end.
      let i = list.length;
      while (i > 0 && list[i - 1]!.id > id) i--;
      list.splice(i, 0, entry);
    }
    if (list.length > this.keep) for (const gone of list.splice(0, list.length - this.keep)) seen.delete(gone.id);
    return added;
  }

  /** Forget the room channel's lines (the client moved to another room). */
  clearRoom(): void {
    this.lines.room = [];
    this.ids.room.clear();
    this.more.room = false;
  }
}
