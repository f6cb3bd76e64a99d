/**
 * A growable write buffer with a cursor. One writer is reused for every message of a kind, so
 * steady-state encoding allocates nothing; `bytes()` returns a view (subarray), not a copy.
 *
 * Growth doubles the capacity. `maxBytes` bounds it, and overflowing says which setting to raise.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Write position, in bytes. */
  offset = 0;
  /**
   * @param initialBytes starting capacity (default 1 KiB)
   * @param maxBytes hard cap on growth (default 1 MiB); `label` names it in the overflow error
   */
  constructor(
    initialBytes = 1024,
    readonly maxBytes = 1 << 20,
    readonly label = 'ByteWriter maxBytes',
  ) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Forget the contents; capacity is kept. */
  reset(): this {
    this.offset = 0;
    return this;
  }

  /** The internal buffer, for writers that fill it directly after {@link ensure} (BitWriter). */
  get buffer(): Uint8Array {
    return this.buf;
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.offset + n;
    if (need <= this.buf.length) return;
    if (need > this.maxBytes) {
      throw new RangeError(`message needs ${need} bytes, over the ${this.maxBytes}-byte limit: raise ${this.label}`);
    }
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, this.maxBytes));
    next.set(this.buf.subarray(0, this.offset));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.offset++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.offset, v, true);
    this.offset += 2;
  }

  i16(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.offset, v, true);
    this.offset += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
  }

  /** Unsigned LEB128, 1 to 5 bytes, for 0 ≤ v < 2^32. */
  uvarint(v: number): void {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.buf[this.offset++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.offset++] = x;
  }

  /** Zigzag then LEB128, for any 32-bit signed value: small magnitudes take one byte. */
  svarint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** The written bytes as a view over the internal buffer: valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.offset);
  }
}
