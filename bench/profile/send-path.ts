/**
 * `npx tsx bench/profile/send-path.ts [--sockets 50] [--ticks 3000] [--bytes 70]`
 *
 * The server's cost of sending one small message, through `WsTransport.send` both ways, side
 * by side in one process: via `ws.send` (no TCP socket given) and framed here and written
 * straight to the TCP socket. Each "tick" sends one message to every socket, timed around the
 * loop (the loopback write syscalls included, the clients' reading not), then yields so the
 * clients drain; ticks alternate between the two ways. Prints µs per message, median over
 * blocks of 100 ticks, and their ratio.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { WsTransport } from '../../src/transport/ws-transport';
import { median } from '../lib/stats';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function main(): Promise<void> {
  const sockets = arg('--sockets', 50);
  const ticks = arg('--ticks', 3000);
  const bytes = arg('--bytes', 70);
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const viaWs: WsTransport[] = [];
  const direct: WsTransport[] = [];
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    // Every other connection each way, so both kinds share the clients' process equally.
    if (viaWs.length <= direct.length) viaWs.push(new WsTransport(ws));
    else direct.push(new WsTransport(ws, req.socket));
  });
  let received = 0;
  const clients: WebSocket[] = [];
  for (let i = 0; i < 2 * sockets; i++) {
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    client.on('message', () => received++);
    clients.push(client);
    await once(client, 'open');
  }
  while (viaWs.length + direct.length < 2 * sockets) await yieldToLoop();
  const blocks: Record<'ws.send' | 'direct', number[]> = { 'ws.send': [], direct: [] };
  const sums = { 'ws.send': 0, direct: 0 };
  for (let tick = 0; tick < ticks; tick++) {
    for (const [name, transports] of tick % 2 === 0
      ? ([
          ['ws.send', viaWs],
          ['direct', direct],
        ] as const)
      : ([
          ['direct', direct],
          ['ws.send', viaWs],
        ] as const)) {
      const started = performance.now();
      for (let i = 0; i < transports.length; i++) {
        // A fresh buffer per message, as the replicator hands over.
        const message = Buffer.allocUnsafe(bytes);
        message[0] = 0x11;
        transports[i]!.send(message);
      }
      sums[name] += performance.now() - started;
      await yieldToLoop();
    }
    if ((tick + 1) % 100 === 0) {
      for (const name of ['ws.send', 'direct'] as const) {
        blocks[name].push((sums[name] * 1000) / (100 * sockets));
        sums[name] = 0;
      }
    }
  }
  while (received < 2 * sockets * ticks) await yieldToLoop();
  const a = median(blocks['ws.send'].slice(1));
  const b = median(blocks.direct.slice(1));
  process.stdout.write(
    `${bytes}-byte messages to ${sockets} sockets each way, ${ticks} ticks: ws.send ${a.toFixed(2)} µs per message, ` +
      `direct ${b.toFixed(2)} µs (direct / ws.send ${(b / a).toFixed(2)}; medians over blocks of 100 ticks, the first left out)\n`,
  );
  for (const c of clients) c.terminate();
  wss.close();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
