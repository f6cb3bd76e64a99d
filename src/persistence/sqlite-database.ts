import Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Statements kept prepared per connection: a batch's SQL repeats for each batch size that occurs. */
const STATEMENT_CACHE = 200;

/**
 * Open the embedded SQLite database (better-sqlite3) at `file` (`':memory:'` keeps nothing), set
 * for a server, and shaped as Kysely's SqliteDialect wants it:
 * - WAL journal with `synchronous = NORMAL`: a commit is one append to the log, no fsync. A
 *   killed process loses no committed transaction (the log is in the OS's cache); a power cut
 *   can lose the last commits, never the file's consistency.
 * - Dates: SQLite has no date type and better-sqlite3 binds none, so a Date parameter is written
 *   as ISO 8601 text (UTC, milliseconds: it sorts as time does), and a `*_at` column that reads
 *   back as text is turned into a Date again. The schema's timestamp columns all end in `_at`.
 * - `readOnly`: opens the file for reading only (writes fail with SQLITE_READONLY).
 *
 * better-sqlite3 is synchronous: the server runs this in a worker thread (sqlite-worker.ts).
 */
export function openSqlite(file: string, options: { readOnly?: boolean } = {}): SqliteDatabase & { raw: Database.Database } {
  const raw = new Database(file, { readonly: options.readOnly ?? false });
  if (!options.readOnly) {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
  }
  raw.pragma('foreign_keys = ON');
  const cache = new Map<string, SqliteStatement>();
  return {
    raw,
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      let s = cache.get(sql);
      if (s) {
        // Most recently used last, so the first key is the one to evict.
        cache.delete(sql);
        cache.set(sql, s);
        return s;
      }
      s = wrapStatement(raw.prepare(sql));
      cache.set(sql, s);
      if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      return s;
    },
  };
}

function wrapStatement(stmt: Database.Statement): SqliteStatement {
  return {
    reader: stmt.reader,
    all: (params) => (stmt.all(...bindable(params)) as Record<string, unknown>[]).map(datesOf),
    run: (params) => stmt.run(...bindable(params)),
    iterate: (params) => mapIterator(stmt.iterate(...bindable(params)) as IterableIterator<Record<string, unknown>>),
  };
}

function* mapIterator(it: IterableIterator<Record<string, unknown>>): IterableIterator<unknown> {
  for (const row of it) yield datesOf(row);
}

/** Parameters as SQLite binds them: a Date as ISO 8601 text, a boolean as 0 or 1. */
function bindable(params: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    out[i] = p instanceof Date ? p.toISOString() : typeof p === 'boolean' ? Number(p) : p;
  }
  return out;
}

/** A row with its `*_at` text columns read as Dates. */
function datesOf(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const v = row[key];
    if (typeof v === 'string' && key.endsWith('_at')) row[key] = new Date(v);
  }
  return row;
}
