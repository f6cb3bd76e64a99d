import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import {
  decodeControlBody,
  encodeControl,
  MAX_TOKEN_LENGTH,
  parseJoin,
  parsePing,
  parseTokenRefresh,
} from '../../shared/protocol/control-messages';
import { MAX_INPUTS_PER_MESSAGE, readInputHeader, writeInputHeader } from '../../shared/protocol/input-message';
import { CONTROL_RANGES, isControlType, MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { readSnapshotHeader, writeSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { arenaInputCodec, Button, type ArenaInput } from '../../shared/games/arena';
import { nameKey, normalizePlayerName, uniqueName } from '../../shared/protocol/player-name';

function wireCode(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof WireError) return err.code;
    throw err;
  }
}

describe('message type table', () => {
  it('gives every message a distinct one-byte code, control in 0x01-0x0f or 0x20-0x2f and hot in 0x10-0x1f', () => {
    const codes = Object.values(MessageType);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toBeLessThan(256);
    const hot = [MessageType.Input, MessageType.Snapshot, MessageType.Ack, MessageType.Globals];
    for (const c of codes) {
      const inRange = CONTROL_RANGES.some(([lo, hi]) => c >= lo && c <= hi);
      expect(isControlType(c), `0x${c.toString(16)}`).toBe(inRange);
      expect(isControlType(c), `0x${c.toString(16)}`).toBe(!(hot as number[]).includes(c));
      if (!inRange) expect(c >= 0x10 && c <= 0x1f).toBe(true);
    }
    expect(MessageType.TokenRefresh).toBe(0x20);
    expect([
      isControlType(0x00),
      isControlType(0x0f),
      isControlType(0x10),
      isControlType(0x1f),
      isControlType(0x2f),
      isControlType(0x30),
    ]).toEqual([false, true, false, false, true, false]);
  });
});

describe('TOKEN_REFRESH', () => {
  const parse = (bytes: Uint8Array) => parseTokenRefresh(decodeControlBody(bytes.subarray(1)));
  it('round-trips a token and refuses every other shape with a WireError naming the field', () => {
    expect(parse(encodeControl(MessageType.TokenRefresh, { token: 'a.b.c' }))).toEqual({ token: 'a.b.c' });
    for (const body of [
      {},
      { token: '' },
      { token: 7 },
      { token: 'x'.repeat(MAX_TOKEN_LENGTH + 1) },
      { token: 'a', extra: 1 },
      'a.b.c',
      null,
    ])
      expect(wireCode(() => parse(encodeControl(MessageType.TokenRefresh, body)))).toBe(WireErrorCode.BadControl);
    expect(parse(encodeControl(MessageType.TokenRefresh, { token: 'x'.repeat(MAX_TOKEN_LENGTH) })).token.length).toBe(MAX_TOKEN_LENGTH);
    // Truncated msgpack: a map cut off inside its first key.
    expect(wireCode(() => parse(Uint8Array.of(MessageType.TokenRefresh, 0x81, 0xa5)))).toBe(WireErrorCode.BadControl);
  });
});

describe('INPUT', () => {
  it('round-trips a header and its inputs, masking unknown buttons', () => {
    const w = new ByteWriter();
    const inputs: ArenaInput[] = [
      { buttons: Button.Up | Button.Fire, aim: 123 },
      { buttons: 0xff, aim: 65535 },
    ];
    writeInputHeader(w, 77, 1000, inputs.length, 37.6);
    for (const i of inputs) arenaInputCodec.write(w, i);
    const r = new ByteReader(w.bytes());
    expect(r.u8()).toBe(MessageType.Input);
    expect(readInputHeader(r, arenaInputCodec.byteLength, { ackTick: 0, firstSeq: 0, count: 0, viewLag16: 0 })).toEqual({
      ackTick: 77,
      firstSeq: 1000,
      count: 2,
      viewLag16: 38,
    });
    const out = arenaInputCodec.create();
    arenaInputCodec.read(r, out);
    expect(out).toEqual({ buttons: Button.Up | Button.Fire, aim: 123 });
    arenaInputCodec.read(r, out);
    expect(out).toEqual({ buttons: 0b11111, aim: 65535 });
    r.expectEnd('input');
  });

  it('masks unknown buttons on the read side too: a hostile client writes its own bytes', () => {
    // Bytes no SDK would write: every button bit set, as a raw client could send them.
    const r = new ByteReader(Uint8Array.of(0xff, 0x34, 0x12));
    const out = arenaInputCodec.create();
    arenaInputCodec.read(r, out);
    expect(out.buttons).toBe(Button.Up | Button.Down | Button.Left | Button.Right | Button.Fire);
    expect(out.buttons & ~0b11111).toBe(0);
  });

  it('rejects bad counts, seq 0, a view lag over the cap, and payloads of the wrong length', () => {
    const header = (ack: number, seq: number, count: number, payload: number, lag = 0) => {
      const w = new ByteWriter();
      w.uvarint(ack);
      w.uvarint(seq);
      w.u8(count);
      w.uvarint(lag);
      for (let i = 0; i < payload; i++) w.u8(0);
      return () => readInputHeader(new ByteReader(w.bytes()), 3, { ackTick: 0, firstSeq: 0, count: 0, viewLag16: 0 });
    };
    expect(wireCode(header(0, 1, 1, 3, 0x10000))).toBe(WireErrorCode.OutOfRange);
    expect(wireCode(header(0, 1, 1, 3))).toBe('ok');
    expect(wireCode(header(0, 1, 0, 0))).toBe(WireErrorCode.OutOfRange);
    expect(wireCode(header(0, 1, MAX_INPUTS_PER_MESSAGE + 1, 27))).toBe(WireErrorCode.OutOfRange);
    expect(wireCode(header(0, 0, 1, 3))).toBe(WireErrorCode.OutOfRange);
    expect(wireCode(header(0, 1, 2, 5))).toBe(WireErrorCode.Truncated);
    expect(wireCode(header(0, 1, 1, 4))).toBe(WireErrorCode.TrailingBytes);
    expect(() => writeInputHeader(new ByteWriter(), 0, 1, 0)).toThrow(RangeError);
  });
});

describe('SNAPSHOT header', () => {
  it('round-trips tick, baseline, ack seq and input lead', () => {
    for (const [baselineTick, lead, back] of [
      [0, Number.NaN, Number.NaN],
      [123450, 37.4, 37],
      [123450, -12.6, -13],
      [1, 0, 0],
      [1, -1e9, -60000],
    ]) {
      const w = new ByteWriter();
      writeSnapshotHeader(w, 123456, baselineTick, 789, lead);
      const r = new ByteReader(w.bytes());
      expect(r.u8()).toBe(MessageType.Snapshot);
      expect(readSnapshotHeader(r, newSnapshotHeader())).toEqual({ tick: 123456, baselineTick, ackSeq: 789, inputLeadMs: back });
    }
  });

  it('refuses a baseline at or before tick 0', () => {
    const w = new ByteWriter();
    w.u8(MessageType.Snapshot);
    w.uvarint(5);
    w.uvarint(5);
    w.uvarint(0);
    w.uvarint(0);
    const r = new ByteReader(w.bytes());
    r.u8();
    expect(() => readSnapshotHeader(r, newSnapshotHeader())).toThrow(/baseline 5 ticks back from tick 5/);
  });
});

describe('control messages', () => {
  const body = (type: number, msg: unknown) => {
    const bytes = encodeControl(type as never, msg);
    expect(bytes[0]).toBe(type);
    return bytes.subarray(1);
  };

  it('round-trips a JOIN and validates it', () => {
    const join = { v: PROTOCOL_VERSION, roomType: 'arena', name: '  Ada  ' };
    expect(parseJoin(decodeControlBody(body(MessageType.Join, join)))).toEqual({ v: PROTOCOL_VERSION, roomType: 'arena', name: 'Ada' });
  });

  it.each([
    ['not a map', [1, 2]],
    ['missing name', { v: 1, roomType: 'arena' }],
    ['empty name', { v: 1, roomType: 'arena', name: '   ' }],
    ['long name', { v: 1, roomType: 'arena', name: 'x'.repeat(25) }],
    ['control characters', { v: 1, roomType: 'arena', name: 'a\u0007b' }],
    ['non-integer version', { v: 1.5, roomType: 'arena', name: 'a' }],
    ['unknown field', { v: 1, roomType: 'arena', name: 'a', admin: true }],
    ['empty room type', { v: 1, roomType: '', name: 'a' }],
  ])('rejects a JOIN with %s', (_, msg) => {
    expect(wireCode(() => parseJoin(decodeControlBody(body(MessageType.Join, msg))))).toBe(WireErrorCode.BadControl);
  });

  it('rejects msgpack with trailing bytes or truncation', () => {
    const good = body(MessageType.Ping, { t: 5 });
    expect(parsePing(decodeControlBody(good))).toEqual({ t: 5 });
    expect(wireCode(() => decodeControlBody(Uint8Array.from([...good, 0x01])))).toBe(WireErrorCode.BadControl);
    expect(wireCode(() => decodeControlBody(good.subarray(0, good.length - 1)))).toBe(WireErrorCode.BadControl);
    expect(wireCode(() => parsePing(decodeControlBody(body(MessageType.Ping, { t: 'x' }))))).toBe(WireErrorCode.BadControl);
  });
});

describe('close reasons', () => {
  it('cut to 123 UTF-8 bytes on a code-point boundary, short ones untouched', async () => {
    const { clampCloseReason, describeClose } = await import('../../shared/protocol/close-codes');
    expect(clampCloseReason('short reason')).toBe('short reason');
    for (const s of ['a'.repeat(200), '€'.repeat(100), '😀'.repeat(60), `${'a'.repeat(119)}😀😀`]) {
      const r = clampCloseReason(s);
      expect(Buffer.byteLength(r)).toBeLessThanOrEqual(123);
      expect(r.endsWith('...')).toBe(true);
      expect(r).not.toMatch(/\uFFFD/);
      expect(s.startsWith(r.slice(0, -3))).toBe(true);
    }
    expect(clampCloseReason('€'.repeat(41))).toBe('€'.repeat(41)); // exactly 123 bytes fits
    expect(describeClose(4005, 'no JOIN within 5000 ms')).toBe('4005 Timeout: no JOIN within 5000 ms');
    expect(describeClose(1006, '')).toMatch(/^1006 ConnectionLost: /);
  });
});

describe('SNAPSHOT header written in place', () => {
  it('matches the ByteWriter encoding byte for byte, at the length it predicts', async () => {
    const fc = (await import('fast-check')).default;
    const { leadCode, snapshotHeaderLength, writeSnapshotHeaderAt } = await import('../../shared/protocol/snapshot-message');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.nat(0xffffffff),
        fc.nat(1000),
        fc.integer({ min: -70000, max: 70000 }),
        (tick, ack, back, lead) => {
          const base = back < tick ? tick - back : 0;
          const w = new ByteWriter();
          writeSnapshotHeader(w, tick, base, ack, lead);
          const buf = new Uint8Array(snapshotHeaderLength(tick, base, ack, leadCode(lead)));
          expect(writeSnapshotHeaderAt(buf, tick, base, ack, leadCode(lead))).toBe(buf.length);
          expect(buf).toEqual(w.bytes());
        },
      ),
    );
  });
});

describe('player names', () => {
  it('normalizes: NFKC, spaces folded, trimmed; counts length in characters as a reader sees them', () => {
    expect(normalizePlayerName('  ＡＤＡ   the\tgreat ')).toBe('ADA the great');
    expect(normalizePlayerName('👨‍👩‍👧‍👦'.repeat(24))).toHaveLength('👨‍👩‍👧‍👦'.length * 24); // 24 family emoji: 24 characters
    expect(normalizePlayerName('Nguyễn')).toBe('Nguyễn');
    expect(() => normalizePlayerName('x'.repeat(25))).toThrow(/1-24 characters/);
  });

  it.each([
    ['a bidi override', 'ad\u202Emin'],
    ['a zero-width space', 'a\u200Bb'],
    ['a C1 control', 'a\u0085b'],
    ['a private-use character', 'a\uE000'],
    ['a lone surrogate', 'a\uD800'],
    ['only a Hangul filler', '\u3164\u3164'],
    ['only combining marks', '\u0301\u0301'],
    ['only a zero-width joiner', '\u200D'],
    ['a stack of combining marks', `Z${'\u0336\u0337\u0338\u0335'}algo`],
  ])('refuses %s', (_what, name) => {
    expect(() => normalizePlayerName(name)).toThrow(WireError);
  });

  it('makes a taken name unique in a room, case- and width-blind, within the length cap', () => {
    const taken = new Set(['ada', 'ada 2', 'x'.repeat(24)]);
    expect(uniqueName('Bo', (k) => taken.has(k))).toBe('Bo');
    expect(uniqueName('ADA', (k) => taken.has(k))).toBe('ADA 3');
    expect(uniqueName('x'.repeat(24), (k) => taken.has(k))).toBe(`${'x'.repeat(22)} 2`);
    expect(nameKey('ＡＤＡ')).toBe('ada');
  });
});
