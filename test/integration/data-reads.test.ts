import fc from 'fast-check';
import { CompiledQuery, createQueryId, sql, type Kysely, type RootOperationNode } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DatabaseOptions } from '../../src/persistence/database';
import { ChatStore } from '../../src/persistence/chat-store';
import type { TickwireTables } from '../../src/persistence/schema';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { cursorOf, ProfileStore, type LeaderboardCursor, type LeaderboardEntry } from '../../src/profiles/profile-store';
import { scratchPostgres, sqliteOptions, type ScratchPostgres, dropScratch, DROP_SCRATCH_TIMEOUT_MS } from '../support/test-database';

/**
 * The read side of the stores, on both databases: reads never write (not even while writes
 * fail), yet see every change made before them; leaderboard pages by cursor cover the board
 * exactly, ties included, on the boards' indexes.
 */
const scratch: ScratchPostgres[] = [];
afterAll(async () => {
  await dropScratch(scratch);
}, DROP_SCRATCH_TIMEOUT_MS);

const backends: [string, () => Promise<DatabaseOptions>][] = [
  ['sqlite', sqliteOptions],
  [
    'postgres',
    async () => {
      const s = await scratchPostgres();
      scratch.push(s);
      return { url: s.url };
    },
  ],
];

/** Make every insert and update of `table` fail, as a database refusing writes would (reads still work). */
async function failWrites(db: Kysely<TickwireTables>, table: 'profiles' | 'chat_messages', kind: string): Promise<void> {
  if (kind === 'sqlite') {
    for (const op of ['insert', 'update'])
      await sql
        .raw(`create trigger tw_refuse_${op} before ${op} on ${table} begin select raise(abort, 'writes are down'); end`)
        .execute(db);
    return;
  }
  await sql`create or replace function tw_refuse_writes() returns trigger language plpgsql as $$ begin raise exception 'writes are down'; end $$`.execute(
    db,
  );
  await sql`create trigger tw_refuse_writes before insert or update on ${sql.table(table)} for each row execute function tw_refuse_writes()`.execute(
    db,
  );
}

async function allowWrites(db: Kysely<TickwireTables>, table: 'profiles' | 'chat_messages', kind: string): Promise<void> {
  if (kind === 'sqlite') {
    for (const op of ['insert', 'update']) await sql.raw(`drop trigger tw_refuse_${op}`).execute(db);
    return;
  }
  await sql`drop trigger tw_refuse_writes on ${sql.table(table)}`.execute(db);
}

describe.each(backends)('reads on %s', (kind, optionsFor) => {
  let data: TickwireData | undefined;
  afterEach(async () => {
    await data?.close();
    data = undefined;
  });
  // Stores of our own with a minute between retries: nothing but the test starts a write.
  const open = async () => {
    data = await TickwireData.open(await optionsFor());
    return data.database.db;
  };

  it('a profile read while writes fail adds the unwritten changes from memory, and starts no write', async () => {
    const db = await open();
    const profiles = new ProfileStore(db, undefined, { intervalMs: 60_000 });
    profiles.recordMatch('u1', 'ann', { kills: 2, deaths: 1, score: 7 });
    await profiles.flush();
    expect(profiles.stats.batches).toBe(1);
    await failWrites(db, 'profiles', kind);
    profiles.recordMatch('u1', 'Ann', { kills: 3, deaths: 0, score: 4 });
    profiles.recordMatch('u2', 'ben', { kills: 1, deaths: 2, score: 1 });
    await profiles.flush(); // fails: kept for the retry a minute from now
    expect(profiles.stats).toMatchObject({ failures: 1, pending: 2 });
    profiles.recordMatch('u1', 'Ann', { kills: 1, deaths: 1, score: 9 }); // a second entry for u1, after the failure
    for (let i = 0; i < 5; i++) {
      expect(await profiles.get('u1')).toMatchObject({ displayName: 'Ann', kills: 6, deaths: 2, matches: 3, bestScore: 9 });
      // Only in memory so far: made from what is held.
      expect(await profiles.get('u2')).toMatchObject({ displayName: 'ben', kills: 1, deaths: 2, matches: 1, bestScore: 1 });
    }
    // No read tried a write (a flush would have failed again and counted).
    expect(profiles.stats).toMatchObject({ failures: 1, batches: 1, pending: 3 });
    expect((await profiles.leaderboard('kills', 10)).entries.map((e) => [e.userId, e.kills])).toEqual([['u1', 2]]);

    await allowWrites(db, 'profiles', kind);
    await profiles.flush();
    expect(profiles.stats).toMatchObject({ failures: 1, pending: 0 });
    // Written now, and not counted twice.
    expect(await profiles.get('u1')).toMatchObject({ kills: 6, deaths: 2, matches: 3, bestScore: 9 });
    expect((await profiles.leaderboard('kills', 10)).entries.map((e) => [e.userId, e.kills])).toEqual([
      ['u1', 6],
      ['u2', 1],
    ]);
    await profiles.close();
  });

  it('a profile read beside a write counts every change once', async () => {
    const db = await open();
    const profiles = new ProfileStore(db, undefined, { intervalMs: 60_000 });
    for (let round = 1; round <= 10; round++) {
      profiles.recordMatch('u1', 'ann', { kills: 1, deaths: 0, score: round });
      const writing = profiles.flush();
      profiles.recordMatch('u1', 'ann', { kills: 1, deaths: 0, score: 0 });
      const [p] = await Promise.all([profiles.get('u1'), writing]);
      expect(p).toMatchObject({ kills: 2 * round, matches: 2 * round, bestScore: round });
    }
    await profiles.close();
  });

  it('a chat page while writes fail merges the unwritten lines, and starts no write', async () => {
    const db = await open();
    const chat = new ChatStore(db, undefined, { intervalMs: 60_000 });
    const line = (i: number, channel = 'lobby') => ({
      id: `m${String(i).padStart(3, '0')}`,
      channel,
      sender: 'u1',
      senderName: 'ann',
      text: `line ${i}`,
      at: 1000 + i,
    });
    for (let i = 0; i < 6; i++) chat.append(line(i));
    await chat.flush();
    await failWrites(db, 'chat_messages', kind);
    for (let i = 6; i < 12; i++) chat.append(line(i));
    chat.append(line(50, 'room:x'));
    await chat.flush();
    expect(chat.stats).toMatchObject({ failures: 1, batches: 1 });
    const texts = (lines: { text: string }[]) => lines.map((l) => l.text);
    expect(texts(await chat.page('lobby', undefined, 4))).toEqual(['line 8', 'line 9', 'line 10', 'line 11']);
    expect(texts(await chat.page('lobby', 'm008', 4))).toEqual(['line 4', 'line 5', 'line 6', 'line 7']);
    expect(texts(await chat.page('lobby', 'm003', 10))).toEqual(['line 0', 'line 1', 'line 2']);
    expect(texts(await chat.page('room:x', undefined, 10))).toEqual(['line 50']);
    expect(chat.stats).toMatchObject({ failures: 1, batches: 1 });
    await allowWrites(db, 'chat_messages', kind);
    await chat.flush();
    expect(texts(await chat.page('lobby', undefined, 20))).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i}`));
    await chat.close();
  });

  it('cursor pages walk the whole board in order, ties and all, without a gap or a repeat', async () => {
    const db = await open();
    const profiles = new ProfileStore(db, undefined, { intervalMs: 60_000 });
    await fc.assert(
      fc.asyncProperty(
        // Few distinct scores, so ties are the rule; ids that sort in surprising ways.
        fc.uniqueArray(fc.record({ id: fc.stringMatching(/^[a-zA-Z0-9_.@-]{1,12}$/), kills: fc.integer({ min: 0, max: 4 }) }), {
          selector: (r) => r.id,
          minLength: 0,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 7 }),
        async (players, pageSize) => {
          await db.deleteFrom('profiles').execute();
          if (players.length > 0)
            await db
              .insertInto('profiles')
              .values(players.map((p) => ({ user_id: p.id, display_name: p.id, kills: p.kills })))
              .execute();
          const walked: LeaderboardEntry[] = [];
          let after: LeaderboardCursor | undefined;
          for (let pages = 0; pages <= players.length + 1; pages++) {
            const page = await profiles.leaderboard('kills', pageSize, after ? { after } : {});
            walked.push(...page.entries);
            if (!page.more) break;
            after = cursorOf('kills', page.entries.at(-1)!);
          }
          // The order the database's own sort gives, byte order on ids (as the index sorts them).
          const all = await profiles.leaderboard('kills', 100, { offset: 0 });
          expect(walked.map((e) => [e.rank, e.userId, e.kills])).toEqual(all.entries.map((e) => [e.rank, e.userId, e.kills]));
          expect(new Set(walked.map((e) => e.userId)).size).toBe(players.length);
          expect(walked.map((e) => e.rank)).toEqual(players.map((_, i) => i + 1));
          for (let i = 1; i < walked.length; i++) expect(walked[i]!.kills).toBeLessThanOrEqual(walked[i - 1]!.kills);
        },
      ),
      { numRuns: 25, seed: 18 },
    );
    await profiles.close();
  });

  it('the board’s queries, from the top, by offset and by cursor, run on its index with no sort', async () => {
    const db = await open();
    const plans: string[] = [];
    // One connection, with sequential scans priced out: a tiny table would not choose an index
    // otherwise, and this asks whether the index can serve each query's order and range.
    await db.connection().execute(async (conn) => {
      if (kind === 'postgres') await sql`set enable_seqscan = off`.execute(conn);
      // The store's own queries, caught on their way to the database, then explained.
      const caught: RootOperationNode[] = [];
      const spy = conn.withPlugin({
        transformQuery: (a) => (caught.push(a.node), a.node),
        transformResult: (a) => Promise.resolve(a.result),
      });
      const board = new ProfileStore(spy, undefined, { intervalMs: 60_000 });
      await board.leaderboard('kills', 10);
      await board.leaderboard('bestScore', 10, { offset: 20 });
      await board.leaderboard('matches', 10, { after: { rank: 3, value: 5, userId: 'u-x' } });
      for (const node of caught) {
        const q = conn.getExecutor().compileQuery(node, createQueryId());
        if (kind === 'sqlite') {
          const { rows } = await conn.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]));
          plans.push(rows.map((r) => r.detail).join('\n'));
        } else {
          const { rows } = await conn.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]));
          plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
        }
      }
      if (kind === 'postgres') await sql`reset enable_seqscan`.execute(conn);
      await board.close();
    });
    expect(plans).toHaveLength(4); // a cursor page is two range scans
    const indexes = ['profiles_kills_idx', 'profiles_best_score_idx', 'profiles_matches_idx', 'profiles_matches_idx'];
    plans.forEach((plan, i) => {
      expect(plan).toContain(indexes[i]);
      // PostgreSQL: no Sort node, no sequential scan; SQLite: no temporary B-tree for the order.
      expect(plan).not.toMatch(/\bSort\b|Seq Scan|TEMP B-TREE/);
    });
  });
});

// A read overtaken by a write needs two connections: SQLite's one runs them in turn (and a
// held answer would hold its only connection). Kysely keeps the connection until the answer
// is handed back, so on PostgreSQL holding the answer holds one of the pool's four.
describe('reads on postgres, beside writes', () => {
  let data: TickwireData | undefined;
  afterEach(async () => {
    await data?.close();
    data = undefined;
  });

  it('a profile read that a write overtakes reads again: the change is counted, once', async () => {
    data = await TickwireData.open(await backends[1]![1]());
    const db = data.database.db;
    // Holds the first profile read's answer until the test lets it go: the row is read
    // before the batch below is written, and handed back after.
    let held: (() => void) | undefined;
    let heldAnswer: Promise<void> | undefined;
    const answered = new Promise<void>((resolve) => (held = resolve));
    let selectDone!: () => void;
    const selectRan = new Promise<void>((resolve) => (selectDone = resolve));
    const selects = new Set<unknown>();
    const slow = db.withPlugin({
      transformQuery: (a) => {
        if (a.node.kind === 'SelectQueryNode') selects.add(a.queryId);
        return a.node;
      },
      transformResult: async (a) => {
        if (selects.has(a.queryId) && !heldAnswer) {
          heldAnswer = answered;
          selectDone();
          await answered;
        }
        return a.result;
      },
    });
    const profiles = new ProfileStore(slow, undefined, { intervalMs: 60_000 });
    profiles.recordMatch('u1', 'ann', { kills: 4, deaths: 1, score: 4 });
    const reading = profiles.get('u1');
    await selectRan; // read, answer held
    await profiles.flush(); // written and done while the read's answer waits
    expect(profiles.stats.batches).toBe(1);
    held!();
    expect(await reading).toMatchObject({ kills: 4, deaths: 1, matches: 1 });
    await profiles.close();
  });
});
