import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { escapeForLog, LogSampler } from '../../src/logging/log-sampler';
import { ManualClock } from '../../src/loop/clock';
import { wsErrorCloseCode } from '../../src/transport/ws-transport';
import { arenaGame } from '../../shared/games/arena';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import type { RoomClient } from '../../src/rooms/room-client';
import { RoomManager } from '../../src/rooms/room-manager';
import { defineRoomType, resolveRoomType } from '../../src/rooms/room-type';
import { isDrop } from '../../src/session/drop-policy';
import { Session, SessionState, type SessionHost } from '../../src/session/session';
import type { ServerTransport, TransportSink } from '../../src/transport/transport';

/** Just enough of a transport to watch what a session does with it. */
class FakeTransport implements ServerTransport {
  readonly kind = 'fake';
  isOpen = true;
  isClosing = false;
  bufferedAmount = 0;
  sent: Uint8Array[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;
  probes = 0;
  sink: TransportSink | undefined;
  bind(sink: TransportSink) {
    this.sink = sink;
  }
  send(b: Uint8Array) {
    this.sent.push(b);
  }
  sendParts(head: Uint8Array, body: Uint8Array) {
    this.sent.push(Buffer.concat([head, body]));
  }
  close(code: number, reason: string) {
    if (Buffer.byteLength(reason) > 123) throw new RangeError('The message must not be greater than 123 bytes');
    this.closedWith = [code, reason];
  }
  terminate() {
    this.terminated = true;
  }
  probe() {
    this.probes++;
  }
}

function session(maxQueuedBytes = 1000, rooms = {} as RoomManager) {
  const transport = new FakeTransport();
  const lines: { msg: string; code?: number }[] = [];
  const clock = new ManualClock();
  const host: SessionHost = {
    clock,
    rooms,
    messageRate: { perSecond: 100, burst: 100 },
    maxQueuedBytes,
    auth: undefined,
    draining: false,
    logSampler: new LogSampler(),
    sessionClosed: () => {},
  };
  const s = new Session(1, transport, host, pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) }));
  return { transport, session: s, lines, clock };
}

describe('Session', () => {
  it('closes the link it takes a seat from through RoomClient.supersede, whatever kind of client that is', () => {
    const log = pino({ level: 'silent' });
    const type = resolveRoomType(defineRoomType({ game: arenaGame }), {
      tickRate: 30,
      sendRate: 30,
      maxPlayers: 2,
      resumeWindowMs: 20_000,
    });
    const rooms = new RoomManager([type], { log });
    // Not a Session: the takeover must go through the interface, not a type check.
    const calls: string[] = [];
    const previous: RoomClient = {
      bufferedAmount: 0,
      send() {},
      close: (code, reason) => void calls.push(`close ${code} ${reason}`),
      supersede: (reason) => void calls.push(`supersede ${reason}`),
    };
    const seat = rooms.join(previous, 'arena', 'ann');
    const { transport, session: s } = session(1000, rooms);
    const join = { v: PROTOCOL_VERSION, roomType: 'arena', name: 'ann', resume: seat.slot.resumeToken };
    transport.sink!.message(encodeControl(MessageType.Join, join), true);
    expect(s.state).toBe(SessionState.Joined);
    expect(s.slot).toBe(seat.slot);
    expect(calls).toEqual(['supersede superseded: resumed on a new connection']);
  });

  it('binds itself to its transport, so the transport needs no protocol knowledge', () => {
    const { transport, session: s } = session();
    expect(transport.sink).toBe(s);
  });

  it('closes a client that stops reading (4008) instead of queueing without end', () => {
    const { transport, session: s, lines } = session(1000);
    s.send(Uint8Array.of(1));
    transport.bufferedAmount = 1001;
    s.send(Uint8Array.of(2));
    expect(transport.sent.length).toBe(1);
    expect(transport.closedWith?.[0]).toBe(CloseCode.TooSlow);
    expect(lines.some((l) => l.code === CloseCode.TooSlow)).toBe(true);
  });

  it('cuts an over-long close reason to fit a close frame', () => {
    const { transport, session: s } = session();
    s.close(CloseCode.MalformedMessage, '€'.repeat(100));
    expect(Buffer.byteLength(transport.closedWith![1])).toBeLessThanOrEqual(123);
    expect(s.state).toBe(SessionState.Closing);
  });

  it('remembers the code it closed with, and when, for /health and the closing deadline', () => {
    const { transport, session: s, clock } = session();
    clock.advance(1234);
    s.reject(CloseCode.Timeout, 'no JOIN within 5000 ms');
    s.terminate(); // a later terminate keeps the first code
    expect(transport.closedWith).toEqual([CloseCode.Timeout, 'no JOIN within 5000 ms']);
    expect(transport.terminated).toBe(true);
    expect(s.sentCode).toBe(CloseCode.Timeout);
    expect(s.closingSince).toBe(1234);
    const fresh = session();
    fresh.session.terminate();
    expect(fresh.session.sentCode).toBe(CloseCode.ConnectionLost);
  });

  it('probes every client on a schedule, talkative or not, and counts its answer as hearing from it', () => {
    const { transport, session: s, clock } = session();
    s.heartbeat(clock.now(), 5000);
    s.heartbeat(clock.now(), 5000);
    expect(transport.probes).toBe(1);
    clock.advance(4000);
    transport.sink!.message(Uint8Array.of(0x06, 0x81, 0xa1, 0x74, 0x00), true); // a PING: it talks
    clock.advance(1000);
    s.heartbeat(clock.now(), 5000);
    expect(transport.probes).toBe(2);
    clock.advance(100);
    transport.sink!.heard();
    expect([s.lastHeardAt, s.lastAnsweredAt]).toEqual([5100, 5100]);
  });

  it('calls a client that reads nothing too slow: backed up for the stall time, or no heartbeat answer while it sends', () => {
    const { transport, session: s, clock } = session();
    transport.bufferedAmount = 70_000;
    expect(s.readStall(clock.now(), 65_536, 8000, 15_000)).toBeUndefined();
    clock.advance(7999);
    expect(s.readStall(clock.now(), 65_536, 8000, 15_000)).toBeUndefined();
    transport.bufferedAmount = 0; // it drained: the clock restarts
    expect(s.readStall(clock.now(), 65_536, 8000, 15_000)).toBeUndefined();
    transport.bufferedAmount = 70_000;
    expect(s.readStall(clock.now(), 65_536, 8000, 15_000)).toBeUndefined();
    clock.advance(8000);
    expect(s.readStall(clock.now(), 65_536, 8000, 15_000)).toMatch(/over 65536 bytes queued unread for 8000 ms/);
    const quiet = session();
    quiet.clock.advance(15_001);
    quiet.transport.sink!.message(Uint8Array.of(0x06, 0x81, 0xa1, 0x74, 0x00), true); // talking is not reading
    expect(quiet.session.readStall(quiet.clock.now(), 65_536, 8000, 15_000)).toMatch(/no answer to heartbeats/);
  });

  it('counts protocol ping frames against the message rate', () => {
    const { transport, session: s } = session();
    for (let i = 0; i < 100; i++) transport.sink!.controlFrame();
    expect(s.state).toBe(SessionState.AwaitingJoin);
    transport.sink!.controlFrame();
    expect(transport.closedWith?.[0]).toBe(CloseCode.RateLimited);
  });

  it('takes a transport protocol error as the server closing with that code', () => {
    const { transport, session: s, lines } = session();
    transport.sink!.protocolError(CloseCode.MessageTooBig, 'Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(s.sentCode).toBe(CloseCode.MessageTooBig);
    expect(lines.some((l) => l.code === CloseCode.MessageTooBig)).toBe(true);
  });
});

describe('the drop policy: hold the seat, or free it', () => {
  it('frees the seat on a deliberate leave and on every kick', () => {
    expect(isDrop(undefined, CloseCode.Normal)).toBe(false);
    for (const kick of [
      CloseCode.MalformedMessage,
      CloseCode.RateLimited,
      CloseCode.RoomCrashed,
      CloseCode.GoingAway,
      CloseCode.MessageTooBig,
      CloseCode.Superseded,
    ]) {
      expect(isDrop(kick, CloseCode.ConnectionLost)).toBe(false);
    }
  });

  it('holds it when the network failed: no close frame, a closed tab, a heartbeat timeout, a stalled reader', () => {
    for (const peer of [CloseCode.ConnectionLost, CloseCode.GoingAway, 1005]) expect(isDrop(undefined, peer)).toBe(true);
    expect(isDrop(CloseCode.Timeout, CloseCode.ConnectionLost)).toBe(true);
    expect(isDrop(CloseCode.TooSlow, CloseCode.ConnectionLost)).toBe(true);
  });
});

describe('operator signals', () => {
  it('writes the first 5 warnings per address and kind in 10 s, then counts the rest', () => {
    const s = new LogSampler(5, 10_000);
    const verdicts = Array.from({ length: 8 }, () => s.take('1.2.3.4\0closing client', 0));
    expect(verdicts).toEqual([0, 0, 0, 0, 0, -1, -1, -1]);
    expect(s.take('5.6.7.8\0closing client', 0)).toBe(0); // another address is not held back
    expect(s.take('1.2.3.4\0closing client', 10_000)).toBe(3); // the next window reports the count
    s.prune(30_000);
    expect(s.size).toBe(0);
  });

  it('escapes control, bidi and separator characters in client text before it is logged', () => {
    expect(escapeForLog('ok\u202Eevil\n\u0000')).toBe('ok\\u{202e}evil\\u{a}\\u{0}');
    expect(escapeForLog('x'.repeat(300))).toHaveLength(201);
  });

  it("counts ws's protocol errors under the close code ws really sends", () => {
    const withStatus = (code: string, status: number) => Object.assign(new Error(code), { code, [Symbol('status-code')]: status });
    expect(wsErrorCloseCode(withStatus('WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008))).toBe(1008);
    expect(wsErrorCloseCode(withStatus('WS_ERR_INVALID_OPCODE', 1002))).toBe(1002);
    expect(wsErrorCloseCode(Object.assign(new Error('x'), { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }))).toBe(1009);
  });
});
