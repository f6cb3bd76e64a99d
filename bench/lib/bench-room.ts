import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { arenaInputCodec, type ArenaInput } from '../../shared/games/arena';
import { writeInputHeader } from '../../shared/protocol/input-message';
import { MessageType } from '../../shared/protocol/message-types';
import type { PlayerSlot, Room, RoomClient } from '../../src/rooms/room';
import { walkerInput } from '../scenarios/workload';

/**
 * A RoomClient that only counts the snapshots it is sent (GLOBALS and roster messages are not
 * per-tick traffic): the cost of a socket is not part of the tick.
 */
export class CountingClient implements RoomClient {
  readonly bufferedAmount = 0;
  /** Claims every snapshot arrives, in order (a WebSocket): see RoomClient.inOrder. */
  inOrder = false;
  /** Snapshots sent. */
  messages = 0;
  /** Their bytes, whole messages. */
  bytes = 0;
  /** When set, the next snapshot is kept whole in `captured` (for a round-trip check). */
  capture = false;
  captured: Uint8Array | undefined;

  send(bytes: Uint8Array): void {
    if (bytes[0] !== MessageType.Snapshot) return;
    this.messages++;
    this.bytes += bytes.length;
    if (this.capture) {
      this.captured = bytes;
      this.capture = false;
    }
  }

  sendParts(head: Uint8Array, body: Uint8Array): void {
    if (this.capture) this.send(Buffer.concat([head, body]));
    else if (head[0] === MessageType.Snapshot) {
      this.messages++;
      this.bytes += head.length + body.length;
    }
  }

  close(): void {}

  supersede(): void {}
}

/** Join `count` counting clients to `room` (named c1, c2…). */
export function joinCountingClients<I>(room: Room<unknown, I>, count: number): { clients: CountingClient[]; slots: PlayerSlot<I>[] } {
  const clients: CountingClient[] = [];
  const slots: PlayerSlot<I>[] = [];
  for (let i = 0; i < count; i++) {
    const c = new CountingClient();
    clients.push(c);
    slots.push(room.join(c, `c${i + 1}`));
  }
  return { clients, slots };
}

/**
 * One whole room tick as a function: each client sends one INPUT, encoded as the SDK does
 * (acknowledging the previous snapshot, walking per `walkerInput`, firing if `fire`), the room
 * decodes it, then steps.
 */
export function walkerTick(room: Room<unknown, ArenaInput>, slots: readonly PlayerSlot<ArenaInput>[], fire: boolean): () => void {
  const writer = new ByteWriter(64);
  const reader = new ByteReader();
  const input: ArenaInput = { buttons: 0, aim: 0 };
  return () => {
    const t = room.tick;
    for (let i = 0; i < slots.length; i++) {
      // Stamped for the tick it is for, the next one, as the SDK's input clock does.
      writeInputHeader(writer.reset(), t, t + 1, 1);
      arenaInputCodec.write(writer, walkerInput(slots[i].id, t, fire, input));
      reader.reset(writer.bytes());
      reader.u8(); // the type byte, as the session reads it before handing over
      room.acceptInputs(slots[i], reader);
    }
    room.step();
  };
}
