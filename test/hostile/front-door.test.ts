import { once } from 'node:events';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes';
import { flush, nextEvent, startServer } from '../support/server-harness';

/** The HTTP status a WebSocket upgrade got instead of 101 (0 if it opened). */
async function upgradeStatus(
  url: string,
  headers: Record<string, string> = {},
  protocols?: string,
): Promise<{ status: number; ws: WebSocket }> {
  const ws = new WebSocket(url, protocols, { headers });
  ws.on('error', () => {});
  const result = await Promise.race([
    once(ws, 'open').then(() => 0),
    once(ws, 'unexpected-response').then((args) => {
      const [req, res] = args as [{ destroy(): void }, { statusCode: number }];
      req.destroy();
      return res.statusCode;
    }),
  ]);
  return { status: result, ws };
}

function http(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the front door (real sockets)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('caps connections and unjoined sockets per address before the 101, and a bystander plays on', async () => {
    h = await startServer({ frontDoor: { maxConnectionsPerIp: 4, maxUnjoinedPerIp: 2, handshakesPerSecondPerIp: 0 } });
    const bystander = h.client('bystander');
    await bystander.connect();
    const idle = [await upgradeStatus(h.url), await upgradeStatus(h.url)];
    expect(idle.map((r) => r.status)).toEqual([0, 0]);
    const third = await upgradeStatus(h.url);
    expect(third.status).toBe(429); // two unjoined already
    expect(h.lines.some((l) => l.msg === 'upgrade refused' && /have not joined: at most 2/.test(String(l.reason)))).toBe(true);
    // Closing one frees its place; then a client may come in and join.
    idle[0].ws.close();
    await h.logged((l) => l.msg === 'connection closed');
    await h.client('second').connect();
    const third2 = await upgradeStatus(h.url); // bystander, idle[1], second, this: 4 open
    expect(third2.status).toBe(0);
    const fifth = await upgradeStatus(h.url);
    expect(fifth.status).toBe(429);
    expect(
      h.lines.some(
        (l) => l.msg === 'upgrade refused' && /too many connections from 127\.0\.0\.1: at most 4 at once/.test(String(l.reason)),
      ),
    ).toBe(true);
    // The bystander still gets every snapshot.
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
    await flush(bystander);
    for (const r of [...idle, third2]) r.ws.terminate();
  });

  it('rate-limits handshakes per address', async () => {
    h = await startServer({ frontDoor: { handshakesPerSecondPerIp: 2, maxConnectionsPerIp: 0, maxUnjoinedPerIp: 0 } });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await upgradeStatus(h.url));
    expect(results.map((r) => r.status)).toEqual([0, 0, 0, 0, 429, 429]); // a burst of 2 s
    h.clock.advance(1000); // two more tokens
    expect((await upgradeStatus(h.url)).status).toBe(0);
    for (const r of results) r.ws.terminate();
  });

  it('counts the client behind a trusted proxy by X-Forwarded-For, and ignores the header from anyone else', async () => {
    h = await startServer({ frontDoor: { maxUnjoinedPerIp: 1, handshakesPerSecondPerIp: 0, trustedProxies: ['127.0.0.1'] } });
    const a = await upgradeStatus(h.url, { 'x-forwarded-for': '203.0.113.7' });
    const b = await upgradeStatus(h.url, { 'x-forwarded-for': '203.0.113.8' });
    const a2 = await upgradeStatus(h.url, { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' });
    expect([a.status, b.status, a2.status]).toEqual([0, 0, 429]);
    expect(h.server.frontDoor.openFrom('203.0.113.7')).toBe(1);
    for (const r of [a, b, a2]) r.ws.terminate();
  });

  it('allows only the same host by default, an allowlist when set, and refuses subprotocols', async () => {
    h = await startServer();
    const host = new URL(h.url).host;
    expect((await upgradeStatus(h.url, { origin: 'https://evil.example' })).status).toBe(403);
    const same = await upgradeStatus(h.url, { origin: `http://${host}` });
    expect(same.status).toBe(0);
    same.ws.terminate();
    expect((await upgradeStatus(h.url, {}, 'chat')).status).toBe(400);
    await h.close();
    h = await startServer({ frontDoor: { perIpLimits: false, allowedOrigins: ['https://game.example'] } });
    expect((await upgradeStatus(h.url, { origin: 'https://game.example' })).status).toBe(0);
    expect((await upgradeStatus(h.url, { origin: `http://${new URL(h.url).host}` })).status).toBe(403);
  });

  it('serves /health to GET and HEAD only, cached for a second, and rate-limits HTTP per address', async () => {
    h = await startServer({ frontDoor: { httpRequestsPerSecondPerIp: 5 } });
    const port = h.server.port;
    expect((await http(port, 'POST', '/health')).status).toBe(405);
    const head = await http(port, 'HEAD', '/health');
    expect([head.status, head.body]).toEqual([200, '']);
    const first = await http(port, 'GET', '/health');
    await h.client('joiner').connect();
    const second = await http(port, 'GET', '/health');
    expect(second.body).toBe(first.body); // within the second: the cached body
    expect(first.headers['cache-control']).toBe('max-age=1');
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await http(port, 'GET', '/nope')).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0); // 10 in the burst, 4 used above
    expect(statuses.slice(0, 2)).toEqual([503, 503]); // no demo built here: 503 until the limit
  });

  it('shares one message budget among all sockets of an address (4003 for the one that overdraws)', async () => {
    h = await startServer({
      messagesPerSecond: 100,
      messageBurst: 100,
      frontDoor: { messagesPerSecondPerIp: 10, handshakesPerSecondPerIp: 0 },
    });
    const a = await upgradeStatus(h.url);
    const b = await upgradeStatus(h.url);
    const closedA = once(a.ws, 'close');
    const closedB = once(b.ws, 'close');
    // 20 tokens for the address (a 2 s burst): each socket alone is far under its own 100.
    let pongs = 0;
    const answered = new Promise<void>((resolve) => a.ws.on('pong', () => ++pongs === 5 && resolve()));
    for (let i = 0; i < 5; i++) a.ws.ping();
    await answered; // a's 5 are counted; b then overdraws the 15 left
    for (let i = 0; i < 20; i++) b.ws.ping();
    const [codeB] = (await closedB) as [number];
    expect(codeB).toBe(CloseCode.RateLimited);
    expect(
      h.lines.some((l) => l.code === CloseCode.RateLimited && /from this address over all its connections/.test(String(l.reason))),
    ).toBe(true);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.ws.terminate();
    await closedA;
  });

  it('says which limit a refused SDK client hit', async () => {
    h = await startServer({ frontDoor: { maxConnectionsPerIp: 1 } });
    await h.client('one').connect();
    const refused = h.client('two');
    await expect(refused.connect()).rejects.toMatchObject({ code: CloseCode.ConnectionLost, reason: expect.stringMatching(/429/) });
  });
});
