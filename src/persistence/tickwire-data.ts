import type { Logger } from '../logging/logger';
import { ChatStore } from './chat-store';
import { openDatabase, type DatabaseOptions, type TickwireDatabase } from './database';
import { NotificationStore } from './notification-store';
import type { WriteBatcherOptions } from './write-batcher';
import { ProfileStore } from '../profiles/profile-store';

/** The write settings every store shares (the stores' own intervals stay unless set here). */
export type StoreWriteOptions = Pick<WriteBatcherOptions, 'maxPending' | 'maxBackoffMs' | 'closeTimeoutMs'>;

/** Where the data lives, and how its stores write. */
export interface TickwireDataOptions extends DatabaseOptions {
  writes?: StoreWriteOptions;
}

/**
 * Everything tickwire keeps, over one database: profiles, chat history and mutes, and
 * notifications. Open it before the server, hand it to `new TickwireServer({ data })`, and give
 * room types its `profiles` to record stats in. The server closes it last, after every batch
 * is written.
 *
 * ```ts
 * const data = await TickwireData.open({ url: process.env.DATABASE_URL }); // else SQLite in ./data
 * ```
 */
export class TickwireData {
  readonly profiles: ProfileStore;
  readonly chat: ChatStore;
  readonly notifications: NotificationStore;

  private constructor(
    readonly database: TickwireDatabase,
    log?: Logger,
    writes: StoreWriteOptions = {},
  ) {
    this.profiles = new ProfileStore(database.db, log, writes);
    this.chat = new ChatStore(database.db, log, writes);
    this.notifications = new NotificationStore(database.db, log, writes);
  }

  /** Open (and migrate) the database: PostgreSQL with `url`, else SQLite in `dataDir` (`./data`). */
  static async open(options: TickwireDataOptions = {}): Promise<TickwireData> {
    const database = await openDatabase(options);
    options.logger?.info(
      { database: database.kind, where: database.where, migrationsApplied: database.applied },
      database.applied.length ? 'database: migrated' : 'database: schema current',
    );
    return new TickwireData(database, options.logger, options.writes);
  }

  /** Each store's batched writes (written, failures, dropped, pending, backoff), for /health and /metrics. */
  get stats() {
    return {
      kind: this.database.kind,
      profiles: this.profiles.stats,
      chat: this.chat.stats,
      notificationReads: this.notifications.stats,
    };
  }

  /** Write everything queued now. */
  async flush(): Promise<void> {
    await Promise.all([this.profiles.flush(), this.chat.flush(), this.notifications.flush()]);
  }

  /**
   * Write what is queued (each store retrying until its `closeTimeoutMs`, default 5 s, and giving
   * up, counted and logged, what is left), then close the database.
   */
  async close(): Promise<void> {
    await Promise.all([this.profiles.close(), this.chat.close(), this.notifications.close()]);
    await this.database.close();
  }
}
