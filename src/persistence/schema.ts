import type { ColumnType, Generated } from 'kysely';

/** A timestamp column: written as a Date (or left to its default), read back as a Date. */
type Timestamp = ColumnType<Date, Date | undefined, Date>;

/**
 * One authenticated player (a token's `sub`). Guests have none. Stats are lifetime totals the
 * room types add to in batches (`ProfileStore.recordMatch`).
 */
export interface ProfilesTable {
  user_id: string;
  display_name: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  kills: Generated<number>;
  deaths: Generated<number>;
  matches: Generated<number>;
  best_score: Generated<number>;
}

/** One chat line. `id` sorts in time order (see chat-id.ts); `channel` is `lobby` or `room:<roomId>`. */
export interface ChatMessagesTable {
  id: string;
  channel: string;
  /** The sender's key: a user id, or `guest:<room>:<player>`. */
  sender: string;
  sender_name: string;
  body: string;
  sent_at: Timestamp;
}

/** `user_id` does not want to see what `muted` writes. Authenticated users only: a guest's mutes live as long as its seat. */
export interface ChatMutesTable {
  user_id: string;
  muted: string;
  created_at: Timestamp;
}

/** A notice for one user, kept until the user's client says it was shown (`read_at`). */
export interface NotificationsTable {
  id: Generated<number>;
  user_id: string;
  message: string;
  created_at: Timestamp;
  read_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** An additive batch already applied (see migration 0004): its id, and when, for pruning. */
export interface AppliedBatchesTable {
  batch_id: string;
  applied_at: Timestamp;
}

/** Every table tickwire keeps, as Kysely sees them. */
export interface TickwireTables {
  applied_batches: AppliedBatchesTable;
  profiles: ProfilesTable;
  chat_messages: ChatMessagesTable;
  chat_mutes: ChatMutesTable;
  notifications: NotificationsTable;
}
