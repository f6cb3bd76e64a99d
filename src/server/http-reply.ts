import type { ServerResponse } from 'node:http';

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
