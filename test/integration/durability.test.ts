import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pg from 'pg';
import { PostgresDialect, SqliteDialect, type Dialect } from 'kysely';
import { ChatStore, type StoredChatMessage } from '../../src/persistence/chat-store';
import { migrateToLatest, type Engine } from '../../src/persistence/migrations';
import { openSqlite } from '../../src/persistence/sqlite-database';
import { sqliteThreadDialect } from '../../src/persistence/sqlite-thread';
import type { DropReason } from '../../src/persistence/write-batcher';
import { ProfileStore, type PendingProfile } from '../../src/profiles/profile-store';
import { faultyKysely, type Faults } from '../support/faulty-database';
import { scratchPostgres, type ScratchPostgres, dropScratch, DROP_SCRATCH_TIMEOUT_MS } from '../support/test-database';

const scratch: ScratchPostgres[] = [];
afterAll(async () => {
  await dropScratch(scratch);
}, DROP_SCRATCH_TIMEOUT_MS);

const dialects: [Engine, () => Promise<Dialect>][] = [
  ['sqlite', () => Promise.resolve(sqliteThreadDialect(':memory:'))],
  [
    'postgres',
    async () => {
      const s = await scratchPostgres();
      scratch.push(s);
      return new PostgresDialect({ pool: new pg.Pool({ connectionString: s.url, max: 2 }) });
    },
  ],
];

/** A migrated database on `engine` behind test faults. */
async function faultyDatabase(engine: Engine, dialect: Dialect) {
  const faults: Faults = { down: false, loseCommitAnswers: 0, commits: 0 };
  const db = faultyKysely(dialect, faults);
  await migrateToLatest(db as never, engine);
  faults.commits = 0; // the migrations' own
  return { db, faults };
}

describe.each(dialects)('idempotent batches on %s', (engine, dialectFor) => {
  it('a profile batch whose commit landed but whose answer was lost is retried and counted once', async () => {
    const { db, faults } = await faultyDatabase(engine, await dialectFor());
    const profiles = new ProfileStore(db, undefined, { intervalMs: 60_000 });
    profiles.recordMatch('u1', 'ann', { kills: 5, deaths: 1, score: 7 });
    faults.loseCommitAnswers = 1;
    await profiles.flush();
    expect(faults.commits).toBe(1); // it is in the database…
    expect(profiles.stats).toMatchObject({ failures: 1, written: 0, pending: 1 }); // …but the store could not know
    profiles.recordMatch('u1', 'ann', { kills: 1, deaths: 0, score: 1 }); // a later change: a new entry, a new batch
    await profiles.flush();
    expect(profiles.stats).toMatchObject({ failures: 1, written: 2, batches: 2, pending: 0, dropped: 0 });
    const row = await db.selectFrom('profiles').selectAll().where('user_id', '=', 'u1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kills: 6, deaths: 1, matches: 2, best_score: 7 });
    expect(await db.selectFrom('applied_batches').select('batch_id').execute()).toHaveLength(2);
    await profiles.close();
    await db.destroy();
  });

  it('a profile read between a lost commit answer and the retry counts that batch twice; the database and later reads count it once', async () => {
    const { db, faults } = await faultyDatabase(engine, await dialectFor());
    const profiles = new ProfileStore(db, undefined, { intervalMs: 60_000 });
    profiles.recordMatch('u1', 'ann', { kills: 5, deaths: 1, score: 7 });
    faults.loseCommitAnswers = 1;
    await profiles.flush();
    // The row holds the batch, and the store, not knowing, still holds it as unwritten.
    expect(await profiles.get('u1')).toMatchObject({ kills: 10, deaths: 2, matches: 2 });
    await profiles.flush(); // the retry finds its id in applied_batches and adds nothing
    expect(profiles.stats).toMatchObject({ failures: 1, written: 1, pending: 0 });
    expect(await profiles.get('u1')).toMatchObject({ kills: 5, deaths: 1, matches: 1 });
    const row = await db.selectFrom('profiles').selectAll().where('user_id', '=', 'u1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kills: 5, deaths: 1, matches: 1 });
    await profiles.close();
    await db.destroy();
  });

  it('a chat batch retried after a lost answer keeps each line once', async () => {
    const { db, faults } = await faultyDatabase(engine, await dialectFor());
    const chat = new ChatStore(db, undefined, { intervalMs: 60_000 });
    chat.append({ id: 'a1', channel: 'lobby', sender: 'u1', senderName: 'ann', text: 'hi', at: 1 });
    faults.loseCommitAnswers = 1;
    await chat.flush();
    await chat.flush();
    expect(chat.stats).toMatchObject({ failures: 1, written: 1, pending: 0 });
    expect(await db.selectFrom('chat_messages').select('id').execute()).toEqual([{ id: 'a1' }]);
    await chat.close();
    await db.destroy();
  });
});

/** One step of a random history. */
type Step =
  | { kind: 'match'; user: number; kills: number }
  | { kind: 'chat' }
  | { kind: 'down'; down: boolean }
  | { kind: 'loseAnswer' }
  | { kind: 'flush'; wait: boolean }
  | { kind: 'close' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('match' as const),
      user: fc.integer({ min: 0, max: 7 }),
      kills: fc.integer({ min: 1, max: 9 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'chat' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('down' as const), down: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'loseAnswer' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flush' as const), wait: fc.boolean() }) },
  // A close in the middle: what comes after is dropped as 'closed', and must be reported too.
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
);

describe('no write is lost silently', () => {
  it('with random failures, lost commit answers, overflow drops and closes: the database plus what was reported dropped is what was written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.boolean(), async (steps, downAtClose) => {
        // SQLite on this thread (Kysely's own dialect over the same adapter): the same SQL as the
        // server's thread-backed one, without starting a worker per run.
        const { db, faults } = await faultyDatabase('sqlite', new SqliteDialect({ database: openSqlite(':memory:') }));
        const dropped = {
          profiles: [] as { items: PendingProfile[]; unsure: boolean; reason: DropReason }[],
          chat: [] as { items: StoredChatMessage[]; unsure: boolean }[],
        };
        // Small bounds, so overflow drops happen often (with the drop not told to the store, as before
        // this test, it finds a lost change within ~10 runs); no timers fire (the steps flush), close tries once.
        const common = { intervalMs: 60_000, maxBatch: 2, maxPending: 3, closeTimeoutMs: 0 };
        const profiles = new ProfileStore(db, undefined, {
          ...common,
          // Copies: what was reported at the time of the drop, not what the object became later.
          onDrop: (items, reason, unsure) => dropped.profiles.push({ items: items.map((p) => ({ ...p })), unsure, reason }),
        });
        const chat = new ChatStore(db, undefined, {
          ...common,
          onDrop: (items, _reason, unsure) => dropped.chat.push({ items: [...items], unsure }),
        });
        const recorded = new Map<string, number>();
        const lines: string[] = [];
        const inFlight: Promise<void>[] = [];
        for (const s of steps) {
          if (s.kind === 'match') {
            const user = `u${s.user}`;
            profiles.recordMatch(user, user, { kills: s.kills, deaths: 0, score: 0 });
            recorded.set(user, (recorded.get(user) ?? 0) + s.kills);
          } else if (s.kind === 'chat') {
            const id = `m${String(lines.length).padStart(4, '0')}`;
            lines.push(id);
            chat.append({ id, channel: 'lobby', sender: 'u', senderName: 'u', text: id, at: lines.length });
          } else if (s.kind === 'down') faults.down = s.down;
          else if (s.kind === 'loseAnswer') faults.loseCommitAnswers++;
          else if (s.kind === 'close') await Promise.all([profiles.close(), chat.close()]);
          else {
            const both = Promise.all([profiles.flush(), chat.flush()]).then(() => {});
            // Not waited for: the next steps push while the batch is being written.
            if (s.wait) await both;
            else inFlight.push(both);
          }
        }
        await Promise.all(inFlight);
        faults.down = downAtClose;
        await Promise.all([profiles.close(), chat.close()]);
        faults.down = false;
        faults.loseCommitAnswers = 0;

        // Profiles: per user, the kills in the database plus the kills reported dropped are the
        // kills recorded; a batch given up after a lost answer is either wholly in or wholly out.
        const rows = await db.selectFrom('profiles').select(['user_id', 'kills']).execute();
        const inDb = new Map(rows.map((r) => [r.user_id, r.kills]));
        const sum = (unsure: boolean) => {
          const m = new Map<string, number>();
          for (const d of dropped.profiles)
            if (d.unsure === unsure) for (const p of d.items) m.set(p.userId, (m.get(p.userId) ?? 0) + p.kills);
          return m;
        };
        const sure = sum(false);
        const unsure = sum(true);
        const balances = (unsureWritten: boolean) =>
          [...recorded].every(
            ([user, kills]) => (inDb.get(user) ?? 0) + (sure.get(user) ?? 0) + (unsureWritten ? 0 : (unsure.get(user) ?? 0)) === kills,
          );
        expect(balances(true) || balances(false)).toBe(true);
        for (const user of inDb.keys()) expect(recorded.has(user)).toBe(true);
        expect(profiles.stats.pending).toBe(0);
        expect(profiles.stats.dropped).toBe(dropped.profiles.reduce((n, d) => n + d.items.length, 0));

        // Chat: every line is in the database or was reported dropped, never both (unless unsure).
        const stored = new Set((await db.selectFrom('chat_messages').select('id').execute()).map((r) => r.id));
        const droppedSure = new Set(dropped.chat.filter((d) => !d.unsure).flatMap((d) => d.items.map((m) => m.id)));
        const droppedUnsure = new Set(dropped.chat.filter((d) => d.unsure).flatMap((d) => d.items.map((m) => m.id)));
        for (const id of lines) {
          if (droppedUnsure.has(id)) continue;
          expect(stored.has(id) !== droppedSure.has(id)).toBe(true);
        }
        expect(stored.size + droppedSure.size).toBeLessThanOrEqual(lines.length);
        expect(chat.stats.pending).toBe(0);
        await db.destroy();
      }),
      { numRuns: 400 },
    );
  });
});
