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

/**
 * What anyone may read of a profile: the name and the lifetime stats. Not `createdAt` or
 * `lastSeenAt`, which tell when a player is about (its owner reads them, with its token).
 */
export type PublicProfile = Pick<Profile, 'userId' | 'displayName' | 'kills' | 'deaths' | 'matches' | 'bestScore'>;

/** The public part of `p` (a new object: the owner's fields are not merely hidden). */
export function publicProfile(p: Profile | PublicProfile): PublicProfile {
  return { userId: p.userId, displayName: p.displayName, kills: p.kills, deaths: p.deaths, matches: p.matches, bestScore: p.bestScore };
}

/**
 * Where a leaderboard page starts: just after the row ranked `rank`, which had `value` in the
 * board's column and `userId`. Boards sort by (value desc, userId asc), so this is one point in
 * that order whatever the ties.
 */
export interface LeaderboardCursor {
  rank: number;
  value: number;
  userId: string;
}

/** One ranked row; `rank` counts from 1. */
export type LeaderboardEntry = PublicProfile & { rank: number };

/** What a leaderboard ranks by. */
export type LeaderboardKey = 'kills' | 'bestScore' | 'matches';
export const LEADERBOARD_KEYS: readonly LeaderboardKey[] = ['kills', 'bestScore', 'matches'];
const COLUMN = { kills: 'kills', bestScore: 'best_score', matches: 'matches' } as const;
/** A read that meets a batch being written tries again at most this many times (see `get`). */
const READ_TRIES = 3;

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
 *
 * Reads never write first (a read that flushed would let every reader force a write, and would
 * cut short the retry's wait while the database is failing): `get` adds what is still in memory
 * to the row it reads, so a profile is always current; a leaderboard ranks the rows as written,
 * up to one batch (1 s by default) behind, longer while the database refuses writes.
 */
export class ProfileStore {
  private pending = new Map<string, PendingProfile>();
  private readonly batcher: WriteBatcher<PendingProfile>;
  private batchesSincePrune = PRUNE_EVERY;
  /**
   * Every entry made and not yet known to be in the database (queued, kept after a failure, or
   * in a write), oldest first, by user: what `get` adds to a row. An entry leaves when its batch
   * is written or the batcher drops it, so this holds what the batcher holds.
   */
  private readonly unwritten = new Map<string, PendingProfile[]>();
  /** The batch being written now (its rows may or may not be visible to a read). */
  private inFlight: ReadonlySet<PendingProfile> = new Set();
  private writing: Promise<unknown> | undefined;
  /** Bumped when a write starts and when it ends: a read that sees it move ran beside one. */
  private writeEpoch = 0;

  constructor(
    private readonly db: Kysely<TickwireTables>,
    log?: Logger,
    options: WriteBatcherOptions<PendingProfile> = {},
  ) {
    this.batcher = new WriteBatcher('profiles', (batch, id) => this.write(batch, id), log, {
      intervalMs: 1000,
      ...options,
      onDrop: (items, reason, unsure) => {
        this.leavePending(items);
        for (const p of items) this.forgetUnwritten(p);
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
      this.remember(p);
      this.batcher.push(p);
    }
  }

  /** Entries that left the batcher (taken into a batch, or dropped): a new change starts a new entry. */
  private leavePending(entries: readonly PendingProfile[]): void {
    for (const p of entries) if (this.pending.get(p.userId) === p) this.pending.delete(p.userId);
  }

  private remember(p: PendingProfile): void {
    const list = this.unwritten.get(p.userId);
    if (list) list.push(p);
    else this.unwritten.set(p.userId, [p]);
  }

  private forgetUnwritten(p: PendingProfile): void {
    const list = this.unwritten.get(p.userId);
    const at = list ? list.indexOf(p) : -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.unwritten.delete(p.userId);
  }

  /**
   * Write one batch. While it runs, a read leaves its entries out (their rows may or may not be
   * visible yet) and reads again if the write ended meanwhile; once written, they leave memory.
   * (A batch whose commit answer was lost stays in memory until its retry finds it applied, so
   * for that while a profile read may count it twice; the database never does.)
   */
  private async write(batch: readonly PendingProfile[], batchId: string): Promise<void> {
    this.leavePending(batch);
    this.writeEpoch++;
    this.inFlight = new Set(batch);
    const written = this.upsert(batch, batchId);
    this.writing = written;
    try {
      await written;
      for (const p of batch) this.forgetUnwritten(p);
    } finally {
      this.inFlight = new Set();
      this.writing = undefined;
      this.writeEpoch++;
    }
  }

  private async upsert(batch: readonly PendingProfile[], batchId: string): Promise<void> {
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

  /**
   * One profile, with every change made before the call (those not yet written are added from
   * memory), or undefined for a user never seen. Never writes, and never starts a write: a
   * write already running is waited for, so the row read and the changes added do not overlap.
   */
  async get(userId: string): Promise<Profile | undefined> {
    for (let attempt = 1; ; attempt++) {
      // A batch already on its way: its rows may land while we read, counted twice or not at all.
      while (this.writing) await this.writing.catch(() => undefined);
      const epoch = this.writeEpoch;
      const row = await this.db.selectFrom('profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
      // A write began (and perhaps ended) during the read: read again, a few times at most.
      // After that, the changes being written are left out: the answer may lag one batch, never
      // count a change twice.
      if (epoch === this.writeEpoch || attempt >= READ_TRIES) return this.withUnwritten(userId, row ? toProfile(row) : undefined);
    }
  }

  /** `row` (undefined: not yet in the database) plus what this store holds for `userId`, oldest first. */
  private withUnwritten(userId: string, row: Profile | undefined): Profile | undefined {
    let p = row;
    for (const e of this.unwritten.get(userId) ?? []) {
      if (this.inFlight.has(e)) continue;
      const seenAt = e.seenAt.toISOString();
      p ??= { userId, displayName: e.name, createdAt: seenAt, lastSeenAt: seenAt, kills: 0, deaths: 0, matches: 0, bestScore: 0 };
      p.displayName = e.name;
      if (seenAt > p.lastSeenAt) p.lastSeenAt = seenAt;
      p.kills += e.kills;
      p.deaths += e.deaths;
      p.matches += e.matches;
      p.bestScore = Math.max(p.bestScore, e.best);
    }
    return p;
  }

  /**
   * One page of the board by `by`: ranked by the column, descending, ties to the lower user id;
   * public fields only. From the top, from rank `offset + 1` (keep offsets small: the database
   * walks past every skipped row), or just after `after` (a cursor: the last row of the page
   * before, as {@link cursorOf} makes it), which costs the same however deep. Reads the rows as
   * written: up to one batch behind (see the class). Returns up to `limit` rows and whether more
   * follow.
   */
  async leaderboard(
    by: LeaderboardKey,
    limit: number,
    from: { offset?: number; after?: LeaderboardCursor } = {},
  ): Promise<{ entries: LeaderboardEntry[]; more: boolean }> {
    const column = COLUMN[by];
    const board = () => this.db.selectFrom('profiles').select(['user_id', 'display_name', 'kills', 'deaths', 'matches', 'best_score']);
    let rows: Awaited<ReturnType<ReturnType<typeof board>['execute']>>;
    let firstRank: number;
    const after = from.after;
    if (after) {
      // Two index range scans on (column desc, user_id): the rest of the cursor's tie, then
      // everything below it. One OR'd condition would walk the whole tie from its start.
      const want = limit + 1;
      rows = await board().where(column, '=', after.value).where('user_id', '>', after.userId).orderBy('user_id').limit(want).execute();
      if (rows.length < want)
        rows = rows.concat(
          await board()
            .where(column, '<', after.value)
            .orderBy(column, 'desc')
            .orderBy('user_id')
            .limit(want - rows.length)
            .execute(),
        );
      firstRank = after.rank + 1;
    } else {
      const offset = from.offset ?? 0;
      rows = await board()
        .orderBy(column, 'desc')
        .orderBy('user_id')
        .limit(limit + 1)
        .offset(offset)
        .execute();
      firstRank = offset + 1;
    }
    const more = rows.length > limit;
    const entries = rows.slice(0, limit).map((r, i) => ({
      rank: firstRank + i,
      userId: r.user_id,
      displayName: r.display_name,
      kills: r.kills,
      deaths: r.deaths,
      matches: r.matches,
      bestScore: r.best_score,
    }));
    return { entries, more };
  }
}

/** The cursor just after `entry` on the board by `by`. */
export function cursorOf(by: LeaderboardKey, entry: LeaderboardEntry): LeaderboardCursor {
  return { rank: entry.rank, value: entry[by], userId: entry.userId };
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
