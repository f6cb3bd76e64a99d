import { WireError, WireErrorCode } from './wire-error';

/**
 * A bounds-checked cursor over received bytes. Every read checks the remaining length and throws
 * a {@link WireError} rather than returning garbage, because every byte from a peer is hostile.
 * `reset()` lets one reader serve every message, so decoding allocates nothing.
 */
export class ByteReader {
  private buf: Uint8Array = new Uint8Array(0);
  /** Read position, in bytes. */
  offset = 0;

  constructor(bytes?: Uint8Array) {
    if (bytes) this.reset(bytes);
  }

  /** Point the reader at new bytes (nothing is copied, nothing is allocated). */
  reset(bytes: Uint8Array): this {
    this.buf = bytes;
    this.offset = 0;
    return this;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) {
      throw new WireError(
        WireErrorCode.Truncated,
        `message truncated: ${what} needs ${n} byte(s) at offset ${this.offset}, ${this.remaining} left`,
      );
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.offset++];
  }

  // Little-endian reads by byte arithmetic: a DataView per message would allocate on every reset.
  u16(): number {
    this.need(2, 'u16');
    const b = this.buf;
    const o = this.offset;
    this.offset += 2;
    return b[o] | (b[o + 1] << 8);
  }

  i16(): number {
    this.need(2, 'i16');
    const b = this.buf;
    const o = this.offset;
    this.offset += 2;
    return ((b[o] | (b[o + 1] << 8)) << 16) >> 16;
  }

  u32(): number {
    this.need(4, 'u32');
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  }

  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, 'varint');
      const b = this.buf[this.offset++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (result > 0xffffffff) break;
        return result;
      }
    }
    throw new WireError(WireErrorCode.VarintOverflow, `varint at offset ${this.offset} exceeds 32 bits`);
  }

  svarint(): number {
    const z = this.uvarint();
    return (z >>> 1) ^ -(z & 1);
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n, `${n}-byte field`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** The rest of the message as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Strict decoding: a message must be consumed exactly. */
  expectEnd(what: string): void {
    if (this.offset !== this.buf.length) {
      throw new WireError(WireErrorCode.TrailingBytes, `${what}: ${this.remaining} trailing byte(s) after offset ${this.offset}`);
    }
  }
}
