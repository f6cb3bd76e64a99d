import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nextEvent, startServer } from '../support/server-harness';

/** Open a raw TCP connection; resolves with it once connected. */
function tcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

describe('HTTP abuse on the game port', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('cuts off a slowloris that never finishes its headers, while a bystander plays on', async () => {
    h = await startServer({ headersTimeoutMs: 300 });
    const bystander = h.client('bystander');
    await bystander.connect();
    const slow = await Promise.all(Array.from({ length: 20 }, () => tcp(h.server.port)));
    for (const s of slow) s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // Every one is closed by the server (408), not by us.
    const answers = await Promise.all(
      slow.map(
        (s) =>
          new Promise<string>((resolve) => {
            let got = '';
            s.on('data', (d) => (got += d));
            s.on('close', () => resolve(got));
            s.on('error', () => {});
          }),
      ),
    );
    for (const a of answers) expect(a === '' || a.startsWith('HTTP/1.1 408')).toBe(true);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
  });

  it('answers a pipelined flood with 200s for the burst, then one 429 and a closed socket', async () => {
    h = await startServer({ frontDoor: { httpRequestsPerSecondPerIp: 10 } });
    const bystander = h.client('bystander');
    await bystander.connect();
    const flood = await tcp(h.server.port);
    let got = '';
    flood.on('data', (d) => (got += d));
    const closed = new Promise((resolve) => flood.on('close', resolve));
    flood.on('error', () => {});
    flood.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(150));
    await closed;
    const statuses = [...got.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    expect(statuses).toEqual([...Array(20).fill(200), 429]); // a 2 s burst, then the door shuts
    // Node still parses what was pipelined; each costs one cheap 429 (and a log line that
    // production samples per address: the harness turns sampling off).
    expect(h.lines.filter((l) => l.msg === 'http request over the rate limit').length).toBeGreaterThan(0);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
  });

  it('serves at most 100 requests per socket, then only 503s', async () => {
    h = await startServer();
    const s = await tcp(h.server.port);
    let got = '';
    const all = new Promise<void>((resolve) =>
      s.on('data', (d) => {
        got += d;
        if ((got.match(/^HTTP\/1\.1/gm) ?? []).length >= 120) resolve();
      }),
    );
    s.on('error', () => {});
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(120));
    await all;
    s.destroy();
    const statuses = [...got.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    expect(statuses.slice(0, 100).every((c) => c === 200)).toBe(true);
    expect(statuses.slice(100).every((c) => c === 503)).toBe(true);
  });
});
