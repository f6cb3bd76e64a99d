import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes';
import { ManualClock } from '../../src/loop/clock';
import type { RoomManager } from '../../src/rooms/room-manager';
import { ConnectionState, WsConnection, type ConnectionHost } from '../../src/transport/ws-connection';

/** Just enough of a ws socket to watch what a connection does with it. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  binaryType = 'nodebuffer';
  sent: Uint8Array[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;
  send(b: Uint8Array) {
    this.sent.push(b);
  }
  close(code: number, reason: string) {
    if (Buffer.byteLength(reason) > 123) throw new RangeError('The message must not be greater than 123 bytes');
    this.closedWith = [code, reason];
  }
  terminate() {
    this.terminated = true;
  }
  ping() {}
}

function connection(maxQueuedBytes = 1000) {
  const socket = new FakeSocket();
  const lines: { msg: string; code?: number }[] = [];
  const host: ConnectionHost = {
    clock: new ManualClock(),
    rooms: {} as RoomManager,
    messageRate: { perSecond: 100, burst: 100 },
    maxQueuedBytes,
    connectionClosed: () => {},
  };
  const conn = new WsConnection(1, socket as unknown as WebSocket, host, pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) }));
  return { socket, conn, lines };
}

describe('WsConnection', () => {
  it('closes a client that stops reading (4008) instead of queueing without end', () => {
    const { socket, conn, lines } = connection(1000);
    conn.send(Uint8Array.of(1));
    socket.bufferedAmount = 1001;
    conn.send(Uint8Array.of(2));
    expect(socket.sent.length).toBe(1);
    expect(socket.closedWith?.[0]).toBe(CloseCode.TooSlow);
    expect(lines.some((l) => l.code === CloseCode.TooSlow)).toBe(true);
  });

  it('terminates rather than staying half-closed if the close itself throws', () => {
    const { socket, conn } = connection();
    socket.close = () => {
      throw new RangeError('boom');
    };
    conn.close(4001, 'x');
    expect(socket.terminated).toBe(true);
    expect(conn.state).toBe(ConnectionState.Closing);
  });

  it('terminates instead of waiting on a handshake ws has no timer for (socket already closing)', () => {
    const { socket, conn } = connection();
    socket.readyState = 2; // CLOSING: the peer half-closed, or its close frame crossed ours
    conn.close(CloseCode.GoingAway, 'server shutting down');
    expect(socket.terminated).toBe(true);
    expect(socket.closedWith).toBeUndefined();
    expect(conn.sentCode).toBe(CloseCode.GoingAway);
  });

  it('remembers the code it closed with, and when, for /health and the closing deadline', () => {
    const { socket, conn } = connection();
    (conn as unknown as { host: { clock: ManualClock } }).host.clock.advance(1234);
    conn.reject(CloseCode.Timeout, 'no JOIN within 5000 ms');
    conn.terminate(); // a later terminate keeps the first code
    expect(socket.closedWith).toEqual([CloseCode.Timeout, 'no JOIN within 5000 ms']);
    expect(socket.terminated).toBe(true);
    expect(conn.sentCode).toBe(CloseCode.Timeout);
    expect(conn.closingSince).toBe(1234);
    const fresh = connection();
    fresh.conn.terminate();
    expect(fresh.conn.sentCode).toBe(CloseCode.ConnectionLost);
  });
});
