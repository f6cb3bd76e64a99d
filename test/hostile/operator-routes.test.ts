import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startReverseProxy } from '../../bench/lib/reverse-proxy';
import { flush, nextEvent, startServer } from '../support/server-harness';

type Harness = Awaited<ReturnType<typeof startServer>>;

/** One request from `localAddress`: its status and body. */
function send(
  port: number,
  method: string,
  path: string,
  localAddress = '127.0.0.1',
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, localAddress }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every operator route, as an attacker on the internet would try it. */
const ROUTES: [string, string][] = [
  ['GET', '/metrics'],
  ['GET', '/monitor'],
  ['GET', '/monitor.html'],
  ['GET', '/monitor/data'],
  ['GET', '/cluster'],
  ['POST', '/notice'],
  ['POST', '/notice?user=u-victim'],
];

describe('operator routes behind a reverse proxy on the same machine, default settings', () => {
  let h: Harness | undefined;
  let proxy: Awaited<ReturnType<typeof startReverseProxy>> | undefined;
  afterEach(async () => {
    await proxy?.close();
    await h?.close();
  });

  for (const trustProxy of [false, true])
    it(`answers none of them through the proxy${trustProxy ? ' (with --trust-proxy 127.0.0.1)' : ''}, sends no notice, and the admin port still serves them`, async () => {
      // As `npm start` has it: the admin port on loopback, no operator token.
      h = await startServer({ admin: { port: 0 }, frontDoor: trustProxy ? { trustedProxies: ['127.0.0.1'] } : {} });
      proxy = await startReverseProxy(h.server.port);
      const bystander = h.client('bystander');
      await bystander.connect();
      let notices = 0;
      bystander.on('notice', () => notices++);
      for (const [method, path] of ROUTES) {
        // From many addresses, each its own client to the proxy: none gets in.
        for (const from of ['127.0.0.1', '127.0.0.50', '127.0.0.51']) {
          const got = await send(proxy.port, method, path, from, method === 'POST' ? 'free gold at evil.example' : undefined);
          expect(`${method} ${path} ${got.status}`).toBe(`${method} ${path} 403`);
          expect(got.text).toMatch(/is for operators: use the admin port \(127\.0\.0\.1:\d+\), or set --operator-token/);
        }
      }
      await flush(bystander);
      expect(notices).toBe(0);
      expect(h.lines.some((l) => /operator notice/.test(l.msg))).toBe(false);
      const snap = nextEvent(bystander, 'snapshot');
      h.tick();
      await snap;
      // The operator, on this host, at the admin port.
      expect((await send(h.server.adminPort, 'GET', '/metrics')).status).toBe(200);
      expect((await send(h.server.adminPort, 'GET', '/cluster')).status).toBe(200);
      const told = nextEvent(bystander, 'notice');
      expect((await send(h.server.adminPort, 'POST', '/notice', '127.0.0.1', 'maintenance at 04:00')).status).toBe(202);
      expect((await told)[0].message).toBe('maintenance at 04:00');
      // The admin port serves no game: no matchmaking, no profiles, no WebRTC.
      const mm = await send(h.server.adminPort, 'POST', '/matchmake');
      expect(mm.status).not.toBe(200); // 503 here: the harness serves no static files either
      expect(mm.text).not.toMatch(/reservation/);
    });

  it('the admin listener refuses to start off loopback without a token', async () => {
    await expect(startServer({ admin: { port: 0, host: '0.0.0.0' } })).rejects.toThrow(/reachable from other machines: set operatorToken/);
  });

  it('a notice body is capped by the bytes read, whatever the headers say', async () => {
    h = await startServer({ admin: { port: 0 } });
    const got = await new Promise<{ status: number }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: h!.server.adminPort, method: 'POST', path: '/notice', headers: { 'transfer-encoding': 'chunked' } },
        (res) => resolve({ status: res.statusCode ?? 0 }),
      );
      req.on('error', () => {});
      // Chunk after chunk, far past the cap: answered 413 once 500 bytes are over.
      let sent = 0;
      const pump = () => {
        while (sent < 1 << 20 && req.write('x'.repeat(1024))) sent += 1024;
        if (sent < 1 << 20) req.once('drain', pump);
        else req.end();
      };
      pump();
      setTimeout(() => reject(new Error('no answer')), 10_000).unref();
    });
    expect(got.status).toBe(413);
  });
});
