import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCappedBody, type CappedBody } from '../../src/transport/capped-body';

/** A request body fed by hand: what the HTTP parser would emit. */
function body() {
  const stream = new PassThrough();
  // IncomingMessage emits 'error' only to listeners; a PassThrough would throw it.
  stream.on('error', () => {});
  const results: CappedBody[] = [];
  let counted = 0;
  readCappedBody(
    stream as unknown as IncomingMessage,
    100,
    (r) => results.push(r),
    (n) => (counted += n),
  );
  return { stream, results, counted: () => counted };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('readCappedBody: a body counted as it is read, whatever the headers said', () => {
  it('hands over a body under the cap, whole', async () => {
    const b = body();
    b.stream.write('hello ');
    b.stream.end('world');
    await tick();
    expect(b.results).toEqual([{ ok: true, body: Buffer.from('hello world'), bytes: 11 }]);
  });

  it('a body of exactly the cap is fine; one byte more is too large, and reading stops at that chunk', async () => {
    const exact = body();
    exact.stream.end(Buffer.alloc(100));
    await tick();
    expect(exact.results.map((r) => [r.ok, r.bytes])).toEqual([[true, 100]]);

    const over = body();
    over.stream.write(Buffer.alloc(60));
    over.stream.write(Buffer.alloc(60));
    await tick();
    expect(over.results).toEqual([{ ok: false, why: 'too large', bytes: 120 }]);
    // Nothing after the crossing chunk is read, however much more comes.
    over.stream.write(Buffer.alloc(1000));
    over.stream.end();
    await tick();
    expect([over.results.length, over.counted()]).toEqual([1, 120]);
    expect(over.stream.isPaused()).toBe(true);
  });

  it('a request that breaks off is reported once, as aborted', async () => {
    const b = body();
    b.stream.write('par');
    await tick();
    b.stream.emit('aborted');
    b.stream.destroy(new Error('socket hang up'));
    await tick();
    expect(b.results).toEqual([{ ok: false, why: 'aborted', bytes: 3 }]);
  });
});
