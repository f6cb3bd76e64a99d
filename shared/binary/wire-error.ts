/**
 * Every way a peer's bytes can be wrong, each with a stable code so that tests and logs can
 * name the failure precisely (the ws library does the same with its `WS_ERR_*` codes).
 */
export const WireErrorCode = {
  /** The message ended before a field it promised. */
  Truncated: 'WIRE_TRUNCATED',
  /** Bytes were left over after the last field: strict decoding rejects them. */
  TrailingBytes: 'WIRE_TRAILING_BYTES',
  /** A varint ran past 5 bytes, so it cannot be a 32-bit value. */
  VarintOverflow: 'WIRE_VARINT_OVERFLOW',
  /** The first byte is not a message type this side accepts. */
  UnknownType: 'WIRE_UNKNOWN_TYPE',
  /** A field held a value outside its declared range. */
  OutOfRange: 'WIRE_OUT_OF_RANGE',
  /** A control message body did not match its schema. */
  BadControl: 'WIRE_BAD_CONTROL',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Thrown by decoders when input bytes break the wire format. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WireError';
    this.code = code;
  }
}
