// The floor under any WebSocket game server on Node: a `ws` server that does nothing but what
// each player costs at the socket (no game, no codec, no rooms). Every 1/30 s it sends each
// client one fixed binary message of SNAPSHOT_BYTES, as a snapshot; it reads and drops what the
// clients send. `npm run bench:colyseus -- --floor` measures its CPU in the same rounds as
// Colyseus and tickwire, so a CPU aim can be held against what the transport alone costs.
// `node ws-floor-server.mjs PORT [SNAPSHOT_BYTES]`; prints nothing.
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 2568);
/** Bytes a snapshot: tickwire's mean with 100 walking bots is about 71 (`npm run bots`). */
const SNAPSHOT_BYTES = Number(process.argv[3] ?? 72);
const TICK_MS = 1000 / 30;

const snapshot = Buffer.alloc(SNAPSHOT_BYTES, 7);
const clients = new Set();
const server = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 });
let received = 0;
server.on('connection', (socket) => {
  clients.add(socket);
  socket.on('message', () => received++);
  socket.on('close', () => clients.delete(socket));
});

// Drift-free: each send is due at start + n × TICK_MS, as a fixed-step loop is.
const start = performance.now();
let sent = 0;
function tick() {
  sent++;
  for (const socket of clients) socket.send(snapshot);
  const next = start + (sent + 1) * TICK_MS;
  setTimeout(tick, Math.max(0, next - performance.now()));
}
setTimeout(tick, TICK_MS);
process.once('SIGTERM', () => {
  process.stderr.write(`ws floor: ${sent} ticks, ${received} messages read\n`);
  server.close();
  process.exit(0);
});
