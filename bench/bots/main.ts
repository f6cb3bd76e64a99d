#!/usr/bin/env node
/**
 * `npm run bots -- --url ws://127.0.0.1:8080/ws --clients 200 --duration 30 [--behavior walk|fight] [--processes N] [--json]`
 *
 * Load-test a running tickwire server with headless players built on the real client SDK, and
 * print what a player and an operator would want to know: did everyone get in, did every client
 * get every snapshot, how many bytes per second each client receives, how long an input takes to
 * be acknowledged, and what it cost the server (and this process) in CPU and heap.
 */
import { runBots } from './load-run';
import { mergeParts } from './merge';
import { botsUsage, parseBotsArgs, UsageError, type BotsOptions } from './options';
import { runProcesses } from './processes';
import { formatSummary, type BotsSummary } from './report';

async function main(): Promise<void> {
  let opts: BotsOptions;
  try {
    opts = parseBotsArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tickwire bots: ${err.message}\n\n${botsUsage()}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${botsUsage()}\n`);
    return;
  }

  // Ctrl-C ends the run early but still closes the sockets and prints the summary; a second one quits.
  const stop = new AbortController();
  process.on('SIGINT', () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('tickwire bots: stopping (Ctrl-C again to quit at once)\n');
    stop.abort();
  });

  process.stderr.write(
    `tickwire bots: ${opts.clients} ${opts.behavior} bots → ${opts.url} for ${opts.durationS} s` +
      (opts.processes > 1 ? ` in ${opts.processes} processes\n` : '\n'),
  );
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  let summary: BotsSummary;
  if (opts.processes > 1) summary = await runProcesses(opts, progress, stop.signal);
  else {
    const part = await runBots(opts, progress, stop.signal);
    summary = mergeParts([part], part.server, part.serverErrors);
  }
  process.stdout.write(`${formatSummary(summary)}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  const code = summary.clientsConnected === 0 ? 1 : 0;
  // Exit explicitly: a socket that never finished closing must not keep the process alive.
  process.stdout.write('', () => process.exit(code));
}

main().catch((err) => {
  process.stderr.write(`tickwire bots: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
