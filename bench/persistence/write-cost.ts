/**
 * `npm run bench:db-writes`: what one batch of writes costs, on PGlite (in this process: the
 * time is the server thread's) and on PostgreSQL (`--database-url`, default the local test
 * database; the time is mostly waiting). Chat batches of 15 and 60 lines (200 lines/s for
 * 75 ms and 300 ms), and a profile batch of 100 players leaving at once. Median of 50 batches each.
 *
 *   npm run bench:db-writes -- [--database-url postgres://postgres@127.0.0.1:5432/test] [--batches 50]
 */
import { parseArgs } from 'node:util';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { scratchPostgres } from '../../test/support/test-database';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, batches: { type: 'string', default: '50' } } });
const batches = Number(values.batches);

async function measure(data: TickwireData, label: string): Promise<void> {
  let line = 0;
  const timed = async (what: string, fill: () => void, flush: () => Promise<void>) => {
    const times: number[] = [];
    for (let b = 0; b < batches; b++) {
      fill();
      const t0 = performance.now();
      await flush();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(9)} ${what.padEnd(34)} median ${times[times.length >> 1]!.toFixed(2)} ms, p90 ${times[Math.floor(times.length * 0.9)]!.toFixed(2)} ms`,
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

const pglite = await TickwireData.open({ dataDir: 'memory://' });
await measure(pglite, 'pglite');
await pglite.close();
const scratch = values['database-url'] ? undefined : await scratchPostgres();
const pg = await TickwireData.open({ url: values['database-url'] ?? scratch!.url });
await measure(pg, 'postgres');
await pg.close();
await scratch?.drop();
