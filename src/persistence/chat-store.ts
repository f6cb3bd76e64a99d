import type { Kysely } from 'kysely';
import type { Logger } from '../logging/logger';
import type { TickwireTables } from './schema';
import { WriteBatcher, type WriteBatcherOptions } from './write-batcher';
import { writeInTransaction } from './write-transaction';

/** One chat line as it is kept and sent. */
export interface StoredChatMessage {
  /** Sorts in time order: see chat-id.ts. */
  id: string;
  /** `lobby`, or `room:<roomId>`. */
  channel: string;
  /** The sender's key: its user id, or `guest:<room>:<player>`. */
  sender: string;
  senderName: string;
  text: string;
  /** When the server took it, ms since the epoch. */
  at: number;
}

/**
 * Chat history and mutes in the database. New lines are inserted in batches (every 250 ms by
 * default), never on the sender's path. Inserts skip ids already there, so a retried batch is
 * harmless. A page read never writes first (readers must not be able to force writes, nor cut
 * short the retry's wait while the database fails): it adds the lines not yet written from
 * memory, so it sees every line appended before it. Lines the batcher gives up (an outage past
 * `maxPending`, or close() out of time) are counted in `stats.dropped`, logged, and forgotten
 * here too.
 */
export class ChatStore {
  private readonly batcher: WriteBatcher<StoredChatMessage>;
  /**
   * Lines appended and not yet written, by channel, each oldest first: what a page adds to the
   * rows. A line leaves when its batch is written or the batcher gives it up, so this holds
   * exactly what the batcher holds (bounded by its `maxPending`).
   */
  private readonly unwritten = new Map<string, Map<string, StoredChatMessage>>();

  constructor(
    private readonly db: Kysely<TickwireTables>,
    log?: Logger,
    options: WriteBatcherOptions<StoredChatMessage> = {},
  ) {
    this.batcher = new WriteBatcher('chat history', (batch) => this.write(batch), log, {
      intervalMs: 250,
      ...options,
      onDrop: (items, reason, unsure) => {
        for (const m of items) this.forget(m);
        options.onDrop?.(items, reason, unsure);
      },
    });
  }

  get stats() {
    return this.batcher.stats;
  }

  append(message: StoredChatMessage): void {
    let lines = this.unwritten.get(message.channel);
    if (!lines) this.unwritten.set(message.channel, (lines = new Map()));
    lines.set(message.id, message);
    this.batcher.push(message);
  }

  private forget(m: StoredChatMessage): void {
    const lines = this.unwritten.get(m.channel);
    if (!lines?.delete(m.id)) return;
    if (lines.size === 0) this.unwritten.delete(m.channel);
  }

  private async write(batch: readonly StoredChatMessage[]): Promise<void> {
    await this.insert(batch);
    for (const m of batch) this.forget(m);
  }

  private async insert(batch: readonly StoredChatMessage[]): Promise<void> {
    // In a transaction of its own so that a commit left unanswered is told apart from a failure.
    await writeInTransaction(this.db, async (trx) => {
      await trx
        .insertInto('chat_messages')
        .values(
          batch.map((m) => ({
            id: m.id,
            channel: m.channel,
            sender: m.sender,
            sender_name: m.senderName,
            body: m.text,
            sent_at: new Date(m.at),
          })),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    });
  }

  /**
   * Up to `limit` lines of `channel` older than `beforeId` (all, if undefined), oldest first:
   * the rows written, and the lines appended but not yet written.
   */
  async page(channel: string, beforeId: string | undefined, limit: number): Promise<StoredChatMessage[]> {
    const rows = await this.readPage(channel, beforeId, limit);
    const held = this.unwritten.get(channel);
    if (!held) return rows;
    // A line may be in both (written while the page was read): one copy, by id.
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const m of held.values()) if (beforeId === undefined || m.id < beforeId) byId.set(m.id, m);
    if (byId.size === rows.length) return rows;
    const all = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return all.slice(-limit);
  }

  private async readPage(channel: string, beforeId: string | undefined, limit: number): Promise<StoredChatMessage[]> {
    let q = this.db.selectFrom('chat_messages').selectAll().where('channel', '=', channel);
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.reverse().map((r) => ({
      id: r.id,
      channel: r.channel,
      sender: r.sender,
      senderName: r.sender_name,
      text: r.body,
      at: r.sent_at.getTime(),
    }));
  }

  /** Delete lines sent before `before`; returns how many went. */
  async prune(before: Date): Promise<number> {
    const result = await this.db.deleteFrom('chat_messages').where('sent_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Whom `userId` has muted (sender keys). */
  async mutes(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('chat_mutes').select('muted').where('user_id', '=', userId).orderBy('muted').execute();
    return rows.map((r) => r.muted);
  }

  /** Mute (`on`) or unmute `muted` for `userId`. Idempotent. */
  async setMute(userId: string, muted: string, on: boolean): Promise<void> {
    if (on)
      await this.db
        .insertInto('chat_mutes')
        .values({ user_id: userId, muted })
        .onConflict((oc) => oc.columns(['user_id', 'muted']).doNothing())
        .execute();
    else await this.db.deleteFrom('chat_mutes').where('user_id', '=', userId).where('muted', '=', muted).execute();
  }

  async flush(): Promise<void> {
    await this.batcher.flush();
  }

  /** Write what is queued, retrying until `closeTimeoutMs`; what is left is given up, counted and logged. */
  close(): Promise<void> {
    return this.batcher.close();
  }
}
