import * as wrtc from 'node-datachannel/polyfill';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Button, PlayerField } from '../../shared/games/arena';
import { CloseCode } from '../../shared/protocol/close-codes';
import { NetworkSimulator } from '../../src/sdk/network-simulator';
import type { WebRtcGateway } from '../../src/transport/webrtc/webrtc-gateway';
import { flush, nextEvent, startServer } from '../support/server-harness';

/** A UDP port free on this machine now (bound and released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '0.0.0.0', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** UDP sockets (IPv4 and IPv6) bound to `port` on this machine, from /proc/net/udp*. */
function udpSocketsOn(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) if (line.trim().split(/\s+/)[1]?.endsWith(hex)) n++;
  }
  return n;
}

/** Node has no RTCPeerConnection: the SDK installs node-datachannel's polyfill (a prebuilt binary, no compiler). */
const WRTC = {
  wrtc: {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
  },
};

describe('WebRTC beside WebSocket (geckos.io data channels, real sockets)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('a WebRTC player and a WebSocket player share a room: join, see each other, move, predict exactly', async () => {
    h = await startServer({ webrtc: { enabled: true } });
    const rtc = h.client('rtc', { transport: 'webrtc', webrtc: WRTC });
    const ws = h.client('ws');
    const wr = await rtc.connect();
    const ww = await ws.connect();
    expect(rtc.transport).toBe('webrtc');
    expect(ws.transport).toBe('ws');
    expect(ww.roomId).toBe(wr.roomId);
    const both = Promise.all([nextEvent(rtc, 'snapshot'), nextEvent(ws, 'snapshot')]);
    h.tick();
    await both;
    expect(rtc.players.get(ww.playerId)).toBe('ws');
    const room = h.server.rooms.rooms.get(wr.roomId)!;
    const me = (room.state as { players: { id: number; x: number; y: number }[] }).players.find((p) => p.id === wr.playerId)!;
    [me.x, me.y] = [3000, 3000];
    h.tick();
    await nextEvent(rtc, 'snapshot');
    let last = 0;
    for (let i = 0; i < 4; i++) last = rtc.sendInput({ buttons: Button.Right, aim: 0 });
    await flush(rtc);
    const acked = nextEvent(rtc, 'snapshot', (_t, ack) => ack >= last);
    const wsSees = nextEvent(ws, 'snapshot', (t) => t >= last);
    h.tick(4);
    await Promise.all([acked, wsSees]);
    expect(me.x).toBe(3000 + 4 * 64);
    expect(rtc.predicted!.x).toBe(me.x);
    expect(ws.latest.get(ws.latest.indexOf(wr.playerId), PlayerField.X)).toBe(me.x);
    expect(h.server.health().totals).toMatchObject({ inputsLate: 0 });
  });

  it("'auto' takes WebRTC when the server offers it, and falls back to WebSocket, saying why, when it does not", async () => {
    h = await startServer({ webrtc: { enabled: true } });
    const a = h.client('a', { transport: 'auto', webrtc: WRTC });
    const chose = nextEvent(a, 'transport');
    await a.connect();
    const [first] = await chose;
    expect(first).toEqual({ kind: 'webrtc', reason: 'connected' });
    const status = await fetch(`http://127.0.0.1:${h.server.port}/.wrtc/status`);
    expect([status.status, await status.json()]).toEqual([200, { webrtc: 'on' }]);
    await h.close();
    h = await startServer();
    // With WebRTC off the server says so: 200 on the status path, and a 404 with the same JSON
    // to a client that signals without asking.
    const off = await fetch(`http://127.0.0.1:${h.server.port}/.wrtc/status`);
    expect([off.status, off.headers.get('access-control-allow-origin'), await off.json()]).toEqual([200, '*', { webrtc: 'off' }]);
    const signalled = await fetch(`http://127.0.0.1:${h.server.port}/.wrtc/v2/connections`, { method: 'POST' });
    expect([signalled.status, await signalled.json()]).toEqual([404, { webrtc: 'off' }]);
    const b = h.client('b', { transport: 'auto', webrtc: WRTC });
    const chose2 = nextEvent(b, 'transport');
    await b.connect();
    const [choice] = await chose2;
    expect(choice.kind).toBe('ws');
    // The server says it has WebRTC off (a 200 on its status path): no error, and a sentence.
    expect(choice.reason).toBe('WebRTC is off on this server: playing over WebSocket');
    expect(b.transport).toBe('ws');
  });

  it("'auto' giving up on a WebRTC attempt whose ICE cannot complete tells the server, which frees the address's slot at once", async () => {
    // A client whose peer connection learns no candidate of the server's and tells none of its
    // own (a firewall that blocks UDP both ways): its ICE cannot complete. The server's deadline
    // is 10 s, and the wait for the log line below would fail the test long before it: only the
    // client's notice ends it.
    h = await startServer({ webrtc: { enabled: true }, frontDoor: { perIpLimits: true } });
    const withoutCandidates = (sdp: string | undefined) =>
      (sdp ?? '')
        .split('\r\n')
        .filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'))
        .join('\r\n');
    class Unreachable extends wrtc.RTCPeerConnection {
      override setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
        return super.setRemoteDescription({ type: d.type, sdp: withoutCandidates(d.sdp) });
      }
      override addIceCandidate(): Promise<void> {
        return Promise.resolve();
      }
      override get localDescription(): RTCSessionDescription {
        const d = super.localDescription;
        const init = { type: d.type, sdp: withoutCandidates(d.sdp) };
        return { ...init, toJSON: () => init } as RTCSessionDescription;
      }
    }
    const g = globalThis as { RTCPeerConnection?: unknown };
    const installed = g.RTCPeerConnection;
    g.RTCPeerConnection = Unreachable;
    const a = h.client('a', { transport: 'auto', webrtc: { ...WRTC, timeoutMs: 1500 } });
    const chose = nextEvent(a, 'transport');
    try {
      await a.connect();
    } finally {
      g.RTCPeerConnection = installed;
    }
    expect((await chose)[0]).toEqual({
      kind: 'ws',
      reason: 'WebRTC did not connect (no connection within 1500 ms): playing over WebSocket',
    });
    const abandoned = (l: { msg: string }) => l.msg === 'webrtc attempt abandoned';
    await h.logged(abandoned);
    expect(h.lines.filter(abandoned).map((l) => l.why)).toEqual(['the client closed it']);
    const gateway = h.server.webrtc as WebRtcGateway;
    expect([gateway.attemptsPending, gateway.peerConnections]).toEqual([0, 0]);
    // What is left of the address is the WebSocket player, joined.
    expect([h.server.frontDoor.openFrom('127.0.0.1'), h.server.frontDoor.unjoinedFrom('127.0.0.1')]).toEqual([1, 0]);
  });

  it('a one-port range carries every data channel: the connections share one UDP socket (ICE UDP mux)', async () => {
    const port = await freeUdpPort();
    h = await startServer({ webrtc: { enabled: true, portRange: { min: port, max: port } } });
    const clients = ['a', 'b', 'c'].map((name) => h.client(name, { transport: 'webrtc', webrtc: WRTC }));
    for (const c of clients) await c.connect();
    expect(clients.map((c) => c.transport)).toEqual(['webrtc', 'webrtc', 'webrtc']);
    const snaps = Promise.all(clients.map((c) => nextEvent(c, 'snapshot')));
    h.tick();
    await snaps;
    // Three open channels, one socket on the port (per address family it binds).
    expect(h.server.health().webrtc).toMatchObject({ channelsOpened: 3 });
    expect(udpSocketsOn(port)).toBeGreaterThanOrEqual(1);
    expect(udpSocketsOn(port)).toBeLessThanOrEqual(2);
  });

  it('survives loss, duplication and reordering on the data channel: every control message arrives, in order', async () => {
    h = await startServer({ webrtc: { enabled: true } });
    // The SDK's simulator on the WebRTC link: unordered, 20 % of snapshots, inputs and acks lost.
    const net = new NetworkSimulator({
      ordered: false,
      up: { latencyMs: 5, jitterMs: 5, loss: 0.2, duplicate: 0.05, reorder: 0.1 },
      down: { latencyMs: 5, jitterMs: 5, loss: 0.2, duplicate: 0.05, reorder: 0.1 },
      seed: 9,
    });
    const a = h.client('a', { transport: 'webrtc', webrtc: WRTC, network: net });
    const watchers = [h.client('w1'), h.client('w2'), h.client('w3')];
    await a.connect();
    // Roster changes (reliable) while snapshots (unreliable) are lost around them.
    const joined: string[] = [];
    a.on('playerJoined', (p) => joined.push(p.name));
    for (const w of watchers) {
      await w.connect();
      h.tick();
    }
    // 60 ticks: about 13 of the snapshots down are lost, so "more than 5" is far from the mean
    // whichever way the seeded draws fall (with 30 it sat at the mean, and the extra sends of
    // changed inputs on a lossy link shift the draws).
    for (let i = 0; i < 60; i++) {
      a.sendInput({ buttons: Button.Down, aim: 0 });
      await flush(a);
      h.tick();
    }
    await flush(a); // every roster message is in: control messages overtake nothing, and nothing overtakes them
    expect(joined).toEqual(['w1', 'w2', 'w3']);
    expect(net.counters.down.lost).toBeGreaterThan(5);
    expect(a.stats.snapshots).toBeGreaterThan(15);
    // A fifth of snapshots and inputs lost: the rest still decode (deltas against acknowledged
    // baselines), and the walk went on.
    expect(a.stats.snapshotsUndecodable).toBe(0);
    expect(a.state).toBe(2); // Open: nothing broke
  });

  it('a hostile data channel (malformed, oversized, flooding) closes only itself, with the code in an ERROR', async () => {
    h = await startServer({ webrtc: { enabled: true }, messagesPerSecond: 50, messageBurst: 50 });
    const bystander = h.client('bystander');
    await bystander.connect();
    const bad = h.client('bad', { transport: 'webrtc', webrtc: WRTC, reconnect: false });
    await bad.connect();
    const errors: number[] = [];
    bad.on('serverError', (e) => errors.push(e.code));
    const closed = nextEvent(bad, 'close');
    bad.sendRaw(Uint8Array.of(0x10, 0, 0, 0)); // an INPUT with seq 0: malformed
    expect((await closed)[0].code).toBe(CloseCode.MalformedMessage);
    expect(errors).toEqual([CloseCode.MalformedMessage]);
    const big = h.client('big', { transport: 'webrtc', webrtc: WRTC, reconnect: false });
    await big.connect();
    const bigClosed = nextEvent(big, 'close');
    big.sendRaw(new Uint8Array(4000).fill(0x0f));
    expect((await bigClosed)[0].code).toBe(1009);
    const flood = h.client('flood', { transport: 'webrtc', webrtc: WRTC, reconnect: false });
    await flood.connect();
    const floodClosed = nextEvent(flood, 'close');
    for (let i = 0; i < 200; i++) flood.ping();
    expect((await floodClosed)[0].code).toBe(CloseCode.RateLimited);
    // The bystander plays on.
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
    expect(bystander.state).toBe(2);
  });

  it('a seat taken over WebRTC comes back over WebSocket (a resume across a transport switch), and the other way', async () => {
    h = await startServer({ webrtc: { enabled: true } });
    const a = h.client('a', { transport: 'webrtc', webrtc: WRTC, reconnect: false });
    const wa = await a.connect();
    h.tick();
    // The link dies with no goodbye: the server notices when heartbeats go unanswered (15 s of
    // its manual time) and holds the seat.
    a.killLink();
    h.tick(16 * 30);
    await h.drops(1);
    const b = h.client('b', { transport: 'ws', resumeToken: wa.resumeToken, reconnect: false });
    const wb = await b.connect();
    expect([wb.resumed, wb.playerId, wb.roomId]).toEqual([true, wa.playerId, wa.roomId]);
    b.killLink();
    await h.drops(2);
    const c = h.client('c', { transport: 'webrtc', webrtc: WRTC, resumeToken: wb.resumeToken });
    const wc = await c.connect();
    expect([wc.resumed, wc.playerId, c.transport]).toEqual([true, wa.playerId, 'webrtc']);
  });
});
