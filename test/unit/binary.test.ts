import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof WireError ? err.code : `not a WireError: ${(err as Error).message}`;
  }
  return undefined;
}

describe('ByteWriter / ByteReader', () => {
  it('round-trips every field type', () => {
    fc.assert(
      fc.property(
        fc.nat(255),
        fc.nat(0xffff),
        fc.integer({ min: -0x8000, max: 0x7fff }),
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        (a, b, c, d, e, f) => {
          const w = new ByteWriter(4);
          w.u8(a);
          w.u16(b);
          w.i16(c);
          w.u32(d);
          w.uvarint(e);
          w.svarint(f);
          const r = new ByteReader(w.bytes());
          expect([r.u8(), r.u16(), r.i16(), r.u32(), r.uvarint(), r.svarint()]).toEqual([a, b, c, d, e, f]);
          r.expectEnd('test');
        },
      ),
    );
  });

  it('sizes varints by magnitude', () => {
    const len = (v: number, signed = false) => {
      const w = new ByteWriter();
      if (signed) w.svarint(v);
      else w.uvarint(v);
      return w.offset;
    };
    expect([len(0), len(127), len(128), len(16383), len(16384), len(0xffffffff)]).toEqual([1, 1, 2, 2, 3, 5]);
    expect([len(-1, true), len(63, true), len(-64, true), len(64, true)]).toEqual([1, 1, 1, 2]);
  });

  it('rejects truncation, trailing bytes and over-long varints with stable codes', () => {
    expect(codeOf(() => new ByteReader(Uint8Array.of(1)).u16())).toBe(WireErrorCode.Truncated);
    expect(codeOf(() => new ByteReader(Uint8Array.of(0x80, 0x80)).uvarint())).toBe(WireErrorCode.Truncated);
    expect(codeOf(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).uvarint())).toBe(WireErrorCode.VarintOverflow);
    // 5 bytes whose value exceeds 32 bits
    expect(codeOf(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f)).uvarint())).toBe(WireErrorCode.VarintOverflow);
    const r = new ByteReader(Uint8Array.of(1, 2));
    r.u8();
    expect(codeOf(() => r.expectEnd('msg'))).toBe(WireErrorCode.TrailingBytes);
  });

  it('grows, keeps earlier bytes, and names the setting to raise when over its cap', () => {
    const w = new ByteWriter(2, 64, 'options.example');
    for (let i = 0; i < 40; i++) w.u8(i);
    expect(Array.from(w.bytes())).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(() => {
      for (let i = 0; i < 40; i++) w.u8(i);
    }).toThrow(/raise options\.example/);
  });

  it('reads views without copying', () => {
    const src = Uint8Array.of(9, 8, 7, 6);
    const view = new ByteReader(src).bytes(3);
    src[1] = 42;
    expect(view[1]).toBe(42);
  });
});
