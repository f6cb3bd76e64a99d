import { once } from 'node:events';
import net from 'node:net';
import { request } from 'node:http';
import * as wrtc from 'node-datachannel/polyfill';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebRtcGateway } from '../../src/transport/webrtc/webrtc-gateway';
import { nextEvent, startServer, type LogLine } from '../support/server-harness';

/** Node has no RTCPeerConnection: the SDK installs node-datachannel's polyfill. */
const WRTC = {
  wrtc: {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
  },
};
const SIGNAL = '/.wrtc/v2/connections';

/** One signalling request by hand, as geckos.io's client makes it. */
function signal(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The status a WebSocket upgrade got (0: it opened, and is closed again). */
async function upgradeStatus(url: string): Promise<number> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  return Promise.race([
    once(ws, 'open').then(() => {
      ws.terminate();
      return 0;
    }),
    once(ws, 'unexpected-response').then((args) => {
      (args[0] as { destroy(): void }).destroy();
      return (args[1] as { statusCode: number }).statusCode;
    }),
  ]);
}

/**
 * Answer the server's offer with a real peer whose ICE can never finish: no candidate goes
 * either way (they are stripped from both descriptions, and none is sent later).
 */
async function answerWithoutCandidates(port: number, offer: { id: string; localDescription: { type: string; sdp: string } }) {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const strip = (sdp: string) => sdp.replace(/^a=(candidate|end-of-candidates).*\r\n/gm, '');
  await pc.setRemoteDescription({ type: 'offer', sdp: strip(offer.localDescription.sdp) });
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  const applied = await signal(
    port,
    'POST',
    `${SIGNAL}/${offer.id}/remote-description`,
    JSON.stringify({ type: 'answer', sdp: strip(answer.sdp!) }),
  );
  return { pc, applied };
}

/** Stream a chunked body of up to `total` bytes until the server answers or drops the connection. */
function streamChunked(port: number, total: number): Promise<{ status: number; body: string; written: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let written = 0;
    let stopped = false;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: SIGNAL, headers: { 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      stopped = true;
      let body = '';
      res.on('data', (d) => (body += d));
      const done = () => resolve({ status: res.statusCode!, body, written });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (err) => {
      stopped = true;
      // A reset after the answer is expected; before it, the test fails.
      setImmediate(() => reject(err));
    });
    const pump = () => {
      while (!stopped && written < total) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!stopped) req.end();
    };
    pump();
  });
}

describe('WebRTC signalling that cleans up (real sockets, geckos.io)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  const peers: { close(): void }[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await h?.close();
  });
  const gateway = () => h.server.webrtc as WebRtcGateway;
  const abandoned = (l: LogLine) => l.msg === 'webrtc attempt abandoned';

  it('12 abandoned attempts from one address: 8 admitted, 4 refused; at the deadline every count is back, the peer connections are gone, and the address joins over WebSocket and WebRTC', async () => {
    h = await startServer({ webrtc: { enabled: true, connectDeadlineMs: 3000 }, frontDoor: { perIpLimits: true } });
    const port = h.server.port;
    const bystander = h.client('bystander');
    await bystander.connect();
    const answers = await Promise.all(Array.from({ length: 12 }, () => signal(port, 'POST', SIGNAL)));
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect([admitted.length, refused.length]).toEqual([8, 4]);
    for (const r of refused) expect(r.body).toBe('too many connections from 127.0.0.1 that have not joined: at most 8\n');
    // One of them gets as far as a real answer; its ICE never completes all the same.
    const { pc, applied } = await answerWithoutCandidates(port, JSON.parse(admitted[0].body));
    peers.push(pc);
    expect(applied.status).toBe(200);
    // While they are pending they hold the address's slots, WebSocket's too (the lockout).
    expect(h.server.frontDoor.unjoinedFrom('127.0.0.1')).toBe(8);
    expect([gateway().attemptsPending, gateway().peerConnections]).toEqual([8, 8]);
    expect(await upgradeStatus(h.url)).toBe(429);
    // The deadline (real time: ICE runs on the network's clock) gives each back, once.
    await h.logged(abandoned, 8);
    expect(h.lines.filter(abandoned).map((l) => l.why)).toEqual(Array(8).fill('no channel within 3000 ms'));
    expect(h.server.frontDoor.unjoinedFrom('127.0.0.1')).toBe(0);
    expect(h.server.frontDoor.openFrom('127.0.0.1')).toBe(1); // the bystander
    expect([gateway().attemptsPending, gateway().attemptsAbandoned, gateway().peerConnections]).toEqual([0, 8, 0]);
    expect(h.server.health().webrtc).toMatchObject({ attemptsPending: 0, attemptsAbandoned: 8, channelsOpened: 0, refused: 4 });
    // The address comes in over both transports.
    const ws = h.client('ws-after');
    const rtc = h.client('rtc-after', { transport: 'webrtc', webrtc: WRTC });
    await ws.connect();
    await rtc.connect();
    expect([ws.transport, rtc.transport]).toEqual(['ws', 'webrtc']);
    expect([gateway().attemptsPending, gateway().attemptsAbandoned, gateway().peerConnections]).toEqual([0, 8, 1]);
    // No abandoned attempt gave its count back twice: the two new players are all that is open besides the bystander.
    expect([h.server.frontDoor.openFrom('127.0.0.1'), h.server.frontDoor.unjoinedFrom('127.0.0.1')]).toEqual([3, 0]);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
  });

  it('an attempt the client closes (POST …/close) gives its count back at once and is answered, not left hanging', async () => {
    h = await startServer({ webrtc: { enabled: true }, frontDoor: { perIpLimits: true }, admin: { port: 0 } });
    const port = h.server.port;
    const bystander = h.client('bystander');
    await bystander.connect();
    const offer = JSON.parse((await signal(port, 'POST', SIGNAL)).body) as { id: string };
    expect([h.server.frontDoor.unjoinedFrom('127.0.0.1'), gateway().peerConnections]).toEqual([1, 1]);
    const closed = await signal(port, 'POST', `${SIGNAL}/${offer.id}/close`);
    expect(closed.status).toBe(200);
    // Long before the 10 s deadline: the log line comes with the close.
    expect(h.lines.filter(abandoned).map((l) => l.why)).toEqual(['the client closed it']);
    expect([h.server.frontDoor.unjoinedFrom('127.0.0.1'), gateway().attemptsPending, gateway().peerConnections]).toEqual([0, 0, 0]);
    // Asking again about the closed connection is answered too.
    expect((await signal(port, 'GET', `${SIGNAL}/${offer.id}/additional-candidates`)).body).toBe('[]');
    const metrics = (await signal(h.server.adminPort, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/^tickwire_webrtc_attempts_abandoned_total 1$/m);
    expect(metrics).toMatch(/^tickwire_webrtc_attempts_pending 0$/m);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
  });

  it('signalling shares the WebSocket path’s per-address limits: handshake rate, and the HTTP request rate', async () => {
    h = await startServer({
      webrtc: { enabled: true },
      frontDoor: { perIpLimits: true, handshakesPerSecondPerIp: 2, httpRequestsPerSecondPerIp: 4 },
    });
    const port = h.server.port;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await signal(port, 'POST', SIGNAL));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429]); // a 2 s burst of handshakes
    expect(answers[4].body).toBe('too many handshakes from 127.0.0.1: at most 2/s\n');
    expect(await upgradeStatus(h.url)).toBe(429); // the same bucket
    // Every signalling request, whatever its path, draws on the request rate (burst 8).
    const more = [];
    for (let i = 0; i < 4; i++) more.push((await signal(port, 'GET', `${SIGNAL}/${'x'.repeat(24)}/additional-candidates`)).status);
    expect(more).toEqual([200, 200, 200, 429]);
    h.clock.advance(60_000);
    // The four admitted attempts still hold their slots until their deadline: a fifth is refused by count, not rate.
    expect(h.server.frontDoor.unjoinedFrom('127.0.0.1')).toBe(4);
  });

  it('caps attempts pending over all addresses (503 past webrtc.maxPendingAttempts), and an ended one makes room', async () => {
    h = await startServer({ webrtc: { enabled: true, maxPendingAttempts: 2 }, frontDoor: { perIpLimits: true } });
    const port = h.server.port;
    const first = JSON.parse((await signal(port, 'POST', SIGNAL)).body) as { id: string };
    expect((await signal(port, 'POST', SIGNAL)).status).toBe(200);
    const third = await signal(port, 'POST', SIGNAL);
    expect([third.status, third.body]).toEqual([503, 'too many WebRTC connections being set up (2): try again shortly\n']);
    expect([h.server.frontDoor.unjoinedFrom('127.0.0.1'), gateway().peerConnections]).toEqual([2, 2]);
    await signal(port, 'POST', `${SIGNAL}/${first.id}/close`);
    expect((await signal(port, 'POST', SIGNAL)).status).toBe(200);
    expect(gateway().peerConnections).toBe(2);
  });

  it('a chunked 10 MiB body is refused with 413 after at most one socket read past 64 KiB, and geckos never sees it', async () => {
    h = await startServer({ webrtc: { enabled: true }, frontDoor: { perIpLimits: true } });
    const bystander = h.client('bystander');
    await bystander.connect();
    const result = await streamChunked(h.server.port, 10 * 1024 * 1024);
    expect(result.status).toBe(413);
    expect(result.body).toBe('a signalling body is at most 65536 bytes\n');
    const line = h.lines.find((l) => l.msg === 'webrtc signalling body over the limit')!;
    // The cap is crossed by the chunk that carries byte 65,537; that chunk is the last one read.
    expect(line.bytesRead).toBeGreaterThan(64 * 1024);
    expect(line.bytesRead).toBeLessThanOrEqual(128 * 1024);
    expect(gateway().bodyBytesRead).toBe(line.bytesRead);
    expect(result.written).toBeLessThan(10 * 1024 * 1024);
    // Nothing was admitted or made.
    expect([gateway().bodiesRefused, gateway().attemptsPending, gateway().peerConnections]).toEqual([1, 0, 0]);
    expect(h.server.frontDoor.unjoinedFrom('127.0.0.1')).toBe(0);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
  });

  it('a body whose headers lie is refused before it is read: Content-Length over the cap (413), or beside Transfer-Encoding (400)', async () => {
    h = await startServer({ webrtc: { enabled: true }, frontDoor: { perIpLimits: true } });
    const port = h.server.port;
    const bystander = h.client('bystander');
    await bystander.connect();
    const raw = async (head: string) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      await once(s, 'connect');
      let got = '';
      s.on('data', (d) => (got += d));
      s.write(head);
      // A few bytes of the promised body, and then nothing: the answer must not wait for it.
      s.write('a'.repeat(1000));
      await once(s, 'close');
      return got;
    };
    const big = await raw(`POST ${SIGNAL} HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 413 /);
    expect(big).toMatch(/a signalling body is at most 65536 bytes\n$/);
    expect(h.lines.find((l) => l.msg === 'webrtc signalling body over the limit')?.bytesRead).toBe(0);
    // Node's parser refuses the request-smuggling pair itself, before any handler runs.
    const both = await raw(`POST ${SIGNAL} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n`);
    expect(both).toMatch(/^HTTP\/1\.1 400 /);
    expect([gateway().bodyBytesRead, gateway().attemptsPending, gateway().peerConnections]).toEqual([0, 0, 0]);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
  });
});
