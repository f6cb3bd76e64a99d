import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { MessageType } from './message-types';

/**
 * ACK: the newest snapshot tick the client has decoded, on its own. INPUT carries the same
 * acknowledgement, but a client that sends no input (a hidden tab, inputs withheld while
 * unacknowledged) must keep acknowledging, or its baseline would age out and every snapshot
 * would be a full one. The SDK sends an ACK after a snapshot when no INPUT has gone out since
 * the one before: at most one per snapshot, usually none.
 *
 * ```
 * ACK := 0x12 tick:uvarint
 * ```
 */
export function writeAck(out: ByteWriter, tick: number): void {
  out.u8(MessageType.Ack);
  out.uvarint(tick);
}

/** Read an ACK after its type byte (the caller checks the end of the message). */
export function readAck(input: ByteReader): number {
  return input.uvarint();
}
