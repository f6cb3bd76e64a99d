#!/usr/bin/env node
/**
 * `npm run soak -- --minutes 10 [--clients 100] [--drop-rate 2] [--url ws://…] [--json]`
 *
 * Long churn against one server: bots join, play, lose their links, resume and leave, over and
 * over; then everyone leaves and the server must be empty, its heap no bigger than after warm-up.
 */
import { parseSoakArgs, soakUsage, UsageError, type SoakOptions } from './options';
import { startServerProcess } from './server-process';
import { formatSoak, runSoak } from './soak-run';

async function main(): Promise<void> {
  let opts: SoakOptions;
  try {
    opts = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tickwire soak: ${err.message}\n\n${soakUsage()}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${soakUsage()}\n`);
    return;
  }
  const server = opts.url ? undefined : await startServerProcess(Math.max(1000, opts.clients * 2));
  const url = opts.url ?? server!.url;
  process.stderr.write(
    `tickwire soak: ${opts.minutes} min, ${opts.clients} bots, ${opts.dropRate} kills/bot/min → ${url}${server ? ' (own server process)' : ''}\n`,
  );
  let passed = false;
  try {
    const summary = await runSoak(opts, url, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${formatSoak(summary)}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    passed = summary.passed;
  } finally {
    await server?.stop();
  }
  process.stdout.write('', () => process.exit(passed ? 0 : 1));
}

main().catch((err) => {
  process.stderr.write(`tickwire soak: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
