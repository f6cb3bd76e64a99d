// N plain `ws` clients for the ws floor (ws-floor-server.mjs): each sends a 3-byte input every
// 1/30 s (INPUTS_PER_SEC overrides), as tickwire's bots and the Colyseus rig's clients do, and
// counts what arrives. `node ws-floor-clients.mjs URL N SECONDS [INPUTS_PER_SEC]`; prints
// "joined N" once all are open, then messages received and inputs sent per client per second.
import WebSocket from 'ws';

const url = process.argv[2] ?? 'ws://127.0.0.1:2568';
const count = Number(process.argv[3] ?? 100);
const seconds = Number(process.argv[4] ?? 20);
const inputsPerSec = Number(process.argv[5] ?? 30);

const sockets = [];
let received = 0;
for (let i = 0; i < count; i++) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.on('message', () => received++);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
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
  for (const socket of sockets) socket.send(input);
}, 1000 / inputsPerSec);

const finish = () => {
  clearInterval(timer);
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(
    `snapshots/s per client ${(received / sockets.length / elapsed).toFixed(2)}, inputs/s per client ${(inputs / sockets.length / elapsed).toFixed(2)}\n`,
  );
  for (const socket of sockets) socket.terminate();
  process.exit(0);
};
const timeout = setTimeout(finish, seconds * 1000);
process.once('SIGINT', () => {
  clearTimeout(timeout);
  finish();
});
