import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type TickwireDatabase } from '../../src/persistence/database';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { flush, nextEvent, startServer, type LogLine } from '../support/server-harness';
import { privatePostgres } from '../support/private-postgres';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { scratchPostgres, TEST_POSTGRES_URL, type ScratchPostgres } from '../support/test-database';

/**
 * Database outages: PostgreSQL behind a TCP proxy that refuses new connections and cuts open
 * ones (the local server itself is shared and stays up), a private PostgreSQL stopped and
 * started again, and the embedded SQLite with writes refused. The process stays up, the game plays on, the backlog is bounded and shown, and it
 * drains when the database is back.
 */
let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A scratch database reached through a proxy, and a logger that keeps its lines. */
async function postgresBehindProxy(): Promise<{ url: string; proxy: TcpProxy; lines: LogLine[]; logger: pino.Logger }> {
  const scratch: ScratchPostgres = await scratchPostgres();
  cleanups.push(() => scratch.drop());
  const target = new URL(TEST_POSTGRES_URL);
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const url = new URL(scratch.url);
  url.host = `127.0.0.1:${proxy.port}`;
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { url: url.toString(), proxy, lines, logger };
}

/** Resolves when the test PostgreSQL runs a query whose text starts with `text` (asked directly, not through the proxy). */
async function running(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const r = await admin.query("select count(*)::int as n from pg_stat_activity where state = 'active' and query like $1", [`${text}%`]);
      if ((r.rows[0] as { n: number }).n > 0) return;
    }
    throw new Error(`the query "${text}" never ran`);
  } finally {
    await admin.end();
  }
}

describe('PostgreSQL outages', () => {
  it('a connection cut while a query runs fails that query, not the process; the next query reconnects', async () => {
    const { url, proxy, lines, logger } = await postgresBehindProxy();
    const database: TickwireDatabase = await openDatabase({ url, logger });
    cleanups.push(() => database.close());
    const slow = sql`select pg_sleep(2)`.execute(database.db);
    await running('select pg_sleep(2)');
    proxy.cut();
    await expect(slow).rejects.toThrow(/terminated|ECONNRESET|Connection/i);
    // Unhandled, the client's 'error' event would have ended this process (vitest reports it as an uncaught error).
    expect(lines.some((l) => l.msg === 'database: a connection failed; its query fails, the next one opens a new connection')).toBe(true);
    const again = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    expect(again.rows).toEqual([{ one: 1 }]);
  });

  it('with the database unreachable the game plays on, the backlog is bounded and shown, and it drains without a retry storm', async () => {
    const { url, proxy } = await postgresBehindProxy();
    const data = await TickwireData.open({ url, writes: { maxPending: 50 } });
    cleanups.push(() => data.close());
    const h = await startServer({ data, chat: { ratePerSecond: 10_000, burst: 10_000 }, admin: { port: 0 } });
    cleanups.push(() => h.close());
    const ann = h.client('ann');
    await ann.connect();

    proxy.refuse(true);
    proxy.cut();
    const say = async (n: number, from: number) => {
      for (let i = 0; i < n; i++) ann.say('lobby', `line ${from + i}`);
      await flush(ann);
      h.tick();
    };
    await say(20, 0);
    await data.flush(); // a try now, instead of waiting for the 250 ms interval
    const chat = () => h.server.health().data!.chat;
    expect(chat()).toMatchObject({ pending: 20, written: 0, dropped: 0 });
    expect(chat().failingFor).toBeGreaterThanOrEqual(1);
    const failuresBefore = chat().failures;

    // 600 more lines, past maxPending (50) and past a batch (500), straight into the store (a
    // client may send at most 140 messages/s): the oldest queued go, counted; no push forces a
    // try while the store is failing (only its backoff timer does).
    for (let i = 20; i < 620; i++)
      data.chat.append({ id: `x${String(i).padStart(4, '0')}`, channel: 'lobby', sender: 'u', senderName: 'u', text: `line ${i}`, at: i });
    await flush(ann);
    expect(chat().pending).toBe(50);
    expect(chat().dropped).toBe(570);
    expect(chat().failures).toBeLessThanOrEqual(failuresBefore + 1);

    // The game plays on.
    const snapshot = nextEvent(ann, 'snapshot');
    h.tick();
    await snapshot;
    const health = (await (await fetch(`http://127.0.0.1:${h.server.port}/health`)).json()) as {
      data: { chat: { pending: number; retryInMs: number } };
    };
    expect(health.data.chat.pending).toBe(50);
    expect(health.data.chat.retryInMs).toBeGreaterThan(0);
    const metrics = await (await fetch(`http://127.0.0.1:${h.server.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/^tickwire_db_writes_pending 50$/m);
    expect(metrics).toMatch(/^tickwire_db_writes_dropped_total 570$/m);

    proxy.refuse(false);
    await data.flush();
    expect(chat()).toMatchObject({ pending: 0, written: 50, dropped: 570, failingFor: 0, retryInMs: 0 });
    expect(h.server.health().chat!.linesIn).toBe(20);
    expect(chat().written + chat().dropped).toBe(620);
    const kept = await data.chat.page('lobby', undefined, 1000);
    // The batch being tried when the outage began (the first 20) is never dropped: it may have landed.
    // Of the queue, the newest 30 stayed.
    const expected = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => 590 + i)];
    expect(kept.map((m) => Number(m.text.slice(5))).sort((a, b) => a - b)).toEqual(expected);
  });
});

describe('PostgreSQL stopped and started again', () => {
  it('the game plays on while it is down; profile stats and chat lines wait and land once when it is back', async () => {
    const postgres = await privatePostgres();
    cleanups.push(() => postgres.close());
    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
    const data = await TickwireData.open({ url: postgres.url, logger });
    cleanups.push(() => data.close());
    const h = await startServer({ data, chat: { ratePerSecond: 1000, burst: 1000 } });
    cleanups.push(() => h.close());
    const ann = h.client('ann');
    await ann.connect();
    data.profiles.recordMatch('u1', 'ann', { kills: 2, deaths: 1, score: 2 });
    await data.flush();
    expect(data.stats.profiles.written).toBe(1);

    postgres.stop();
    data.profiles.recordMatch('u1', 'ann', { kills: 3, deaths: 0, score: 3 });
    for (let i = 0; i < 10; i++) ann.say('lobby', `line ${i}`);
    await flush(ann);
    h.tick();
    await data.flush();
    expect(data.stats.profiles).toMatchObject({ pending: 1, written: 1 });
    expect(data.stats.chat).toMatchObject({ pending: 10, written: 0 });
    expect(lines.some((l) => l.msg === 'profiles: write failed; kept to try again')).toBe(true);
    const snapshot = nextEvent(ann, 'snapshot');
    h.tick();
    await snapshot; // the game plays on

    postgres.start();
    await data.flush();
    expect(data.stats.profiles).toMatchObject({ pending: 0, written: 2, dropped: 0, failingFor: 0 });
    expect(data.stats.chat).toMatchObject({ pending: 0, written: 10, dropped: 0 });
    expect(await data.profiles.get('u1')).toMatchObject({ kills: 5, deaths: 1, matches: 2, bestScore: 3 });
    expect((await data.chat.page('lobby', undefined, 100)).map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i}`));
  });
});

describe('the embedded SQLite refusing writes', () => {
  it('keeps the batches while writes fail and writes them once they are allowed again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-readonly-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
    const data = await TickwireData.open({ dataDir: dir, logger });
    cleanups.push(() => data.close());
    // `query_only` makes SQLite refuse every write on this connection with SQLITE_READONLY, as a
    // read-only file would. chmod would not do it here: the tests run as root, which writes anyway.
    await sql`pragma query_only = on`.execute(data.database.db);
    data.profiles.recordMatch('u1', 'ann', { kills: 4, deaths: 1, score: 4 });
    data.chat.append({ id: 'a1', channel: 'lobby', sender: 'u1', senderName: 'ann', text: 'hi', at: 1 });
    await data.flush();
    expect(data.stats.profiles).toMatchObject({ pending: 1, written: 0, failures: 1 });
    expect(data.stats.chat).toMatchObject({ pending: 1, written: 0, failures: 1 });
    const failed = lines.find((l) => l.msg === 'profiles: write failed; kept to try again') as { err: { message: string } } | undefined;
    expect(failed?.err.message).toMatch(/readonly/i);

    await sql`pragma query_only = off`.execute(data.database.db);
    await data.flush();
    expect(data.stats.profiles).toMatchObject({ pending: 0, written: 1, dropped: 0 });
    expect(await data.profiles.get('u1')).toMatchObject({ kills: 4, matches: 1 });
    expect((await data.chat.page('lobby', undefined, 10)).map((m) => m.text)).toEqual(['hi']);
  });
});
