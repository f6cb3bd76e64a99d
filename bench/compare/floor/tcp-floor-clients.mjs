// N plain TCP clients for tcp-floor-server.mjs: each writes a 3-byte input every 1/30 s
// (INPUTS_PER_SEC overrides) and counts reads. `node tcp-floor-clients.mjs PORT N SECONDS
// [INPUTS_PER_SEC]`; prints "joined N", then reads and inputs per client per second.
import { connect } from 'node:net';

const port = Number(process.argv[2] ?? 2569);
const count = Number(process.argv[3] ?? 100);
const seconds = Number(process.argv[4] ?? 20);
const inputsPerSec = Number(process.argv[5] ?? 30);

const sockets = [];
let received = 0;
for (let i = 0; i < count; i++) {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('data', () => received++);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  sockets.push(socket);
}
process.stdout.write(`joined ${sockets.length}\n`);

const input = Buffer.from([1, 0, 0]);
const started = performance.now();
let inputs = 0;
const timer = setInterval(() => {
  inputs += sockets.length;
  for (const socket of sockets) socket.write(input);
}, 1000 / inputsPerSec);

const finish = () => {
  clearInterval(timer);
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(
    `snapshots/s per client ${(received / sockets.length / elapsed).toFixed(2)}, inputs/s per client ${(inputs / sockets.length / elapsed).toFixed(2)}\n`,
  );
  for (const socket of sockets) socket.destroy();
  process.exit(0);
};
const timeout = setTimeout(finish, seconds * 1000);
process.once('SIGINT', () => {
  clearTimeout(timeout);
  finish();
});
