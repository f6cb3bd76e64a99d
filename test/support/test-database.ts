import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DatabaseOptions } from '../../src/persistence/database';

/**
 * The PostgreSQL the tests use: the local server (trust auth, database `test`), or
 * `TEST_DATABASE_URL`. `.ci/run` makes sure one is running; with none, these tests fail (they
 * never skip).
 */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, empty embedded SQLite database in memory. */
export function sqliteOptions(): Promise<DatabaseOptions> {
  return Promise.resolve({ dataDir: 'memory://' });
}

/** A database of its own on the test PostgreSQL, dropped by `drop()`. */
export interface ScratchPostgres {
  url: string;
  drop(): Promise<void>;
}

/** Make a new, empty database on the test PostgreSQL (so tests never see each other's rows). */
export async function scratchPostgres(): Promise<ScratchPostgres> {
  const name = `tickwire_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * How long a test file's afterAll may take to drop its scratch databases, ms: each DROP DATABASE
 * waits for a checkpoint on the shared PostgreSQL, so one file's drops took more than vitest's
 * 10 s default hook timeout at load 9-12 on this 2-core box (data-reads, in a full `npm test`).
 */
export const DROP_SCRATCH_TIMEOUT_MS = 60_000;

/** Drop every database in `scratch` at once (their checkpoints overlap instead of queueing one by one). */
export async function dropScratch(scratch: readonly ScratchPostgres[]): Promise<void> {
  await Promise.all(scratch.map((s) => s.drop()));
}
