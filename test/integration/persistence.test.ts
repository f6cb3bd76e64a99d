import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseOptions } from '../../src/persistence/database';
import { MIGRATION_NAMES } from '../../src/persistence/migrations';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { sqliteOptions, scratchPostgres, type ScratchPostgres, dropScratch, DROP_SCRATCH_TIMEOUT_MS } from '../support/test-database';

// The same tests on both databases: the embedded SQLite and the local PostgreSQL.
const scratch: ScratchPostgres[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await dropScratch(scratch);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, DROP_SCRATCH_TIMEOUT_MS);

const backends: [string, () => Promise<DatabaseOptions>][] = [
  [
    'sqlite',
    () => {
      // A folder on disk, so the second open finds the schema the first one made.
      const dir = mkdtempSync(join(tmpdir(), 'tickwire-persistence-'));
      dirs.push(dir);
      return Promise.resolve({ dataDir: dir });
    },
  ],
  [
    'postgres',
    async () => {
      const s = await scratchPostgres();
      scratch.push(s);
      return { url: s.url };
    },
  ],
];

describe.each(backends)('persistence on %s', (kind, optionsFor) => {
  let options: DatabaseOptions;
  // Making a scratch PostgreSQL database can take seconds on a busy shared box.
  beforeAll(async () => {
    options = await optionsFor();
  }, 60_000);

  it('applies every migration once, in order, and none on the next open', async () => {
    const first = await openDatabase(options);
    expect(first.kind).toBe(kind);
    expect(first.applied).toEqual(MIGRATION_NAMES);
    const tables = await first.db.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual(['applied_batches', 'chat_messages', 'chat_mutes', 'notifications', 'profiles']);
    await first.close();
    const again = await openDatabase(options);
    expect(again.applied).toEqual([]);
    await again.close();
  });

  it('profiles: batched stats add up, the best score is kept, and the leaderboard ranks them', async () => {
    const data = await TickwireData.open(kind === 'postgres' ? options : await sqliteOptions());
    const { profiles } = data;
    profiles.seen('u1', 'ann');
    profiles.recordMatch('u1', 'ann', { kills: 3, deaths: 1, score: 3 });
    profiles.recordMatch('u1', 'ann', { kills: 5, deaths: 2, score: 5 });
    profiles.recordMatch('u2', 'ben', { kills: 4, deaths: 0, score: 4 });
    expect(profiles.stats.pending).toBe(2); // two users, one row each
    await profiles.flush();
    expect(profiles.stats.batches).toBe(1);
    profiles.recordMatch('u1', 'Ann', { kills: 1, deaths: 1, score: 1 });
    const ann = await profiles.get('u1');
    expect(ann).toMatchObject({ userId: 'u1', displayName: 'Ann', kills: 9, deaths: 4, matches: 3, bestScore: 5 });
    expect(Date.parse(ann!.createdAt)).toBeLessThanOrEqual(Date.parse(ann!.lastSeenAt));
    expect(await profiles.get('nobody')).toBeUndefined();
    // The board ranks rows as written: up to one batch behind until the next write.
    expect((await profiles.leaderboard('kills', 10)).entries.map((p) => [p.userId, p.kills])).toEqual([
      ['u1', 8],
      ['u2', 4],
    ]);
    await profiles.flush();
    const board = await profiles.leaderboard('kills', 10);
    expect(board.entries.map((p) => [p.rank, p.userId, p.kills])).toEqual([
      [1, 'u1', 9],
      [2, 'u2', 4],
    ]);
    expect(board.more).toBe(false);
    expect(board.entries[0]).not.toHaveProperty('lastSeenAt');
    const second = await profiles.leaderboard('bestScore', 1, { offset: 1 });
    expect(second.entries.map((p) => [p.rank, p.userId])).toEqual([[2, 'u2']]);
    await data.close();
  });

  it('chat: history pages walk back by id; mutes are kept per user', async () => {
    const data = await TickwireData.open(kind === 'postgres' ? options : await sqliteOptions());
    for (let i = 0; i < 25; i++)
      data.chat.append({
        id: `m${String(i).padStart(3, '0')}`,
        channel: 'lobby',
        sender: 'u1',
        senderName: 'ann',
        text: `line ${i}`,
        at: 1000 + i,
      });
    data.chat.append({ id: 'm999', channel: 'room:x', sender: 'u1', senderName: 'ann', text: 'elsewhere', at: 5000 });
    // Pages read the lines not yet written from memory: none of these reads writes.
    const newest = await data.chat.page('lobby', undefined, 10);
    expect(newest.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${15 + i}`));
    const older = await data.chat.page('lobby', newest[0]!.id, 10);
    expect(older.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${5 + i}`));
    expect((await data.chat.page('lobby', older[0]!.id, 10)).length).toBe(5);
    expect(older[0]).toMatchObject({ sender: 'u1', senderName: 'ann', channel: 'lobby', at: 1005 });
    expect(data.chat.stats.batches).toBe(0);
    await data.chat.flush();
    expect((await data.chat.page('lobby', newest[0]!.id, 10)).map((m) => m.id)).toEqual(older.map((m) => m.id));
    await data.chat.setMute('u1', 'u2', true);
    await data.chat.setMute('u1', 'u2', true);
    await data.chat.setMute('u1', 'guest:r:3', true);
    expect(await data.chat.mutes('u1')).toEqual(['guest:r:3', 'u2']);
    await data.chat.setMute('u1', 'u2', false);
    expect(await data.chat.mutes('u1')).toEqual(['guest:r:3']);
    expect(await data.chat.prune(new Date(10_000))).toBe(26);
    await data.close();
  });
});

describe('the embedded default', () => {
  it('keeps its data in a folder across a close and a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-data-'));
    try {
      const data = await TickwireData.open({ dataDir: dir });
      expect(data.database.where).toBe(dir);
      data.profiles.recordMatch('u9', 'zoe', { kills: 2, deaths: 1, score: 2 });
      await data.close();
      const again = await TickwireData.open({ dataDir: dir });
      expect(again.database.applied).toEqual([]);
      expect(await again.profiles.get('u9')).toMatchObject({ displayName: 'zoe', kills: 2, matches: 1 });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says where PostgreSQL could not be reached, password hidden', async () => {
    await expect(openDatabase({ url: 'postgres://me:secret@127.0.0.1:1/none' })).rejects.toThrow(
      /cannot reach PostgreSQL at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/none/,
    );
  });
});
