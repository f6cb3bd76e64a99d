/**
 * `npm run bench:db-writes`: what one batch of writes costs, on the embedded SQLite (on its own thread) and
 * on PostgreSQL (`--database-url`, default a scratch database on the local test server): the
 * time until the batch is written, and how much of it this (the server's) thread was busy,
 * from its event-loop utilization. Chat batches of 15 and 60 lines (200 lines/s for 75 ms and
 * 300 ms), and a profile batch of 100 players leaving at once. Median of 50 batches each, after
 * 20 uncounted.
 *
 *   npm run bench:db-writes -- [--database-url postgres://postgres@127.0.0.1:5432/test] [--batches 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { scratchPostgres } from '../../test/support/test-database';
import { median, percentile } from '../lib/stats';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, batches: { type: 'string', default: '50' } } });
const batches = Number(values.batches);
const WARMUP = 20;

async function measure(data: TickwireData, label: string): Promise<void> {
  let line = 0;
  const timed = async (what: string, fill: () => void, flush: () => Promise<void>) => {
    const times: number[] = [];
    const busy: number[] = [];
    // The first WARMUP batches of each kind are written but not counted: V8 is still compiling Kysely's paths.
    for (let b = 0; b < WARMUP + batches; b++) {
      fill();
      const t0 = performance.now();
      const elu0 = performance.eventLoopUtilization();
      await flush();
      if (b < WARMUP) continue;
      busy.push(performance.eventLoopUtilization(elu0).active);
      times.push(performance.now() - t0);
    }
    const med = (v: number[]) => median(v).toFixed(2);
    const p90 = (v: number[]) => percentile(Float64Array.from(v).sort(), 90).toFixed(2);
    console.log(
      `${label.padEnd(9)} ${what.padEnd(30)} written in ${med(times)} ms (p90 ${p90(times)}), server thread busy ${med(busy)} ms (p90 ${p90(busy)})`,
    );
  };
  for (const size of [15, 60])
    await timed(
      `chat batch of ${size} lines`,
      () => {
        for (let i = 0; i < size; i++, line++)
          data.chat.append({
            id: String(line).padStart(12, '0'),
            channel: 'lobby',
            sender: `u${i}`,
            senderName: `bot ${i}`,
            text: `load ${line}`,
            at: Date.now(),
          });
      },
      () => data.chat.flush(),
    );
  let player = 0;
  await timed(
    'profile batch of 100 players',
    () => {
      for (let i = 0; i < 100; i++) data.profiles.recordMatch(`u${player++ % 1000}`, 'bot', { kills: 3, deaths: 2, score: 3 });
    },
    () => data.profiles.flush(),
  );
}

// SQLite in a data folder (WAL on disk, as a server runs it), not in memory.
const dir = mkdtempSync(join(tmpdir(), 'tickwire-bench-'));
const sqlite = await TickwireData.open({ dataDir: dir });
await measure(sqlite, 'sqlite');
await sqlite.close();
rmSync(dir, { recursive: true, force: true });
const scratch = values['database-url'] ? undefined : await scratchPostgres();
const pg = await TickwireData.open({ url: values['database-url'] ?? scratch!.url });
await measure(pg, 'postgres');
await pg.close();
await scratch?.drop();
