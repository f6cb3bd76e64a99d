import type { IncomingMessage, ServerResponse } from 'node:http';
import { readCappedBody, refuseTooLarge } from '../transport/capped-body';

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
 * `Content-Length` or `Transfer-Encoding` claim (see {@link readCappedBody}): `done` gets the
 * whole body. Past the cap the client gets a 413 with `tooLarge` as the sentence, nothing more
 * is read or kept, and the connection is dropped once the answer is out ({@link refuseTooLarge}).
 */
export function readBoundedBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  tooLarge: string,
  done: (body: Buffer) => void,
): void {
  readCappedBody(req, maxBytes, (result) => {
    if (result.ok) done(result.body);
    else if (result.why === 'too large') refuseTooLarge(req, res, tooLarge);
  });
}
