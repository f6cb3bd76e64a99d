import type { Kysely } from 'kysely';
import type { Logger } from '../logging/logger';
import type { TickwireTables } from '../persistence/schema';
import { WriteBatcher, type WriteBatcherOptions } from '../persistence/write-batcher';
import { writeInTransaction } from '../persistence/write-transaction';

/** What one player did in one match (or the part of it it played), as a room type reports it. */
export interface MatchLine {
  kills: number;
  deaths: number;
  score: number;
}

/** A profile as the HTTP API and game code read it. */
export interface Profile {
  userId: string;
  displayName: string;
  /** ISO 8601. */
  createdAt: string;
  lastSeenAt: string;
  kills: number;
  deaths: number;
  matches: number;
  bestScore: number;
}

/** What a leaderboard ranks by. */
export type LeaderboardKey = 'kills' | 'bestScore' | 'matches';
export const LEADERBOARD_KEYS: readonly LeaderboardKey[] = ['kills', 'bestScore', 'matches'];
const COLUMN = { kills: 'kills', bestScore: 'best_score', matches: 'matches' } as const;

/** One user's changes waiting for the next batch. */
export interface PendingProfile {
  userId: string;
  name: string;
  seenAt: Date;
  kills: number;
  deaths: number;
  matches: number;
  best: number;
}

/**
 * How long an applied batch's id is kept, ms. A retried batch looks its id up before anything
 * else in its transaction, and no later batch is written before it lands, so ids older than
 * the newest batch are never asked for again: an hour is a wide margin.
 */
const APPLIED_BATCH_KEPT_MS = 60 * 60 * 1000;
/** Old ids are pruned in every this many batches (once a minute at the default 1 s interval): a delete per batch costs the tick thread ~0.1 ms on SQLite. */
const PRUNE_EVERY = 60;

/**
 * Player profiles: made on an authenticated player's first join, named after its newest display
 * name, with lifetime stats that room types add to. Writes are gathered per user and land in one
 * upsert per batch (every `intervalMs`, default 1 s): a thousand players leaving at once is one
 * statement, and nothing in a room waits on it.
 *
 * Stats are additive (`kills = kills + n`), so each batch records its id in `applied_batches` in
 * the same transaction: a batch retried after a commit whose answer was lost finds its id and
 * counts once. A user's entry is changed in place until its batch is taken; if the batcher drops
 * the entry (an outage past `maxPending`), the store forgets it too, so the user's next change
 * starts a new entry instead of vanishing into the dropped one.
 */
export class ProfileStore {
  private pending = new Map<string, PendingProfile>();
  private readonly batcher: WriteBatcher<PendingProfile>;
  private batchesSincePrune = PRUNE_EVERY;

  constructor(
    private readonly db: Kysely<TickwireTables>,
    log?: Logger,
    options: WriteBatcherOptions<PendingProfile> = {},
  ) {
    this.batcher = new WriteBatcher('profiles', (batch, id) => this.write(batch, id), log, {
      intervalMs: 1000,
      ...options,
      onDrop: (items, reason, unsure) => {
        this.forget(items);
        options.onDrop?.(items, reason, unsure);
      },
    });
  }

  get stats() {
    return this.batcher.stats;
  }

  /** The user joined (as `name`): make its profile if new, else note the name and the time. */
  seen(userId: string, name: string): void {
    this.change(userId, name);
  }

  /** Add one match's line to the user's totals (matches + 1, best score kept if beaten). */
  recordMatch(userId: string, name: string, line: MatchLine): void {
    this.change(userId, name, (p) => {
      p.kills += Math.max(0, Math.trunc(line.kills));
      p.deaths += Math.max(0, Math.trunc(line.deaths));
      p.matches++;
      p.best = Math.max(p.best, Math.trunc(line.score));
    });
  }

  /**
   * Apply a change to the user's pending entry, or to a new one that is then queued. A new entry
   * is queued only once changed: the batcher may drop it at once (closed, or over maxPending),
   * and what it reports dropped must hold the change.
   */
  private change(userId: string, name: string, apply?: (p: PendingProfile) => void): void {
    let p = this.pending.get(userId);
    const fresh = !p;
    p ??= { userId, name, seenAt: new Date(), kills: 0, deaths: 0, matches: 0, best: 0 };
    p.name = name;
    p.seenAt = new Date();
    apply?.(p);
    if (fresh) {
      this.pending.set(userId, p);
      this.batcher.push(p);
    }
  }

  /** Entries that left the batcher (taken into a batch, or dropped): a new change starts a new entry. */
  private forget(entries: readonly PendingProfile[]): void {
    for (const p of entries) if (this.pending.get(p.userId) === p) this.pending.delete(p.userId);
  }

  private async write(batch: readonly PendingProfile[], batchId: string): Promise<void> {
    this.forget(batch);
    // One row per user (an upsert may not touch a row twice).
    const rows = new Map<string, PendingProfile>();
    for (const p of batch) {
      const had = rows.get(p.userId);
      if (!had) rows.set(p.userId, { ...p });
      else {
        had.name = p.name;
        had.seenAt = p.seenAt;
        had.kills += p.kills;
        had.deaths += p.deaths;
        had.matches += p.matches;
        had.best = Math.max(had.best, p.best);
      }
    }
    const now = new Date();
    await writeInTransaction(this.db, async (trx) => {
      const claimed = await trx
        .insertInto('applied_batches')
        .values({ batch_id: batchId, applied_at: now })
        .onConflict((oc) => oc.column('batch_id').doNothing())
        .executeTakeFirst();
      // Already applied: an earlier try committed and its answer was lost.
      if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) return;
      await trx
        .insertInto('profiles')
        .values(
          [...rows.values()].map((p) => ({
            user_id: p.userId,
            display_name: p.name,
            last_seen_at: p.seenAt,
            kills: p.kills,
            deaths: p.deaths,
            matches: p.matches,
            best_score: p.best,
          })),
        )
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet((eb) => ({
            display_name: eb.ref('excluded.display_name'),
            last_seen_at: eb.ref('excluded.last_seen_at'),
            kills: eb('profiles.kills', '+', eb.ref('excluded.kills')),
            deaths: eb('profiles.deaths', '+', eb.ref('excluded.deaths')),
            matches: eb('profiles.matches', '+', eb.ref('excluded.matches')),
            // greatest() on PostgreSQL is max() on SQLite: a CASE is the same on both.
            best_score: eb
              .case()
              .when('excluded.best_score', '>', eb.ref('profiles.best_score'))
              .then(eb.ref('excluded.best_score'))
              .else(eb.ref('profiles.best_score'))
              .end(),
          })),
        )
        .execute();
      if (++this.batchesSincePrune >= PRUNE_EVERY) {
        this.batchesSincePrune = 0;
        await trx
          .deleteFrom('applied_batches')
          .where('applied_at', '<', new Date(now.getTime() - APPLIED_BATCH_KEPT_MS))
          .execute();
      }
    });
  }

  /** Write what is queued now (reads after it see every change made before it, unless the write fails). */
  async flush(): Promise<void> {
    await this.batcher.flush();
  }

  /** Write what is queued, retrying until the batcher's `closeTimeoutMs`; what is left is given up, counted and logged. */
  close(): Promise<void> {
    return this.batcher.close();
  }

  /** One profile, with every change queued before the call; undefined for a user never seen. */
  async get(userId: string): Promise<Profile | undefined> {
    await this.flush();
    const row = await this.db.selectFrom('profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? toProfile(row) : undefined;
  }

  /** The top `limit` profiles by `by`, from rank `offset + 1`; ties go to the lower user id. */
  async leaderboard(by: LeaderboardKey, limit: number, offset = 0): Promise<Profile[]> {
    await this.flush();
    const column = COLUMN[by];
    const rows = await this.db
      .selectFrom('profiles')
      .selectAll()
      .orderBy(column, 'desc')
      .orderBy('user_id')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(toProfile);
  }
}

function toProfile(row: {
  user_id: string;
  display_name: string;
  created_at: Date;
  last_seen_at: Date;
  kills: number;
  deaths: number;
  matches: number;
  best_score: number;
}): Profile {
  return {
    userId: row.user_id,
    displayName: row.display_name,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    kills: row.kills,
    deaths: row.deaths,
    matches: row.matches,
    bestScore: row.best_score,
  };
}
