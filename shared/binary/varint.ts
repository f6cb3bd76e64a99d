/** Bytes an unsigned LEB128 varint of `v` (0 ≤ v < 2^32) takes: 1 to 5. */
export function uvarintLength(v: number): number {
  v >>>= 0;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * Write `v` as an unsigned LEB128 varint into `buf` at `offset` (the caller sized `buf` with
 * {@link uvarintLength}); returns the offset after it. Same bytes as ByteWriter.uvarint.
 */
export function writeUvarintAt(buf: Uint8Array, offset: number, v: number): number {
  let x = v >>> 0;
  while (x >= 0x80) {
    buf[offset++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  buf[offset++] = x;
  return offset;
}
