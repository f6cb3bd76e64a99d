import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl } from '../../shared/protocol/control-messages';
import {
  checkChatText,
  parseChatHistory,
  parseChatSend,
  parseMute,
  type ChatChannelName,
  type ChatRejectedMessage,
  type MutesMessage,
} from '../../shared/protocol/chat-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { ClusterBus } from '../cluster/cluster-bus';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import type { ChatStore, StoredChatMessage } from '../persistence/chat-store';
import type { Session } from '../session/session';
import type { ReadGate } from '../persistence/read-gate';
import { TokenBucket } from '../transport/token-bucket';
import { ChatChannel, type ChatReader } from './chat-channel';
import { ChatIdSource } from './chat-id';

/** Chat settings; every one has a default. */
export interface ChatOptions {
  /** Lines a second one user may send, over all its connections and both channels (default 1). */
  ratePerSecond?: number;
  /** Lines a user may send at once above that rate (default 5). */
  burst?: number;
  /** Newest lines of each channel sent after every WELCOME (default 50). */
  historyOnJoin?: number;
  /** Newest lines of each channel kept in memory for joins and pages (default 200); older pages come from the database. */
  keepInMemory?: number;
  /**
   * History pages (CHAT_HISTORY) a second one user may ask for, over all its connections and
   * both channels (default 2); apart from the line rate, so reading back never costs a line.
   */
  pagesPerSecond?: number;
  /** Pages a user may ask for at once above that rate (default 5). */
  pageBurst?: number;
  /**
   * Rejected lines in a row (over the rate or the rules), or pages in a row over the page
   * rate, before the connection is closed 4003 (default 20).
   */
  maxRejectsInRow?: number;
  /** Most senders one player may mute (default 1000). */
  maxMutes?: number;
  /** Days of history the database keeps (default 30); older lines are deleted hourly. */
  retentionDays?: number;
}

/** What the chat needs from the server. */
export interface ChatHost {
  readonly clock: Clock;
  readonly log: Logger;
  /** History and mutes on disk; undefined keeps them in memory only. */
  readonly store: ChatStore | undefined;
  /** The server's cap on database reads in flight, which history pages from the store pass (none: no cap). */
  readonly reads?: ReadGate;
}

/** One joined session in the chat. */
interface ChatMember extends ChatReader {
  readonly session: Session;
  /** What others mute it by: its user id, or `guest:<room>:<player>`. */
  readonly key: string;
  readonly userId: string | undefined;
  readonly room: ChatChannel;
  mutes: Set<string>;
  rejectsInRow: number;
  /** History pages refused in a row for the page rate. */
  pageRejectsInRow: number;
  /** False until its mutes are loaded and it reads its channels. */
  reading: boolean;
}

const LOBBY_TOPIC = 'tickwire:chat:lobby';
const HOUR_MS = 3_600_000;

/**
 * Room chat and the lobby. A player reads two channels once joined: its room's, and the lobby
 * of every player on every node. Lines are checked (the name rules, length), rate-limited per
 * user, given a time-ordered id, stored in batches, and delivered at the server's next pump in
 * one CHAT per channel, in the order the lobby's bus delivered them (the same on every node).
 * The newest lines of each channel go to every joiner; older ones come in pages (CHAT_HISTORY),
 * from memory or the database.
 */
export class ChatService {
  private readonly members = new Map<Session, ChatMember>();
  private readonly lobby: ChatChannel;
  private readonly rooms = new Map<string, ChatChannel>();
  /** Rate budgets by sender key (lines, and history pages): one user's tabs share one. */
  private readonly budgets = new Map<string, { bucket: TokenBucket; pages: TokenBucket; members: number }>();
  /** Line ids; remade at attach() with the node's id (ids must differ between nodes). */
  private ids = new ChatIdSource('local');
  /** Carries lobby lines to the other nodes (in memory: this node alone); set by attach(). */
  private bus: ClusterBus | undefined;
  private unsubscribe: (() => void) | undefined;
  private pruneTimer: ReturnType<typeof setInterval> | undefined;
  private readonly o: Required<ChatOptions>;
  readonly stats = { linesIn: 0, linesRejected: 0, sends: 0, pagesServed: 0, pagesRejected: 0 };

  constructor(
    private readonly host: ChatHost,
    options: ChatOptions = {},
  ) {
    this.o = {
      ratePerSecond: options.ratePerSecond ?? 1,
      burst: options.burst ?? 5,
      historyOnJoin: options.historyOnJoin ?? 50,
      keepInMemory: options.keepInMemory ?? 200,
      pagesPerSecond: options.pagesPerSecond ?? 2,
      pageBurst: options.pageBurst ?? 5,
      maxRejectsInRow: options.maxRejectsInRow ?? 20,
      maxMutes: options.maxMutes ?? 1000,
      retentionDays: options.retentionDays ?? 30,
    };
    this.lobby = new ChatChannel('lobby', 'lobby', this.o.keepInMemory);
  }

  /**
   * Join the node's bus, once it has one (the server's listen()): lobby lines then travel
   * through it, and line ids carry `nodeId`. Before that, chat stays on this node.
   */
  attach(bus: ClusterBus, nodeId: string): void {
    this.ids = new ChatIdSource(nodeId);
    this.bus = bus;
    this.unsubscribe ??= bus.subscribe(LOBBY_TOPIC, (data) => this.lobby.say(data as StoredChatMessage));
  }

  /** Load the lobby's newest lines from the database, and start the hourly retention sweep. */
  async start(): Promise<void> {
    const store = this.host.store;
    if (!store) return;
    const newest = await store.page('lobby', undefined, this.o.keepInMemory);
    this.lobby.remember(newest);
    this.lobby.mayHaveOlder = newest.length === this.o.keepInMemory;
    const prune = () => {
      const before = new Date(Date.now() - this.o.retentionDays * 86_400_000);
      store.prune(before).then(
        (n) => n > 0 && this.host.log.info({ deleted: n, before }, 'chat: old history deleted'),
        (err: unknown) => this.host.log.warn({ err }, 'chat: history retention sweep failed'),
      );
    };
    prune();
    this.pruneTimer = setInterval(prune, HOUR_MS);
    this.pruneTimer.unref();
  }

  close(): void {
    this.unsubscribe?.();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  /** A session took a seat: it reads its room and the lobby once its mutes are loaded, and gets their newest lines. */
  join(session: Session): void {
    const room = session.room;
    const slot = session.slot;
    if (!room || !slot || this.members.has(session)) return;
    const userId = session.identity?.userId;
    const key = userId ?? `guest:${room.id}:${slot.id}`;
    let channel = this.rooms.get(room.id);
    if (!channel) this.rooms.set(room.id, (channel = new ChatChannel(`room:${room.id}`, 'room', this.o.keepInMemory)));
    const member: ChatMember = {
      session,
      key,
      userId,
      room: channel,
      mutes: new Set(),
      rejectsInRow: 0,
      pageRejectsInRow: 0,
      reading: false,
      send: (bytes) => session.send(bytes),
    };
    this.members.set(session, member);
    const budget = this.budgets.get(key);
    if (budget) budget.members++;
    else {
      const now = this.host.clock.now();
      this.budgets.set(key, {
        bucket: new TokenBucket(this.o.ratePerSecond, this.o.burst, now),
        pages: new TokenBucket(this.o.pagesPerSecond, this.o.pageBurst, now),
        members: 1,
      });
    }
    const store = this.host.store;
    if (!userId || !store) return this.startReading(member);
    store.mutes(userId).then(
      (mutes) => {
        for (const m of mutes) member.mutes.add(m);
        this.startReading(member);
      },
      (err: unknown) => {
        this.host.log.warn({ err, userId }, 'chat: could not load mutes; reading without them');
        this.startReading(member);
      },
    );
  }

  private startReading(member: ChatMember): void {
    if (this.members.get(member.session) !== member) return; // left while its mutes loaded
    member.reading = true;
    member.room.readers.add(member);
    this.lobby.readers.add(member);
    member.send(encodeControl(MessageType.Mutes, { users: [...member.mutes] } satisfies MutesMessage));
    for (const channel of [member.room, this.lobby]) {
      const bytes = channel.history(member, this.o.historyOnJoin);
      if (bytes) member.send(bytes);
    }
  }

  /** The session left its seat or closed. */
  leave(session: Session): void {
    const member = this.members.get(session);
    if (!member) return;
    this.members.delete(session);
    member.room.readers.delete(member);
    this.lobby.readers.delete(member);
    const budget = this.budgets.get(member.key);
    if (budget && --budget.members === 0) this.budgets.delete(member.key);
  }

  /** The room chat's newest lines, oldest first: what travels when the room moves to another node. */
  roomLines(roomId: string): StoredChatMessage[] {
    return this.rooms.get(roomId)?.recent.slice() ?? [];
  }

  /**
   * A room moved here: its chat channel (the same name, `room:<roomId>`) starts with the lines it
   * had, so the players who resume here see its history. Its members join as they resume.
   */
  restoreRoom(roomId: string, lines: readonly StoredChatMessage[]): void {
    if (this.rooms.has(roomId) || lines.length === 0) return;
    const channel = new ChatChannel(`room:${roomId}`, 'room', this.o.keepInMemory);
    channel.recent.push(...lines.slice(-this.o.keepInMemory));
    channel.mayHaveOlder = lines.length >= this.o.keepInMemory;
    this.rooms.set(roomId, channel);
  }

  /** The room is gone: so is its channel (its history stays in the database). */
  roomDisposed(roomId: string): void {
    this.rooms.delete(roomId);
  }

  /** Deliver everything said since the last call (the server calls it on every pump). */
  flush(): void {
    let sends = this.lobby.flush();
    for (const channel of this.rooms.values()) if (channel.pending > 0) sends += channel.flush();
    this.stats.sends += sends;
  }

  /** A chat control message from a joined session; a WireError from the parsers closes it 4001. */
  message(session: Session, type: number, body: unknown): void {
    const member = this.members.get(session);
    if (!member) {
      session.reject(CloseCode.UnexpectedMessage, 'chat before joining: send JOIN first');
      return;
    }
    if (type === MessageType.ChatSend) this.onSend(member, body);
    else if (type === MessageType.ChatHistory) this.onHistory(member, body);
    else if (type === MessageType.Mute) this.onMute(member, body);
  }

  private channelOf(member: ChatMember, name: ChatChannelName): ChatChannel {
    return name === 'lobby' ? this.lobby : member.room;
  }

  private onSend(member: ChatMember, body: unknown): void {
    const send = parseChatSend(body);
    const reject = (reason: ChatRejectedMessage['reason'], message: string, retryInMs?: number): void => {
      this.stats.linesRejected++;
      const out: ChatRejectedMessage = { ch: send.ch, reason, message };
      if (send.ref !== undefined) out.ref = send.ref;
      if (retryInMs !== undefined) out.retryInMs = retryInMs;
      member.send(encodeControl(MessageType.ChatRejected, out));
      if (reason !== 'unavailable' && ++member.rejectsInRow >= this.o.maxRejectsInRow)
        member.session.reject(CloseCode.RateLimited, `chat flood: ${member.rejectsInRow} lines in a row refused (${reason})`);
    };
    const checked = checkChatText(send.text);
    if (checked.problem !== undefined) return reject('text', `the line ${checked.problem}`);
    const now = this.host.clock.now();
    const bucket = this.budgets.get(member.key)!.bucket;
    if (!bucket.take(now))
      return reject('rate', `at most ${this.o.ratePerSecond} lines/s (burst ${this.o.burst})`, bucket.msUntilToken(now));
    member.rejectsInRow = 0;
    this.stats.linesIn++;
    const channel = this.channelOf(member, send.ch);
    const at = Date.now();
    const line: StoredChatMessage = {
      id: this.ids.next(at),
      channel: channel.key,
      sender: member.key,
      senderName: member.session.slot?.name ?? '?',
      text: checked.text,
      at,
    };
    if (channel !== this.lobby || !this.bus) {
      channel.say(line);
      this.host.store?.append(line);
      return;
    }
    this.bus.publishOrdered(LOBBY_TOPIC, line).then(
      () => this.host.store?.append(line),
      (err: Error) => reject('unavailable', `the lobby is unreachable: ${err.message}`),
    );
  }

  private onHistory(member: ChatMember, body: unknown): void {
    const ask = parseChatHistory(body);
    const now = this.host.clock.now();
    const pages = this.budgets.get(member.key)!.pages;
    if (!pages.take(now))
      return this.refusePage(
        member,
        ask.ch,
        'page-rate',
        `at most ${this.o.pagesPerSecond} history pages/s (burst ${this.o.pageBurst})`,
        pages.msUntilToken(now),
      );
    member.pageRejectsInRow = 0;
    const channel = this.channelOf(member, ask.ch);
    const limit = ask.limit ?? 50;
    const reply = (lines: StoredChatMessage[], more: boolean): void => {
      this.stats.pagesServed++;
      member.send(channel.encode('page', lines, member, more)!);
    };
    const mem = channel.olderInMemory(ask.before, limit);
    const store = this.host.store;
    if (mem.complete || !store) return reply(mem.lines, mem.complete ? mem.more : false);
    const read = () => store.page(channel.key, ask.before, limit + 1);
    const reading = this.host.reads ? this.host.reads.run(read) : read();
    if (!reading) return this.refusePage(member, ask.ch, 'unavailable', 'the database is busy: ask for the page again in a second', 1000);
    reading.then(
      (rows) => reply(rows.slice(-limit), rows.length > limit),
      (err: unknown) => {
        this.host.log.warn({ err }, 'chat: a history page failed');
        reply(mem.lines, false);
      },
    );
  }

  /** A CHAT_REJECTED for a page; a run of pages over the rate closes the connection 4003. */
  private refusePage(
    member: ChatMember,
    ch: ChatChannelName,
    reason: 'page-rate' | 'unavailable',
    message: string,
    retryInMs: number,
  ): void {
    this.stats.pagesRejected++;
    member.send(encodeControl(MessageType.ChatRejected, { ch, reason, message, retryInMs } satisfies ChatRejectedMessage));
    if (reason === 'page-rate' && ++member.pageRejectsInRow >= this.o.maxRejectsInRow)
      member.session.reject(CloseCode.RateLimited, `chat history flood: ${member.pageRejectsInRow} pages in a row refused (page-rate)`);
  }

  private onMute(member: ChatMember, body: unknown): void {
    const { user, muted } = parseMute(body);
    if (user === member.key) return;
    if (muted && member.mutes.size >= this.o.maxMutes && !member.mutes.has(user)) {
      member.send(encodeControl(MessageType.Mutes, { users: [...member.mutes] } satisfies MutesMessage));
      return;
    }
    // Every connection of the same user mutes alike.
    const same = member.userId ? [...this.members.values()].filter((m) => m.userId === member.userId) : [member];
    for (const m of same) {
      if (muted) m.mutes.add(user);
      else m.mutes.delete(user);
      m.send(encodeControl(MessageType.Mutes, { users: [...m.mutes] } satisfies MutesMessage));
    }
    if (member.userId && this.host.store)
      this.host.store
        .setMute(member.userId, user, muted)
        .catch((err: unknown) => this.host.log.warn({ err, userId: member.userId }, 'chat: could not store a mute'));
  }

  /** For /health. */
  get report() {
    return { ...this.stats, members: this.members.size, roomChannels: this.rooms.size, lobbyKept: this.lobby.recent.length };
  }
}
