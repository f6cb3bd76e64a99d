import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { WsTransport } from '../../src/transport/ws-transport';

describe('WsTransport.sendParts', () => {
  it('delivers a header and a shared body as one message, the body never copied', async () => {
    const wss = new WebSocketServer({ port: 0 });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    const accepted = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const [socket] = (await accepted) as [WebSocket];
    await once(client, 'open');
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
});
