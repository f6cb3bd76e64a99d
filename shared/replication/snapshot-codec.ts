import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import type { EntityTable } from './entity-table';

/**
 * The one seam for snapshot bodies. The server encodes a body once per distinct view and sends
 * the same bytes to every client that shares it; the client decodes into a reused table.
 *
 * `baseline` is the snapshot the receiver is known to hold (acknowledged, or last sent over a
 * reliable transport), or `null` for a full snapshot. A delta codec encodes only what changed
 * against it; the full codec ignores it. Decoders get the same baseline back.
 */
export interface SnapshotCodec {
  /** Short name, for logs and benchmarks. */
  readonly name: string;
  encode(current: EntityTable, baseline: EntityTable | null, out: ByteWriter): void;
  /** Decode into `out` (cleared first). Throws {@link WireError} on malformed input. */
  decode(input: ByteReader, baseline: EntityTable | null, out: EntityTable): void;
}
