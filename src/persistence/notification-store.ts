import type { Kysely } from 'kysely';
import type { Logger } from '../logging/logger';
import type { TickwireTables } from './schema';
import { WriteBatcher, type WriteBatcherOptions } from './write-batcher';
import { writeInTransaction } from './write-transaction';

/** A stored notification. */
export interface StoredNotification {
  id: number;
  userId: string;
  message: string;
  /** ms since the epoch. */
  at: number;
}

/**
 * Per-user notifications, kept until the user's client says it showed them. `add` writes at once
 * (the caller learns the id it will be acknowledged by); marking read is batched.
 */
export class NotificationStore {
  private readonly reads: WriteBatcher<{ userId: string; id: number }>;

  constructor(
    private readonly db: Kysely<TickwireTables>,
    log?: Logger,
    options: WriteBatcherOptions<{ userId: string; id: number }> = {},
  ) {
    this.reads = new WriteBatcher('notification reads', (batch) => this.markRead(batch), log, { intervalMs: 250, ...options });
  }

  async add(userId: string, message: string): Promise<StoredNotification> {
    const row = await this.db
      .insertInto('notifications')
      .values({ user_id: userId, message })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    return { id: row.id, userId, message, at: row.created_at.getTime() };
  }

  /** The user's unread notifications, oldest first, at most `limit`. */
  async unread(userId: string, limit = 100): Promise<StoredNotification[]> {
    await this.reads.flush();
    const rows = await this.db
      .selectFrom('notifications')
      .select(['id', 'message', 'created_at'])
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, userId, message: r.message, at: r.created_at.getTime() }));
  }

  /** The user's client showed these: queued, written within 250 ms. Ids of other users' notices are ignored. */
  read(userId: string, ids: readonly number[]): void {
    for (const id of ids) this.reads.push({ userId, id });
  }

  get stats() {
    return this.reads.stats;
  }

  private async markRead(batch: readonly { userId: string; id: number }[]): Promise<void> {
    const byUser = new Map<string, number[]>();
    for (const { userId, id } of batch) {
      const ids = byUser.get(userId) ?? [];
      ids.push(id);
      byUser.set(userId, ids);
    }
    const now = new Date();
    await writeInTransaction(this.db, async (trx) => {
      for (const [userId, ids] of byUser)
        await trx
          .updateTable('notifications')
          .set({ read_at: now })
          .where('user_id', '=', userId)
          .where('id', 'in', ids)
          .where('read_at', 'is', null)
          .execute();
    });
  }

  async flush(): Promise<void> {
    await this.reads.flush();
  }

  close(): Promise<void> {
    return this.reads.close();
  }
}
