/**
 * The header of a WebSocket frame a server sends (RFC 6455 §5.2): final, binary, unmasked
 * (servers never mask). Used to write whole messages straight to the TCP socket, skipping
 * ws's per-send work (two options objects, a header buffer, a cork and a gather write) for the
 * messages that dominate a game server's traffic: small snapshots and replies.
 *
 * ```
 *  byte 0: FIN=1 RSV=000 opcode=0x2 (binary)        → 0x82
 *  byte 1: MASK=0, length 0-125 | 126 (+u16) | 127 (+u64), big-endian
 * ```
 */

/** First byte of a final binary frame. */
const FIN_BINARY = 0x82;

/** Header bytes for a payload of `length` bytes: 2, 4 or 10. */
export function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/**
 * Write the header of a final binary frame carrying `length` payload bytes at the start of
 * `out` (at least {@link frameHeaderLength} bytes long); returns the header's length.
 */
export function writeFrameHeader(out: Uint8Array, length: number): number {
  out[0] = FIN_BINARY;
  if (length < 126) {
    out[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    out[1] = 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    return 4;
  }
  out[1] = 127;
  // 64-bit length: the high word is 0 below 4 GiB; both halves exact up to 2^53.
  const high = Math.floor(length / 0x1_0000_0000);
  const low = length >>> 0;
  out[2] = high >>> 24;
  out[3] = (high >>> 16) & 0xff;
  out[4] = (high >>> 8) & 0xff;
  out[5] = high & 0xff;
  out[6] = low >>> 24;
  out[7] = (low >>> 16) & 0xff;
  out[8] = (low >>> 8) & 0xff;
  out[9] = low & 0xff;
  return 10;
}
