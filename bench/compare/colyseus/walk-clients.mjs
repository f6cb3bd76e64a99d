// N walking Colyseus clients (@colyseus/sdk 0.18) for `npm run bench:colyseus`: each joins
// "walk", decodes the state patches, and sends its direction every 1/30 s, holding one for
// 0.5-3 s as tickwire's walk bots do. `node walk-clients.mjs URL N SECONDS`; prints "joined N"
// once all are in, then patches received and inputs sent per client per second.
import { Client } from '@colyseus/sdk';

const url = process.argv[2] ?? 'ws://127.0.0.1:2567';
const count = Number(process.argv[3] ?? 100);
const seconds = Number(process.argv[4] ?? 20);
const TICK_MS = 1000 / 30;

const bots = [];
const client = new Client(url);
for (let i = 0; i < count; i++) {
  // A few at a time, as bots ramp in: a join storm is not what is measured.
  const room = await client.joinOrCreate('walk');
  const bot = { room, dir: 0, until: 0, patches: 0 };
  room.onStateChange(() => bot.patches++);
  bots.push(bot);
}
process.stdout.write(`joined ${bots.length}\n`);

const started = performance.now();
let inputs = 0;
const timer = setInterval(() => {
  const now = performance.now();
  inputs += bots.length;
  for (const bot of bots) {
    if (now >= bot.until) {
      bot.dir = Math.floor(Math.random() * 9);
      bot.until = now + 500 + Math.random() * 2500;
    }
    bot.room.send(1, bot.dir);
  }
}, TICK_MS);

// SIGINT (the bench's window closed) ends the run early, with the same summary.
const finish = async () => {
  clearInterval(timer);
  const elapsed = (performance.now() - started) / 1000;
  const rate = bots.reduce((s, b) => s + b.patches, 0) / bots.length / elapsed;
  process.stdout.write(`patches/s per client ${rate.toFixed(2)}, inputs/s per client ${(inputs / bots.length / elapsed).toFixed(2)}\n`);
  await Promise.allSettled(bots.map((b) => b.room.leave()));
  process.exit(0);
};
const timeout = setTimeout(finish, seconds * 1000);
process.once('SIGINT', () => {
  clearTimeout(timeout);
  void finish();
});
