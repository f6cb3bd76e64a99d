// N plain clients for floor-server.mjs: each sends a 3-byte input every 1/30 s (INPUTS_PER_SEC
// overrides), as tickwire's bots and the Colyseus rig's clients do, and counts what arrives.
// KIND `ws` (`ws` clients) or `tcp` (plain `net` sockets).
// `node floor-clients.mjs KIND PORT N SECONDS [INPUTS_PER_SEC]`; prints "joined N" once all are
// open, then messages received and inputs sent per client per second.
import { connect } from 'node:net';
import WebSocket from 'ws';

const kind = process.argv[2];
const port = Number(process.argv[3] ?? 2568);
const count = Number(process.argv[4] ?? 100);
const seconds = Number(process.argv[5] ?? 20);
const inputsPerSec = Number(process.argv[6] ?? 30);

/** Open one client; resolves with its send once open. */
function open(onData) {
  return new Promise((resolve, reject) => {
    if (kind === 'ws') {
      const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
      socket.on('message', onData);
      socket.once('open', () => resolve({ send: (b) => socket.send(b), end: () => socket.terminate() }));
      socket.once('error', reject);
    } else {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      socket.on('data', onData);
      socket.once('connect', () => resolve({ send: (b) => socket.write(b), end: () => socket.destroy() }));
      socket.once('error', reject);
    }
  });
}

const clients = [];
let received = 0;
const onData = () => received++;
for (let i = 0; i < count; i++) clients.push(await open(onData));
process.stdout.write(`joined ${clients.length}\n`);

const input = Buffer.from([1, 0, 0]);
const started = performance.now();
let inputs = 0;
const timer = setInterval(() => {
  inputs += clients.length;
  for (const client of clients) client.send(input);
}, 1000 / inputsPerSec);

const finish = () => {
  clearInterval(timer);
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(
    `snapshots/s per client ${(received / clients.length / elapsed).toFixed(2)}, inputs/s per client ${(inputs / clients.length / elapsed).toFixed(2)}\n`,
  );
  for (const client of clients) client.end();
  process.exit(0);
};
const timeout = setTimeout(finish, seconds * 1000);
process.once('SIGINT', () => {
  clearTimeout(timeout);
  finish();
});
