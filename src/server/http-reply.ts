import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answer with a line of text (a newline is added). */
export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(`${body}\n`);
}

/** Answer with JSON, never cached (every JSON answer here is live state). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Read a request body of at most `maxBytes`, counted as the bytes arrive, whatever
 * `Content-Length` or `Transfer-Encoding` claim: `done` gets the whole body. Past the cap the
 * client gets a 413 with `tooLarge` as the sentence, nothing more is kept, and the connection
 * is closed once the answer is out (a sender that goes on streaming is cut off there).
 */
export function readBoundedBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  tooLarge: string,
  done: (body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= maxBytes) {
      chunks.push(chunk);
      return;
    }
    refused = true;
    req.off('data', onData);
    req.pause();
    chunks.length = 0;
    res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`${tooLarge}\n`, () => req.socket.destroy());
  };
  req.on('data', onData);
  req.on('end', () => {
    if (!refused) done(Buffer.concat(chunks, size));
  });
}
