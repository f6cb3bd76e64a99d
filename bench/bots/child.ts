/**
 * One bots process of `npm run bots -- --processes N`, forked by `processes.ts`: it runs its
 * share of the bots and opens and closes its measuring window when the parent says, sends its
 * progress once a second, and at the end its raw measurements (a {@link BotsPart}).
 */
import { runBots, type RunGate } from './load-run';
import type { FromChild, ToChild } from './processes';

function send(m: FromChild): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, undefined, {}, () => resolve()) : resolve()));
}

/** Every kind of message the parent has sent so far: each phase comes once, maybe before it is awaited. */
const received = new Set<ToChild['type']>();
const waiters: (() => void)[] = [];
process.on('message', (m: ToChild) => {
  received.add(m.type);
  for (const w of waiters.splice(0)) w();
});

/** Resolves with the first of `types` the parent has sent (now or earlier), or 'stop'. */
function next(types: ToChild['type'][]): Promise<ToChild['type']> {
  return new Promise((resolve) => {
    const check = () => {
      const got = [...types, 'stop' as const].find((t) => received.has(t));
      if (got) resolve(got);
      else waiters.push(check);
    };
    check();
  });
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/bots/child.ts runs only as a forked bots process (npm run bots -- --processes N)');
  // Ctrl-C reaches the whole process group: the parent turns it into a 'stop' for every child.
  process.on('SIGINT', () => {});
  const stop = new AbortController();
  process.on('message', (m: ToChild) => {
    if (m.type === 'stop') stop.abort();
  });
  // The parent going away (killed, crashed) ends this process too: no orphaned bots.
  process.on('disconnect', () => process.exit(1));
  const start = new Promise<Extract<ToChild, { type: 'start' }>>((resolve) => {
    const on = (m: ToChild) => {
      if (m.type !== 'start') return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
  await send({ type: 'ready' });
  const { opts, processIndex, firstBot, bots } = await start;
  const gate: RunGate = {
    async open(joined) {
      await send({ type: 'joined', joined });
      return (await next(['open', 'noWindow'])) === 'open';
    },
    async close() {
      await next(['close']);
    },
    async leave() {
      await next(['leave']);
    },
  };
  const part = await runBots(opts, () => {}, stop.signal, {
    processIndex,
    firstBot,
    bots,
    probeServer: false,
    gate,
    onProgress: (sample) => void send({ type: 'progress', sample }),
  });
  await send({ type: 'part', part });
  // Exit explicitly: a socket that never finished closing must not keep the process alive.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`tickwire bots (child): ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
