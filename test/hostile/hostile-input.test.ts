import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes';
import { decodeControlBody, encodeControl } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { Button } from '../../shared/games/arena';
import { closeOf, flush, nextEvent, rawSocket, startServer } from '../support/server-harness';

const join = (extra: Record<string, unknown> = {}) =>
  encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'mallory', ...extra });

/** Open a raw socket, optionally join, then send `bytes` and report how the server closed it. */
async function offend(url: string, opts: { joinFirst?: boolean; send: (ws: WebSocket) => void }) {
  const ws = await rawSocket(url);
  const closed = closeOf(ws);
  if (opts.joinFirst) {
    const welcomed = new Promise((resolve) => ws.once('message', resolve));
    ws.send(join());
    await welcomed;
  }
  opts.send(ws);
  const result = await closed;
  const errors = result.messages.filter((m) => m[0] === MessageType.Error).map((m) => decodeControlBody(m.subarray(1)));
  return { ...result, errors };
}

describe('hostile input', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  const cases: { name: string; joinFirst?: boolean; send: (ws: WebSocket) => void; code: number; reason: RegExp }[] = [
    {
      name: 'an unknown message type',
      send: (ws) => ws.send(Uint8Array.of(0x7f, 1, 2)),
      code: CloseCode.MalformedMessage,
      reason: /unknown message type 0x7f/,
    },
    { name: 'an empty message', send: (ws) => ws.send(new Uint8Array(0)), code: CloseCode.MalformedMessage, reason: /truncated/ },
    {
      name: 'a JOIN that is not msgpack',
      send: (ws) => ws.send(Uint8Array.of(MessageType.Join, 0x82, 0xa1)),
      code: CloseCode.MalformedMessage,
      reason: /not valid msgpack/,
    },
    {
      name: 'a JOIN with trailing bytes',
      send: (ws) => ws.send(Uint8Array.from([...join(), 0])),
      code: CloseCode.MalformedMessage,
      reason: /not valid msgpack/,
    },
    { name: 'a JOIN with a bad name', send: (ws) => ws.send(join({ name: '' })), code: CloseCode.MalformedMessage, reason: /JOIN\.name/ },
    {
      name: 'another protocol version',
      send: (ws) => ws.send(join({ v: PROTOCOL_VERSION + 1 })),
      code: CloseCode.ProtocolMismatch,
      reason: new RegExp(`version ${PROTOCOL_VERSION + 1} is not supported.*version ${PROTOCOL_VERSION}`),
    },
    {
      name: 'an unknown room type',
      send: (ws) => ws.send(join({ roomType: 'chess' })),
      code: CloseCode.JoinRejected,
      reason: /unknown room type "chess"/,
    },
    {
      name: 'INPUT before JOIN',
      send: (ws) => ws.send(Uint8Array.of(MessageType.Input, 0, 1, 1, 0, 0, 0, 0)),
      code: CloseCode.UnexpectedMessage,
      reason: /INPUT before JOIN/,
    },
    { name: 'a second JOIN', joinFirst: true, send: (ws) => ws.send(join()), code: CloseCode.UnexpectedMessage, reason: /JOIN sent twice/ },
    {
      name: 'an INPUT with trailing bytes',
      joinFirst: true,
      send: (ws) => ws.send(Uint8Array.of(MessageType.Input, 0, 1, 1, 0, 0, 0, 0, 9)),
      code: CloseCode.MalformedMessage,
      reason: /must have 3 payload bytes, has 4/,
    },
    {
      name: 'an INPUT claiming 200 inputs',
      joinFirst: true,
      send: (ws) => ws.send(Uint8Array.of(MessageType.Input, 0, 1, 200)),
      code: CloseCode.MalformedMessage,
      reason: /count 200 is outside/,
    },
    { name: 'a text frame', send: (ws) => ws.send('hello'), code: CloseCode.UnsupportedData, reason: /binary/ },
    {
      name: 'ACK before JOIN',
      send: (ws) => ws.send(Uint8Array.of(MessageType.Ack, 5)),
      code: CloseCode.UnexpectedMessage,
      reason: /ACK before JOIN/,
    },
    {
      name: 'an ACK with trailing bytes',
      joinFirst: true,
      send: (ws) => ws.send(Uint8Array.of(MessageType.Ack, 5, 0)),
      code: CloseCode.MalformedMessage,
      reason: /ACK.*trailing/,
    },
    {
      name: 'a JOIN with a non-string codec',
      send: (ws) => ws.send(join({ codec: 42 })),
      code: CloseCode.MalformedMessage,
      reason: /JOIN\.codec/,
    },
  ];

  for (const c of cases) {
    it(`closes a client that sends ${c.name} with ${c.code}, an ERROR and a log line`, async () => {
      h = await startServer();
      const result = await offend(h.url, c);
      expect(result.code).toBe(c.code);
      expect(result.reason).toMatch(c.reason);
      expect(result.errors).toEqual([{ code: c.code, message: expect.stringMatching(c.reason) }]);
      expect(h.lines.some((l) => l.msg === 'closing client' && l.code === c.code && c.reason.test(String(l.reason)))).toBe(true);
    });
  }

  it('closes an oversized frame with 1009 (ws maxPayload) and logs it', async () => {
    h = await startServer({ maxPayloadBytes: 512 });
    const result = await offend(h.url, { send: (ws) => ws.send(new Uint8Array(513)) });
    expect(result.code).toBe(CloseCode.MessageTooBig);
    expect(h.lines.some((l) => l.wsError === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && l.code === CloseCode.MessageTooBig)).toBe(true);
    // /health counts the code ws sent, not the 1006 its dropped socket reports.
    await h.logged((l) => l.msg === 'connection closed');
    expect(h.server.health().totals.closeCodes).toEqual({ [CloseCode.MessageTooBig]: 1 });
  });

  it('closes a flooding client with 4003', async () => {
    h = await startServer({ messagesPerSecond: 50, messageBurst: 100 });
    const ping = encodeControl(MessageType.Ping, { t: 0 });
    const result = await offend(h.url, {
      joinFirst: true,
      send: (ws) => {
        for (let i = 0; i < 150; i++) ws.send(ping);
      },
    });
    expect(result.code).toBe(CloseCode.RateLimited);
    expect(result.reason).toMatch(/at most 50 messages\/s/);
    expect(result.errors).toEqual([{ code: CloseCode.RateLimited, message: result.reason }]);
    expect(h.lines.some((l) => l.msg === 'closing client' && l.code === CloseCode.RateLimited)).toBe(true);
    // Exactly the burst was answered before the cut.
    expect(result.messages.filter((m) => m[0] === MessageType.Pong).length).toBe(100 - 1);
  });

  it('times out a client that never joins, and a dead one that answers no heartbeat', async () => {
    h = await startServer({ joinTimeoutMs: 1000, idleTimeoutMs: 2000 });
    const joined = async (autoPong: boolean) => {
      const ws = await rawSocket(h.url, { autoPong });
      const closed = closeOf(ws);
      const welcomed = new Promise((resolve) => ws.once('message', resolve));
      ws.send(join());
      await welcomed;
      return { ws, closed };
    };
    const lurker = await rawSocket(h.url);
    const lurkerClosed = closeOf(lurker);
    const dead = await joined(false); // silent, and its WebSocket layer answers no pings
    const sleeper = await joined(true); // silent, but answers pings, like a background tab
    let deadPings = 0;
    dead.ws.on('ping', () => deadPings++);
    const sleeperConn = [...h.server.sessions].find((c) => c.slot?.id === 2)!;
    // Resolves when the server hears the sleeper's pong: a barrier that sends no app message.
    const heardSleeper = () =>
      new Promise<void>((resolve) => {
        const original = sleeperConn.heard.bind(sleeperConn);
        sleeperConn.heard = () => {
          original();
          sleeperConn.heard = original;
          resolve();
        };
      });
    // Timeouts are checked every 250 ms, so allow one check period past each limit.
    let heard = heardSleeper();
    h.tick(40); // 1.33 s: the lurker is out, a heartbeat ping has gone to the silent ones
    expect(await lurkerClosed).toMatchObject({ code: CloseCode.Timeout, reason: 'no JOIN within 1000 ms' });
    await heard;
    for (let i = 0; i < 5; i++) {
      heard = heardSleeper();
      h.tick(30); // another second each time: 6.33 s in all, three idle timeouts
      await heard;
    }
    const deadResult = await dead.closed;
    // The dead peer is dropped without a handshake (1006 on its side), after an ERROR and a log line.
    expect(deadResult.messages.filter((m) => m[0] === MessageType.Error).map((m) => decodeControlBody(m.subarray(1)))).toEqual([
      { code: CloseCode.Timeout, message: 'no message or heartbeat for 2000 ms' },
    ]);
    expect(
      h.lines.some((l) => l.msg === 'closing client' && l.code === CloseCode.Timeout && l.reason === 'no message or heartbeat for 2000 ms'),
    ).toBe(true);
    expect(h.lines.some((l) => l.msg === 'closing client' && l.code === CloseCode.Timeout && l.reason === 'no JOIN within 1000 ms')).toBe(
      true,
    );
    expect(deadPings).toBeGreaterThan(0);
    expect(sleeper.ws.readyState).toBe(1);
    // The dead one's seat is detached (held for a resume), not freed: a timeout is a drop.
    const room = h.server.rooms.rooms.values().next().value!;
    expect(room.players.map((p) => [p.id, p.connected])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('refuses connections over the limit with 4007', async () => {
    h = await startServer({ maxConnections: 1 });
    await h.client('first').connect();
    const second = h.client('second');
    await expect(second.connect()).rejects.toMatchObject({ code: CloseCode.ServerFull });
  });

  it('keeps every other client at full rate while offenders are thrown out', async () => {
    h = await startServer();
    const bystander = h.client('bystander');
    const welcome = await bystander.connect();
    // Offenders join the bystander's room, then misbehave one per tick while the room runs.
    const offenders = await Promise.all(
      cases
        .filter((c) => c.joinFirst)
        .map(async (c) => {
          const ws = await rawSocket(h.url);
          const closed = closeOf(ws);
          const welcomed = new Promise<Buffer>((resolve) => ws.once('message', resolve));
          ws.send(join());
          const w = decodeControlBody((await welcomed).subarray(1)) as { roomId: string };
          expect(w.roomId).toBe(welcome.roomId);
          return { ws, closed, c };
        }),
    );
    const input = { buttons: Button.Right, aim: 0 };
    for (let t = 1; t <= 30; t++) {
      const offender = offenders[t - 1];
      if (offender) offender.c.send(offender.ws);
      // The bystander's input of this tick must be applied on this tick, offences or not.
      const seq = bystander.sendInput(input);
      await flush(bystander);
      const acked = nextEvent(bystander, 'snapshot', (tick, ack) => tick === t && ack === seq);
      h.tick();
      await acked;
    }
    for (const o of offenders) expect((await o.closed).code).toBe(o.c.code);
    expect(bystander.stats.snapshots).toBe(30);
    expect(bystander.stats.mispredictions).toBe(0);
    expect(bystander.isOpen).toBe(true);
    await h.leaves(offenders.length);
    const announced = nextEvent(bystander, 'snapshot');
    h.tick();
    await announced;
    expect(bystander.players.size).toBe(1); // every offender's departure was announced
    const byCode: Record<number, number> = {};
    for (const o of offenders) byCode[o.c.code] = (byCode[o.c.code] ?? 0) + 1;
    expect(byCode).toEqual({ [CloseCode.UnexpectedMessage]: 1, [CloseCode.MalformedMessage]: 3 });
    expect(h.server.health().totals.closeCodes).toMatchObject(byCode);
  });
});
