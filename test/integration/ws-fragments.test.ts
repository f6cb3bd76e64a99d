import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { WsTransport } from '../../src/transport/ws-transport';

/** A ws server on port 0 and one client connected to it: both ends open, with the upgrade request. */
async function openPair(): Promise<{ wss: WebSocketServer; client: WebSocket; socket: WebSocket; req: IncomingMessage }> {
  const wss = new WebSocketServer({ port: 0 });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const accepted = once(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const [socket, req] = (await accepted) as [WebSocket, IncomingMessage];
  await once(client, 'open');
  return { wss, client, socket, req };
}

describe('WsTransport.sendParts', () => {
  it('delivers a header and a shared body as one message, the body never copied', async () => {
    const { wss, client, socket } = await openPair();
    // Watch what the socket is asked to write: the body must go out as the very buffer given.
    type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
    const raw = (socket as unknown as { _socket: { write: Write } })._socket;
    const written: unknown[] = [];
    const write: Write = raw.write.bind(raw);
    raw.write = (chunk, ...rest) => {
      written.push(chunk);
      return write(chunk, ...rest);
    };
    const transport = new WsTransport(socket);
    const body = Buffer.alloc(10_000, 7);
    const messages: Buffer[] = [];
    client.on('message', (data: Buffer) => messages.push(data));
    transport.sendParts(Buffer.from([0x11, 1, 0, 0]), body);
    transport.sendParts(Buffer.from([0x11, 2, 0, 0]), body);
    while (messages.length < 2) await once(client, 'message');
    expect(messages.map((m) => m.length)).toEqual([10_004, 10_004]);
    expect([...messages[1].subarray(0, 4)]).toEqual([0x11, 2, 0, 0]);
    expect(messages[1].subarray(4).equals(body)).toBe(true);
    expect(written.filter((c) => c === body).length).toBe(2);
    client.close();
    wss.close();
  });

  it('with the TCP socket, frames messages itself: every size arrives whole and in order, pings between', async () => {
    const { wss, client, socket, req } = await openPair();
    type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
    const raw = req.socket as unknown as { write: Write };
    const written: unknown[] = [];
    const write: Write = raw.write.bind(raw);
    raw.write = (chunk, ...rest) => {
      written.push(chunk);
      return write(chunk, ...rest);
    };
    const transport = new WsTransport(socket, req.socket);
    const pattern = (size: number, seed: number): Buffer => {
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = (i * 13 + seed) & 0xff;
      return b;
    };
    const sizes = [1, 125, 126, 4000, 4100, 65_535, 65_536, 100_000];
    const sent = sizes.map((size, i) => pattern(size, i));
    const body = pattern(20_000, 99);
    const messages: Buffer[] = [];
    let pings = 0;
    client.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(true);
      messages.push(data);
    });
    client.on('ping', () => pings++);
    for (const bytes of sent) {
      transport.send(bytes);
      transport.probe();
    }
    transport.sendParts(Buffer.from([0x11, 3, 0, 0]), body);
    while (messages.length < sent.length + 1) await once(client, 'message');
    expect(messages.slice(0, sent.length).map((m, i) => m.equals(sent[i]))).toEqual(sent.map(() => true));
    const last = messages[sent.length];
    expect([...last.subarray(0, 4)]).toEqual([0x11, 3, 0, 0]);
    expect(last.subarray(4).equals(body)).toBe(true);
    expect(pings).toBe(sent.length);
    // Large payloads and the shared body go out as the caller's buffers, not copies.
    expect(written.includes(sent[sizes.indexOf(100_000)])).toBe(true);
    expect(written.includes(body)).toBe(true);
    client.close();
    wss.close();
  });

  it('with the TCP socket, sends nothing once the close has begun', async () => {
    const { wss, client, socket, req } = await openPair();
    const transport = new WsTransport(socket, req.socket);
    const messages: Buffer[] = [];
    client.on('message', (data: Buffer) => messages.push(data));
    transport.send(Buffer.from([1]));
    transport.close(4000, 'bye');
    transport.send(Buffer.from([2]));
    transport.sendParts(Buffer.from([3]), Buffer.alloc(5000));
    const [code] = (await once(client, 'close')) as [number];
    expect(code).toBe(4000);
    expect(messages.map((m) => [...m])).toEqual([[1]]);
    wss.close();
  });
});
