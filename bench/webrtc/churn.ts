/**
 * `npm run bench:webrtc-churn`: what a WebRTC connection costs the server, and whether closing
 * one gives it all back. The server runs in its own process (`src/cli/main.ts`, WebRTC on, one
 * UDP port, per-address limits off); this process plays the clients (node-datachannel's
 * polyfill) and reads the server's RSS, open file descriptors and threads from /proc/<pid>,
 * and its JS heap from /metrics on the admin port.
 *
 *   1. warm-up: 20 connections opened and closed (first-use allocations: the mux socket, pools);
 *   2. held: --held connections open at once (default 100): the cost per open connection;
 *   3. churn: --count connections (default 1000) opened and closed in turn, --parallel at a
 *      time (default 10; a close waits up to 0.5 s for its last acknowledgement): RSS, fds and
 *      threads before and after.
 *
 * Runs the built server (dist/cli.js: `npm run build` first) when there is one, so the figures
 * carry no TypeScript compiler; else src/cli/main.ts through tsx.
 *
 * Flags: --count N, --held N, --parallel N.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as wrtc from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import { arenaGame } from '../../shared/games/arena';
import { TickwireClient, type WebSocketConstructor } from '../../src/sdk/tickwire-client';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const COUNT = flag('count', 1000);
const HELD = flag('held', 100);
const PARALLEL = flag('parallel', 10);
const WRTC = {
  RTCPeerConnection: wrtc.RTCPeerConnection,
  RTCSessionDescription: wrtc.RTCSessionDescription,
  RTCIceCandidate: wrtc.RTCIceCandidate,
};

async function freePort(udp = false): Promise<number> {
  if (udp) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const p = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  }
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

const [port, adminPort, udpPort] = [await freePort(), await freePort(), await freePort(true)];
const server = spawn(
  process.execPath,
  [
    '--expose-gc',
    '--import',
    './bench/webrtc/gc-on-signal.mjs',
    ...(existsSync('dist/cli.js') ? ['dist/cli.js'] : ['--import', 'tsx', 'src/cli/main.ts']),
    ...['--port', String(port), '--host', '127.0.0.1', '--admin-port', String(adminPort)],
    ...[
      '--webrtc',
      'on',
      '--webrtc-ports',
      `${udpPort}-${udpPort}`,
      '--per-ip-limits',
      'off',
      '--persistence',
      'off',
      '--log-level',
      'warn',
    ],
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const pid = server.pid!;
process.on('exit', () => server.kill('SIGKILL'));

/** RSS (KiB), open fds and threads of the server process, from /proc. */
function proc(): { rssKiB: number; fds: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), fds: readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads') };
}

/** The server's JS heap in use after a full collection, bytes (prom-client's nodejs_heap_size_used_bytes). */
async function heapUsed(): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Open WebRTC channels and unjoined connections on the server, from /health. */
async function serverOpen(): Promise<{ sessions: number; pending: number }> {
  const h = (await (await fetch(`http://127.0.0.1:${adminPort}/health`)).json()) as {
    webrtc?: { attemptsPending: number };
    totals?: { connections?: number };
    connections?: number;
  };
  return { sessions: h.connections ?? h.totals?.connections ?? 0, pending: h.webrtc?.attemptsPending ?? 0 };
}

function client(i: number) {
  return new TickwireClient({
    url: `ws://127.0.0.1:${port}/ws`,
    game: arenaGame,
    name: `churn-${i}`,
    transport: 'webrtc',
    webrtc: { wrtc: WRTC },
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnect: false,
  });
}

async function openClose(i: number): Promise<void> {
  const c = client(i);
  await c.connect();
  const closed = new Promise<void>((r) => c.on('close', () => r()));
  c.close();
  await closed;
}

const settle = async () => {
  await waitFor('the server to hold no connection', async () => {
    const o = await serverOpen();
    return o.sessions === 0 && o.pending === 0;
  });
  // Native frees settle after the last close, and this process's HTTP keep-alive sockets to
  // the server (signalling) close after 5 s idle: give them 6 s.
  await new Promise((r) => setTimeout(r, 6000));
};

await waitFor('the server to listen', async () => {
  try {
    return (await fetch(`http://127.0.0.1:${adminPort}/health`)).ok;
  } catch {
    return false;
  }
});
const start = { ...proc(), heap: await heapUsed() };
for (let i = 0; i < 20; i++) await openClose(i);
await settle();
const before = { ...proc(), heap: await heapUsed() };

const held: ReturnType<typeof client>[] = [];
for (let i = 0; i < HELD; i++) {
  const c = client(i);
  await c.connect();
  held.push(c);
}
await new Promise((r) => setTimeout(r, 2000));
const open = { ...proc(), heap: await heapUsed() };
await Promise.all(held.map((c) => new Promise<void>((r) => (c.on('close', () => r()), c.close()))));
await settle();
const afterHeld = { ...proc(), heap: await heapUsed() };

// Two halves: growth that stops after the first (allocator pools, fragmentation) against growth
// that goes on (a leak, which would add as much again).
const churn = async (from: number, to: number) => {
  for (let i = from; i < to; i += PARALLEL)
    await Promise.all(Array.from({ length: Math.min(PARALLEL, to - i) }, (_, k) => openClose(i + k)));
  await settle();
  return { ...proc(), heap: await heapUsed() };
};
const t0 = Date.now();
const half = await churn(0, Math.floor(COUNT / 2));
const after = await churn(Math.floor(COUNT / 2), COUNT);
const churnS = (Date.now() - t0) / 1000 - 12;

const row = (label: string, s: { rssKiB: number; fds: number; threads: number; heap: number }) =>
  `${label.padEnd(34)} RSS ${(s.rssKiB / 1024).toFixed(1).padStart(6)} MiB   fds ${String(s.fds).padStart(4)}   threads ${String(s.threads).padStart(3)}   heap ${(s.heap / 2 ** 20).toFixed(1).padStart(5)} MiB`;
console.log(row('server started', start));
console.log(row('after 20 warm-up connections', before));
console.log(row(`${HELD} connections open`, open));
console.log(row(`all ${HELD} closed`, afterHeld));
console.log(row(`after ${Math.floor(COUNT / 2)} opened and closed`, half));
console.log(row(`after ${COUNT} opened and closed`, after));
console.log(
  `per open connection: RSS ${(((open.rssKiB - before.rssKiB) * 1024) / HELD / 1024).toFixed(1)} KiB, heap ${((open.heap - before.heap) / HELD / 1024).toFixed(1)} KiB, fds ${((open.fds - before.fds) / HELD).toFixed(2)}, threads ${((open.threads - before.threads) / HELD).toFixed(2)}`,
);
console.log(
  `churn: ${COUNT} in ${churnS.toFixed(1)} s; RSS ${after.rssKiB - before.rssKiB >= 0 ? '+' : ''}${((after.rssKiB - before.rssKiB) / 1024).toFixed(1)} MiB, fds ${after.fds - before.fds >= 0 ? '+' : ''}${after.fds - before.fds}, threads ${after.threads - before.threads >= 0 ? '+' : ''}${after.threads - before.threads} against after warm-up (second half alone: RSS ${((after.rssKiB - half.rssKiB) / 1024).toFixed(1)} MiB, fds ${after.fds - half.fds}, heap ${((after.heap - half.heap) / 2 ** 20).toFixed(1)} MiB)`,
);
server.kill('SIGTERM');
process.exit(0);
