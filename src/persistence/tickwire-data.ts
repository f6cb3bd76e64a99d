import type { Logger } from '../logging/logger';
import { ChatStore } from './chat-store';
import { openDatabase, type DatabaseOptions, type TickwireDatabase } from './database';
import { NotificationStore } from './notification-store';
import { ProfileStore } from '../profiles/profile-store';

/**
 * Everything tickwire keeps, over one database: profiles, chat history and mutes, and
 * notifications. Open it before the server, hand it to `new TickwireServer({ data })`, and give
 * room types its `profiles` to record stats in. The server closes it last, after every batch
 * is written.
 *
 * ```ts
 * const data = await TickwireData.open({ url: process.env.DATABASE_URL }); // else PGlite in ./data
 * ```
 */
export class TickwireData {
  readonly profiles: ProfileStore;
  readonly chat: ChatStore;
  readonly notifications: NotificationStore;

  private constructor(
    readonly database: TickwireDatabase,
    log?: Logger,
  ) {
    this.profiles = new ProfileStore(database.db, log);
    this.chat = new ChatStore(database.db, log);
    this.notifications = new NotificationStore(database.db, log);
  }

  /** Open (and migrate) the database: PostgreSQL with `url`, else PGlite in `dataDir` (`./data`). */
  static async open(options: DatabaseOptions = {}): Promise<TickwireData> {
    const database = await openDatabase(options);
    options.logger?.info(
      { database: database.kind, where: database.where, migrationsApplied: database.applied },
      database.applied.length ? 'database: migrated' : 'database: schema current',
    );
    return new TickwireData(database, options.logger);
  }

  /** Queued writes, for /health. */
  get stats() {
    return { kind: this.database.kind, profiles: this.profiles.stats, chat: this.chat.stats };
  }

  /** Write everything queued now. */
  async flush(): Promise<void> {
    await Promise.all([this.profiles.flush(), this.chat.flush(), this.notifications.flush()]);
  }

  /** Write what is queued, then close the database. */
  async close(): Promise<void> {
    await Promise.all([this.profiles.close(), this.chat.close(), this.notifications.close()]);
    await this.database.close();
  }
}
