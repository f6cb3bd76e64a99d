// The floor under any game server on Node: a server that does nothing but what each player
// costs at the socket (no game, no codec, no rooms). Every 1/30 s it sends each client one fixed
// binary message of SNAPSHOT_BYTES, as a snapshot; it reads and drops what the clients send.
// KIND `ws`: a `ws` server (what any WebSocket server on `ws` pays per message); `tcp`: plain
// `net` sockets with no framing (what libuv, the syscalls and the event loop cost).
// `npm run bench:colyseus -- --floor` measures both in the same rounds as Colyseus and tickwire.
// `node floor-server.mjs KIND PORT [SNAPSHOT_BYTES]`; prints a line on SIGTERM.
import { createServer } from 'node:net';
import { WebSocketServer } from 'ws';

const kind = process.argv[2];
const port = Number(process.argv[3] ?? 2568);
/** Bytes a snapshot: tickwire's mean with 100 walking bots is about 71 (`npm run bots`). */
const SNAPSHOT_BYTES = Number(process.argv[4] ?? 72);
const TICK_MS = 1000 / 30;

const snapshot = Buffer.alloc(SNAPSHOT_BYTES, 7);
/** Each client's send: `ws`'s send or the socket's write. */
const sends = new Set();
let received = 0;
if (kind === 'ws') {
  const server = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 });
  server.on('connection', (socket) => {
    const send = () => socket.send(snapshot);
    sends.add(send);
    socket.on('message', () => received++);
    socket.on('close', () => sends.delete(send));
  });
} else if (kind === 'tcp') {
  const server = createServer({ noDelay: true }, (socket) => {
    const send = () => socket.write(snapshot);
    sends.add(send);
    socket.on('data', () => received++);
    socket.on('error', () => {});
    socket.on('close', () => sends.delete(send));
  });
  server.listen(port, '127.0.0.1');
} else {
  throw new Error(`floor-server.mjs: KIND must be ws or tcp, got ${kind}`);
}

// Drift-free: each send is due at start + n × TICK_MS, as a fixed-step loop is.
const start = performance.now();
let sent = 0;
function tick() {
  sent++;
  for (const send of sends) send();
  const next = start + (sent + 1) * TICK_MS;
  setTimeout(tick, Math.max(0, next - performance.now()));
}
setTimeout(tick, TICK_MS);
process.once('SIGTERM', () => {
  process.stderr.write(`${kind} floor: ${sent} ticks, ${received} reads\n`);
  process.exit(0);
});
