import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type RawBuilder } from 'kysely';

/** The SQL engines tickwire runs on: the embedded SQLite, or a PostgreSQL server. */
export type Engine = 'sqlite' | 'postgres';

/**
 * What differs between the engines in the schema, and only that. PostgreSQL keeps its shipped
 * DDL byte for byte; SQLite, which has no date type and no identity columns, keeps timestamps as
 * ISO 8601 text (UTC with milliseconds, so text order is time order; sqlite-database.ts turns
 * them into Dates) and numbers rows with its own `integer primary key`.
 */
function dialect(engine: Engine) {
  const pg = engine === 'postgres';
  return {
    timestamp: pg ? ('timestamptz' as const) : ('text' as const),
    now: (): RawBuilder<unknown> => (pg ? sql`now()` : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`),
    pg,
  };
}

/**
 * The schema's history, oldest first. Never edit a migration that has shipped: add the next one.
 * Names sort in order (Kysely applies them by name), and each records itself in
 * `kysely_migration` when it has run, so a start applies only what is new.
 */
const migrationsFor = (engine: Engine): Record<string, Migration> => {
  const d = dialect(engine);
  return {
    '0001_profiles': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('profiles')
          .addColumn('user_id', 'text', (c) => c.primaryKey())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('created_at', d.timestamp, (c) => c.notNull().defaultTo(d.now()))
          .addColumn('last_seen_at', d.timestamp, (c) => c.notNull().defaultTo(d.now()))
          .addColumn('kills', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('deaths', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('matches', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('best_score', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // The leaderboards: one index per column a board sorts by.
        for (const column of ['kills', 'best_score', 'matches'])
          await db.schema
            .createIndex(`profiles_${column}_idx`)
            .on('profiles')
            .columns([`${column} desc`, 'user_id'])
            .execute();
      },
    },
    '0002_chat': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('chat_messages')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('sender_name', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('sent_at', d.timestamp, (c) => c.notNull())
          .execute();
        // History pages walk one channel backwards by id.
        await db.schema.createIndex('chat_messages_channel_id_idx').on('chat_messages').columns(['channel', 'id desc']).execute();
        await db.schema.createIndex('chat_messages_sent_at_idx').on('chat_messages').column('sent_at').execute();
        await db.schema
          .createTable('chat_mutes')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('muted', 'text', (c) => c.notNull())
          .addColumn('created_at', d.timestamp, (c) => c.notNull().defaultTo(d.now()))
          .addPrimaryKeyConstraint('chat_mutes_pk', ['user_id', 'muted'])
          .execute();
      },
    },
    '0003_notifications': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('notifications')
          .addColumn('id', 'integer', (c) => (d.pg ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey()))
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('created_at', d.timestamp, (c) => c.notNull().defaultTo(d.now()))
          .addColumn('read_at', d.timestamp)
          .execute();
        // What a connect looks up: one user's unread notices.
        await db.schema
          .createIndex('notifications_unread_idx')
          .on('notifications')
          .columns(['user_id', 'id'])
          .where(sql.ref('read_at'), 'is', null)
          .execute();
      },
    },
    '0004_applied_batches': {
      async up(db: Kysely<unknown>) {
        // The ids of the additive batches (profile stats) already applied, written in the batch's
        // own transaction: a batch retried after a commit whose answer was lost is not counted twice.
        await db.schema
          .createTable('applied_batches')
          .addColumn('batch_id', 'text', (c) => c.primaryKey())
          .addColumn('applied_at', d.timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('applied_batches_applied_at_idx').on('applied_batches').column('applied_at').execute();
      },
    },
  };
};

/** The names of every migration, oldest first. */
export const MIGRATION_NAMES = Object.keys(migrationsFor('postgres')).sort();

/**
 * Bring the schema up to date: apply every migration not yet recorded, in one transaction each,
 * under Kysely's lock (two nodes starting together do not both apply one). Returns the names
 * applied now. Throws, naming the migration, when one fails; the database keeps what was applied
 * before it.
 */
export async function migrateToLatest(db: Kysely<unknown>, engine: Engine): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrationsFor(engine)) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const what = failed ? `migration ${failed.migrationName} failed` : 'migrations failed';
    throw new Error(`${what}: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
