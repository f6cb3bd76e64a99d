import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { WireError } from '../../shared/binary/wire-error';
import { arenaEntitySchema, arenaInputCodec } from '../../shared/games/arena';
import { decodeControlBody, encodeControl, parseJoin, parsePing, parseTokenRefresh } from '../../shared/protocol/control-messages';
import { readInputHeader } from '../../shared/protocol/input-message';
import { MessageType } from '../../shared/protocol/message-types';
import { normalizePlayerName } from '../../shared/protocol/player-name';
import { checkChatText, parseChatHistory, parseChatSend, parseMute, parseNoticeRead } from '../../shared/protocol/chat-messages';
import { readDetachedIds, readSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { EntityTable } from '../../shared/replication/entity-table';
import { DeltaCodec } from '../../shared/replication/delta-codec';

/**
 * Every decoder a peer's bytes reach, fed random bytes: each must give a value or throw a
 * WireError, never anything else (a TypeError or RangeError would be a crash in waiting).
 */
function onlyWireErrors(decode: (bytes: Uint8Array) => unknown): void {
  const check = (bytes: Uint8Array) => {
    try {
      decode(bytes);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(bytes)),
    { numRuns: 3000 },
  );
}

/** Valid messages with a few bytes flipped, cut or appended: the near misses random bytes rarely hit. */
function mutations(valid: Uint8Array) {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(valid.length),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([flips, cut, extra]) => {
      const b = valid.slice();
      for (const [at, v] of flips) b[at] = v;
      const out = new Uint8Array(cut + extra.length);
      out.set(b.subarray(0, cut));
      out.set(extra, cut);
      return out;
    });
}

describe('every decoder, fuzzed: a value or a WireError, nothing else', () => {
  it('control bodies: JOIN, PING and TOKEN_REFRESH, from random bytes and from mutated valid ones', () => {
    onlyWireErrors((b) => parseJoin(decodeControlBody(b)));
    onlyWireErrors((b) => parsePing(decodeControlBody(b)));
    onlyWireErrors((b) => parseTokenRefresh(decodeControlBody(b)));
    const refresh = encodeControl(MessageType.TokenRefresh, { token: 'x.y.z' }).subarray(1);
    fc.assert(
      fc.property(mutations(refresh), (b) => {
        try {
          expect(typeof parseTokenRefresh(decodeControlBody(b)).token).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
    const join = encodeControl(MessageType.Join, { v: 2, roomType: 'arena', name: 'ada', token: 'x.y.z', resume: 'abc' }).subarray(1);
    fc.assert(
      fc.property(mutations(join), (b) => {
        try {
          parseJoin(decodeControlBody(b));
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('chat bodies (CHAT_SEND, CHAT_HISTORY, MUTE, NOTICE_READ), from random and mutated bytes; chat text from any string', () => {
    for (const parse of [parseChatSend, parseChatHistory, parseMute, parseNoticeRead]) onlyWireErrors((b) => parse(decodeControlBody(b)));
    const send = encodeControl(MessageType.ChatSend, { ch: 'lobby', text: 'gg all', ref: 7 }).subarray(1);
    fc.assert(
      fc.property(mutations(send), (b) => {
        try {
          const m = parseChatSend(decodeControlBody(b));
          expect(typeof m.text).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
    // The text rules never throw: a line is either shown (non-empty) or refused with a reason.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 700 }), (s) => {
        const r = checkChatText(s);
        if (r.problem === undefined) expect(r.text.length).toBeGreaterThan(0);
        else expect(r.problem.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('names, from any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        try {
          const name = normalizePlayerName(s);
          expect(name.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('INPUT headers and their inputs', () => {
    const header = { ackTick: 0, firstSeq: 0, count: 0, viewLag16: 0 };
    const scratch = arenaInputCodec.create();
    onlyWireErrors((b) => {
      const r = new ByteReader(b);
      const h = readInputHeader(r, arenaInputCodec.byteLength, header);
      for (let i = 0; i < h.count; i++) arenaInputCodec.read(r, scratch);
    });
  });

  it('SNAPSHOTs as the SDK reads them: header, detached list, entities, full and delta', () => {
    const codec = new DeltaCodec(arenaEntitySchema);
    const table = new EntityTable(arenaEntitySchema);
    // A baseline of a few players, as a delta would be decoded against.
    const baseline = new EntityTable(arenaEntitySchema);
    for (let id = 1; id <= 5; id++) baseline.set(baseline.push(id, 0), 0, id * 100);
    const ids: number[] = [];
    onlyWireErrors((b) => {
      const r = new ByteReader(b);
      const h = readSnapshotHeader(r, newSnapshotHeader());
      readDetachedIds(r, ids);
      codec.decode(r, h.baselineTick === 0 ? null : baseline, table);
    });
  });
});
