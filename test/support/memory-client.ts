import { ByteReader } from '../../shared/binary/byte-reader';
import { CloseCode } from '../../shared/protocol/close-codes';
import { decodeControlBody } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { readDetachedIds, readSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import type { RoomClient } from '../../src/rooms/room';

/** An in-memory RoomClient: records what the room sends, so room logic is tested without sockets. */
export class MemoryClient implements RoomClient {
  readonly sent: Uint8Array[] = [];
  bufferedAmount = 0;
  closed: { code: number; reason: string } | undefined;

  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  /** Another link took the seat: recorded as a close with the Superseded code. */
  supersede(reason: string): void {
    this.close(CloseCode.Superseded, reason);
  }

  ofType(type: number): Uint8Array[] {
    return this.sent.filter((b) => b[0] === type);
  }

  control<T>(type: number): T[] {
    return this.ofType(type).map((b) => decodeControlBody(b.subarray(1)) as T);
  }

  /**
   * Every snapshot as { tick, ackSeq, detached, body, shared }: `shared` is everything after the
   * per-client header (the bytes every client gets alike), `body` the entities after the
   * detached-player list.
   */
  snapshots(): {
    tick: number;
    baselineTick: number;
    ackSeq: number;
    inputLeadMs: number;
    detached: number[];
    body: Uint8Array;
    shared: Uint8Array;
  }[] {
    return this.ofType(MessageType.Snapshot).map((b) => {
      const r = new ByteReader(b);
      r.u8();
      const h = readSnapshotHeader(r, newSnapshotHeader());
      const shared = b.subarray(r.offset);
      const detached = readDetachedIds(r, []);
      return { ...h, detached, body: r.rest(), shared };
    });
  }
}
