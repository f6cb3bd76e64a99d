import type { ByteReader } from './byte-reader';
import { unzigzag } from './bit-writer';
import { WireError, WireErrorCode } from './wire-error';

/** 2^0 … 2^33 by table: `2 ** n` with a variable n is a Math.pow call on the decode path. */
const POW2 = Float64Array.from({ length: 34 }, (_, i) => 2 ** i);

/**
 * Reads what {@link BitWriter} wrote: bit fields, most significant bit first, from a
 * {@link ByteReader}'s remaining bytes. Every read is bounds-checked and throws a
 * {@link WireError} past the end; `end()` insists that the padding is zero and nothing follows,
 * so a body is accepted only exactly as an encoder could have written it.
 */
export class BitReader {
  private bytes: Uint8Array = new Uint8Array(0);
  /** Next bit to read, counted from `start`'s byte. */
  private pos = 0;
  private limit = 0;
  private input: ByteReader | undefined;

  /** Start reading bits at `input`'s offset; `end()` moves `input` past the bits read. */
  begin(input: ByteReader): this {
    this.input = input;
    const start = input.offset;
    this.bytes = input.rest();
    input.offset = start;
    this.pos = 0;
    this.limit = this.bytes.length * 8;
    return this;
  }

  /** Bits left (padding included). */
  get remainingBits(): number {
    return this.limit - this.pos;
  }

  /** Read `n` bits (0 ≤ n ≤ 32) as an unsigned number. */
  bits(n: number): number {
    if (this.pos + n > this.limit) {
      throw new WireError(
        WireErrorCode.Truncated,
        `message truncated: ${n} bit(s) needed at bit ${this.pos}, ${this.limit - this.pos} left`,
      );
    }
    let v = 0;
    const bytes = this.bytes;
    while (n > 0) {
      const byte = bytes[this.pos >>> 3];
      const used = this.pos & 7;
      const take = Math.min(8 - used, n);
      const chunk = (byte >>> (8 - used - take)) & ((1 << take) - 1);
      v = v * (1 << take) + chunk;
      this.pos += take;
      n -= take;
    }
    return v;
  }

  bit(): number {
    return this.bits(1);
  }

  /** Read an unsigned exp-Golomb code of order `k` (see BitWriter.expGolomb); at most 2^33 - 1; callers check their own range. */
  expGolomb(k: number): number {
    let zeros = 0;
    while (this.bits(1) === 0) {
      if (++zeros + k > 32) throw new WireError(WireErrorCode.VarintOverflow, `exp-Golomb code at bit ${this.pos} exceeds 32 bits`);
    }
    const rest = zeros + k;
    const high = POW2[rest];
    const v = high + (rest > 16 ? this.bits(rest - 16) * 0x10000 + this.bits(16) : this.bits(rest));
    return v - POW2[k];
  }

  /** Read a signed exp-Golomb code (zigzag). */
  signedExpGolomb(k: number): number {
    return unzigzag(this.expGolomb(k));
  }

  /**
   * The bits are done: the padding in the last byte must be zero and no byte may follow.
   * Leaves the byte reader at its end.
   */
  end(what: string): void {
    const usedBytes = (this.pos + 7) >>> 3;
    if (usedBytes < this.bytes.length) {
      throw new WireError(WireErrorCode.TrailingBytes, `${what} has ${this.bytes.length - usedBytes} trailing byte(s)`);
    }
    const pad = usedBytes * 8 - this.pos;
    if (pad > 0 && (this.bytes[usedBytes - 1] & ((1 << pad) - 1)) !== 0) {
      throw new WireError(WireErrorCode.TrailingBytes, `${what} has non-zero padding bits`);
    }
    this.input!.offset += usedBytes;
  }
}
