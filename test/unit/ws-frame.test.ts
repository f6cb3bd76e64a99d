import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import * as wsModule from 'ws';
import { frameHeaderLength, writeFrameHeader } from '../../src/transport/ws-frame';

/** ws's frame parser (exported by ws, not typed by @types/ws). */
type ReceiverLike = EventEmitter & { write(chunk: Buffer): void };
const Receiver = (wsModule as unknown as { Receiver: new (options: object) => ReceiverLike }).Receiver;

/** Parse `frame` with ws's own receiver (as a client would) and return the one message in it. */
function parseWithWs(frame: Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    // A client-side receiver: server frames are unmasked. maxPayload 0 = no limit.
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }));
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

function frameOf(payload: Buffer): Buffer {
  const frame = Buffer.alloc(frameHeaderLength(payload.length) + payload.length);
  const at = writeFrameHeader(frame, payload.length);
  expect(at).toBe(frameHeaderLength(payload.length));
  payload.copy(frame, at);
  return frame;
}

describe('WebSocket frame header', () => {
  it('takes 2 bytes up to 125, 4 up to 65,535, 10 beyond', () => {
    expect([0, 125, 126, 65_535, 65_536, 2 ** 32 + 5].map(frameHeaderLength)).toEqual([2, 2, 4, 4, 10, 10]);
  });

  it('writes the 64-bit length big-endian, high word included', () => {
    const out = new Uint8Array(10);
    writeFrameHeader(out, 2 ** 32 + 0x01020304);
    expect([...out]).toEqual([0x82, 127, 0, 0, 0, 1, 1, 2, 3, 4]);
  });

  for (const size of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
    it(`frames a ${size}-byte payload as one final binary message ws parses back`, async () => {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
      const { data, isBinary } = await parseWithWs(frameOf(payload));
      expect(isBinary).toBe(true);
      expect(data.equals(payload)).toBe(true);
    });
  }
});
