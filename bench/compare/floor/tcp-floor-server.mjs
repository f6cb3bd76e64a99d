// The floor under the ws floor: plain TCP on Node's `net`, no WebSocket framing at all. Every
// 1/30 s it writes each client one SNAPSHOT_BYTES buffer; it reads and drops what arrives. What
// Node itself (libuv, the syscalls, the event loop) costs per player and per message, which no
// server written for Node can go under. `node tcp-floor-server.mjs PORT [SNAPSHOT_BYTES]`.
import { createServer } from 'node:net';

const port = Number(process.argv[2] ?? 2569);
const SNAPSHOT_BYTES = Number(process.argv[3] ?? 72);
const TICK_MS = 1000 / 30;

const snapshot = Buffer.alloc(SNAPSHOT_BYTES, 7);
const clients = new Set();
let received = 0;
const server = createServer({ noDelay: true }, (socket) => {
  clients.add(socket);
  socket.on('data', () => received++);
  socket.on('error', () => {});
  socket.on('close', () => clients.delete(socket));
});
server.listen(port, '127.0.0.1');

const start = performance.now();
let sent = 0;
function tick() {
  sent++;
  for (const socket of clients) socket.write(snapshot);
  const next = start + (sent + 1) * TICK_MS;
  setTimeout(tick, Math.max(0, next - performance.now()));
}
setTimeout(tick, TICK_MS);
process.once('SIGTERM', () => {
  process.stderr.write(`tcp floor: ${sent} ticks, ${received} reads\n`);
  process.exit(0);
});
