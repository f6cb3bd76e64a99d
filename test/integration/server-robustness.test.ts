import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import WebSocket from 'ws';
import { arenaGame } from '../../shared/games/arena';
import { CloseCode, MAX_CLOSE_REASON_BYTES } from '../../shared/protocol/close-codes';
import { decodeControlBody, encodeControl } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireServer } from '../../src/server/tickwire-server';
import { closeOf, rawSocket, startServer } from '../support/server-harness';

// Any uncaught exception in the server (it runs in this process) fails these tests.
const join = (body: Record<string, unknown>) =>
  encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'x', ...body });

describe('the server survives what would crash it', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('closes with a reason cut to 123 UTF-8 bytes when the reason quotes non-ASCII input', async () => {
    h = await startServer();
    const field = await rawSocket(h.url);
    const fieldClosed = closeOf(field);
    field.send(join({ ['€'.repeat(40)]: 1 })); // unknown JOIN field, quoted in the reason
    const roomType = await rawSocket(h.url);
    const roomTypeClosed = closeOf(roomType);
    roomType.send(join({ roomType: '€'.repeat(32) })); // unknown room type, quoted in the reason
    const [a, b] = await Promise.all([fieldClosed, roomTypeClosed]);
    expect([a.code, b.code]).toEqual([CloseCode.MalformedMessage, CloseCode.JoinRejected]);
    for (const r of [a, b]) {
      expect(Buffer.byteLength(r.reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
      expect(r.reason.endsWith('...')).toBe(true);
      // The ERROR message carries the whole sentence.
      const error = decodeControlBody(r.messages.find((m) => m[0] === MessageType.Error)!.subarray(1)) as { message: string };
      expect(error.message.length).toBeGreaterThan(r.reason.length);
    }
    // No socket was left half-closed: both connections end on the server too, and it still serves.
    await h.logged((l) => l.msg === 'connection closed', 2);
    expect(h.server.sessions.size).toBe(0);
    await h.client('after').connect();
  });

  it('refuses a connection over the limit with an ERROR, counts it, and survives its bad frames', async () => {
    h = await startServer({ maxConnections: 1, maxPayloadBytes: 256 });
    await h.client('first').connect();
    const refused = new WebSocket(h.url);
    const closed = closeOf(refused);
    refused.on('error', () => {});
    await once(refused, 'open');
    refused.send(new Uint8Array(4096)); // over maxPayload: ws raises an 'error' on the refused socket
    const result = await closed;
    expect(result.code).toBe(CloseCode.ServerFull);
    expect(result.messages.some((m) => m[0] === MessageType.Error)).toBe(true);
    expect(h.server.health().totals.closeCodes[CloseCode.ServerFull]).toBe(1);
    expect(h.lines.some((l) => l.msg === 'connection refused' && l.code === CloseCode.ServerFull)).toBe(true);
  });

  it('survives clients that reset during a refused upgrade', async () => {
    h = await startServer();
    const port = h.server.port;
    const resets = Array.from(
      { length: 100 },
      (_, i) =>
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.write(
              `GET ${i % 2 ? '/nope' : '/other'} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            );
            s.resetAndDestroy();
          });
          s.on('error', () => {});
          s.on('close', () => resolve());
        }),
    );
    await Promise.all(resets);
    // Still serving: a fresh client joins and gets a snapshot.
    const c = h.client('after');
    await c.connect();
    const snap = new Promise((resolve) => c.on('snapshot', resolve));
    h.tick();
    await snap;
  });

  it('rejects input seqs that would run past 2^32', async () => {
    h = await startServer();
    const ws = await rawSocket(h.url);
    const closed = closeOf(ws);
    const welcomed = new Promise((resolve) => ws.once('message', resolve));
    ws.send(join({}));
    await welcomed;
    // ackTick 0, firstSeq 0xffffffff (uvarint ff ff ff ff 0f), count 3, view lag 0, three 3-byte inputs
    ws.send(Uint8Array.of(MessageType.Input, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const r = await closed;
    expect(r.code).toBe(CloseCode.MalformedMessage);
    expect(r.reason).toMatch(/below 2\^32/);
  });

  it('shuts down even when a peer never answers the close handshake', async () => {
    h = await startServer({ closeTimeoutMs: 100 });
    // A raw TCP peer that upgrades, reads, and never sends a close frame back.
    const s = net.connect(h.server.port, '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'connect');
    s.write(
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await once(s, 'data'); // the 101 response
    await h.server.close(); // would wait ws's default 30 s (beyond this test's timeout) without closeTimeout
    expect(h.server.sessions.size).toBe(0);
    s.destroy();
  }, 10_000);

  it('drops a socket whose close handshake overruns, and counts the code it sent, not 1006', async () => {
    // ws's own close timer is set far beyond the test (60 s of real time), so only the server's
    // deadline on its injected clock can free this connection.
    h = await startServer({ closeTimeoutMs: 60_000, joinTimeoutMs: 1000 });
    const s = net.connect(h.server.port, '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'connect');
    s.write(
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await once(s, 'data'); // the 101 response
    const peerClosed = once(s, 'close');
    h.tick(40); // 1.33 s: no JOIN, so ERROR and a close frame, which this peer never answers
    await h.logged((l) => l.msg === 'closing client' && l.code === CloseCode.Timeout);
    h.tick(30 * 60); // 60 s more: still within closeTimeoutMs + 1 s grace
    expect(h.server.sessions.size).toBe(1);
    h.tick(60); // 2 s more: past the deadline
    await h.logged((l) => l.msg === 'connection closed');
    await peerClosed;
    expect(h.server.sessions.size).toBe(0);
    expect(h.lines.some((l) => l.msg === 'close handshake overran; dropping the link' && l.code === CloseCode.Timeout)).toBe(true);
    const codes = h.server.health().totals.closeCodes;
    expect(codes[CloseCode.Timeout]).toBe(1);
    expect(codes[CloseCode.ConnectionLost]).toBeUndefined();
  });

  it('returns one shutdown to concurrent close() calls', async () => {
    h = await startServer();
    await h.client('a').connect();
    const first = h.server.close();
    const second = h.server.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(h.lines.filter((l) => l.msg === 'stopped')).toHaveLength(1);
    expect(h.server.sessions.size).toBe(0);
  });

  it('refuses an unread cap that would cut off clients the backpressure threshold only slows', () => {
    const roomTypes = [defineRoomType({ game: arenaGame })];
    expect(() => new TickwireServer({ roomTypes, maxBufferedBytes: 64 * 1024, maxQueuedBytes: 100 * 1024 })).toThrow(
      /maxQueuedBytes \(102400\) must be at least twice maxBufferedBytes \(65536\)/,
    );
    // Raising only the threshold raises the default cap with it.
    expect(new TickwireServer({ roomTypes, maxBufferedBytes: 1 << 20, logger: pino({ level: 'silent' }) }).maxQueuedBytes).toBe(4 << 20);
  });
});
