import type { IncomingMessage, ServerResponse } from 'node:http';

/** How reading a request body ended. `bytes`: what was taken off the request, whatever it said. */
export type CappedBody = { ok: true; body: Buffer; bytes: number } | { ok: false; why: 'too large' | 'aborted'; bytes: number };

/**
 * Read `req`'s body, counting bytes as they arrive, whatever `Content-Length` or
 * `Transfer-Encoding` claim: past `maxBytes` reading stops (the request is paused and nothing
 * more is kept) and `done` hears `too large`. At most `maxBytes` are ever held; the count can
 * pass it by the chunk that crossed the line (one socket read, at most 64 KiB). `onBytes`
 * hears every chunk's size (for counters). `done` is called once.
 */
export function readCappedBody(
  req: IncomingMessage,
  maxBytes: number,
  done: (result: CappedBody) => void,
  onBytes?: (n: number) => void,
): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let over = false;
  const finish = (result: CappedBody) => {
    if (over) return;
    over = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onAborted);
    done(result);
  };
  const onData = (chunk: Buffer) => {
    bytes += chunk.length;
    onBytes?.(chunk.length);
    if (bytes > maxBytes) {
      // Removing the listener would leave the stream flowing: pause it, so the parser stops
      // asking the socket for more (the caller answers and drops the connection).
      req.pause();
      finish({ ok: false, why: 'too large', bytes });
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => finish({ ok: true, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), bytes });
  const onAborted = () => finish({ ok: false, why: 'aborted', bytes });
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onAborted);
}

/**
 * Answer 413 with `sentence` and drop the connection once the answer is out: the unread rest of
 * the body is never read (`Connection: close` keeps Node from draining it for the next request).
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, sentence: string): void {
  req.pause();
  res.once('finish', () => req.socket.destroy());
  const text = `${sentence}\n`;
  res.writeHead(413, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}
