import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SQLITE_FILE, type TickwireDatabase } from '../../src/persistence/database';
import { writeInTransaction } from '../../src/persistence/write-transaction';

/** The embedded SQLite on its own thread: one connection, lent whole to one transaction at a time; one process per folder. */
const dirs: string[] = [];
const open: TickwireDatabase[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-sqlite-'));
  dirs.push(dir);
  return dir;
};

describe('SQLite on its own thread', () => {
  it('never interleaves one caller’s transaction with another’s statements, and rolls back a failed one whole', async () => {
    const database = await openDatabase({ dataDir: folder() });
    open.push(database);
    const { db } = database;
    const at = new Date(0);
    // 30 transactions at once, each writing two rows that must land together; every third fails between them.
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        writeInTransaction(db, async (trx) => {
          await trx
            .insertInto('applied_batches')
            .values({ batch_id: `t${i}-a`, applied_at: at })
            .execute();
          if (i % 3 === 0) throw new Error(`transaction ${i} fails`);
          await trx
            .insertInto('applied_batches')
            .values({ batch_id: `t${i}-b`, applied_at: at })
            .execute();
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(10);
    const ids = (await db.selectFrom('applied_batches').select('batch_id').execute()).map((r) => r.batch_id);
    const expected = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .flatMap((i) => [`t${i}-a`, `t${i}-b`]);
    expect(ids.sort()).toEqual(expected.sort());
    // Dates go in as ISO text and come back as Dates.
    const row = await db.selectFrom('applied_batches').selectAll().where('batch_id', '=', 't1-a').executeTakeFirstOrThrow();
    expect(row.applied_at).toEqual(at);
  });

  it('one process per folder: an open is refused while another live process holds the folder, a dead one’s claim is taken over, and a folder it cannot open is named', async () => {
    // Another live process holds the folder's claim.
    const dir = folder();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => other.once('exit', resolve));
    writeFileSync(join(dir, 'tickwire.pid'), String(other.pid));
    try {
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(`the data folder ${dir} is in use by process ${other.pid}`);
    } finally {
      other.kill('SIGKILL');
    }
    await gone;
    // Its process gone (a crash), the claim is taken over.
    open.push(await openDatabase({ dataDir: dir }));
    expect(readFileSync(join(dir, 'tickwire.pid'), 'utf8')).toBe(String(process.pid));
    // The database file is a directory: SQLite cannot open it.
    const broken = folder();
    mkdirSync(join(broken, SQLITE_FILE));
    await expect(openDatabase({ dataDir: broken })).rejects.toThrow(/cannot open the embedded database in .*tickwire-sqlite-/);
  });
});
