import { describe, expect, it } from 'vitest';
import { MessageType } from '../../shared/protocol/message-types';
import { ManualScheduler } from '../../src/loop/timers';
import { NetworkSimulator, type NetworkSimulatorOptions } from '../../src/sdk/network-simulator';
import type { WebSocketLike } from '../../src/sdk/socket-like';

/** A fake socket that records what reaches it and lets the test push messages at the client. */
class FakeSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: number[] = [];
  send(data: Uint8Array): void {
    this.sent.push(data[1]);
  }
  close(): void {}
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
}

/** One simulated link: what the client receives (second byte = a sequence number) and when. */
function link(options: NetworkSimulatorOptions) {
  const time = new ManualScheduler(0);
  const net = new NetworkSimulator({ ...options, clock: time, timers: time });
  const server = new FakeSocket();
  const client = net.wrap(() => server)('x');
  const got: { seq: number; at: number }[] = [];
  client.onmessage = (ev) => got.push({ seq: (ev.data as Uint8Array)[1], at: time.now() });
  server.open();
  time.advance(1000);
  /** The server sends 200 messages of `type`, one every 10 ms. */
  const stream = (type: number) => {
    for (let i = 0; i < 200; i++) {
      server.onmessage!({ data: Uint8Array.of(type, i) });
      time.advance(10);
    }
    time.advance(5000);
  };
  return { time, net, server, client, got, stream };
}

describe('NetworkSimulator', () => {
  it('delays each message by the latency ± the jitter, and keeps a TCP link in order', () => {
    const l = link({ down: { latencyMs: 100, jitterMs: 30 } });
    l.stream(MessageType.Snapshot);
    expect(l.got.map((g) => g.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const delays = l.got.map((g, i) => g.at - (1000 + i * 10));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(70);
    expect(Math.max(...delays)).toBeLessThanOrEqual(130 + 10); // in order: a few wait for an earlier, slower one
  });

  it('on TCP, a loss is a retransmission a round trip later that holds up what follows, never a gap', () => {
    const l = link({ down: { latencyMs: 50, loss: 0.1 } });
    l.stream(MessageType.Snapshot);
    expect(l.got.map((g) => g.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(l.net.counters.down.retransmitted).toBeGreaterThan(8);
    expect(Math.max(...l.got.map((g, i) => g.at - (1000 + i * 10)))).toBeGreaterThanOrEqual(150);
  });

  it('on an unreliable channel, loses, duplicates and reorders snapshots as set, but never control messages', () => {
    const l = link({ ordered: false, down: { latencyMs: 50, jitterMs: 20, loss: 0.1, duplicate: 0.05, reorder: 0.05 } });
    l.stream(MessageType.Snapshot);
    const seqs = l.got.map((g) => g.seq);
    const distinct = new Set(seqs).size;
    expect(200 - distinct).toBe(l.net.counters.down.lost);
    expect(l.net.counters.down.lost).toBeGreaterThan(10);
    expect(seqs.length - distinct).toBe(l.net.counters.down.duplicated);
    expect(seqs.some((s, i) => i > 0 && s < seqs[i - 1])).toBe(true); // reordered
    const control = link({ ordered: false, down: { latencyMs: 50, jitterMs: 20, loss: 0.5, duplicate: 0.5, reorder: 0.5 } });
    control.stream(MessageType.PlayerJoined);
    expect(control.got.map((g) => g.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('repeats exactly for a seed, and differs for another', () => {
    const run = (seed: number) => {
      const l = link({ seed, ordered: false, down: { latencyMs: 50, jitterMs: 20, loss: 0.1 } });
      l.stream(MessageType.Snapshot);
      return l.got.map((g) => `${g.seq}@${g.at.toFixed(3)}`).join(',');
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });

  it('a stall holds everything, in flight or sent during it, and lets it through in order when it ends', () => {
    const l = link({ down: { latencyMs: 40 } });
    l.server.onmessage!({ data: Uint8Array.of(MessageType.Snapshot, 1) });
    l.time.advance(20);
    l.net.stall(200);
    l.server.onmessage!({ data: Uint8Array.of(MessageType.Snapshot, 2) });
    l.time.advance(199);
    expect(l.got).toEqual([]);
    l.time.advance(1);
    expect(l.got).toEqual([
      { seq: 1, at: 1220 },
      { seq: 2, at: 1220 },
    ]);
  });

  it('a spike makes messages sent during it later by the extra delay; the link then recovers', () => {
    const l = link({ up: { latencyMs: 30 } });
    const send = (seq: number) => l.client.send(Uint8Array.of(MessageType.Input, seq));
    const arrivals: number[] = [];
    l.server.send = (d: Uint8Array) => void arrivals.push(l.time.now() - 1000 - d[1] * 10);
    l.net.spike(25, 100, 'up');
    for (let i = 0; i < 6; i++) {
      send(i);
      l.time.advance(10);
    }
    l.time.advance(500);
    // Sent at 0, 10, 20 ms: 130 ms each; then 30 ms, but TCP keeps them behind the spike's last.
    expect(arrivals).toEqual([130, 130, 130, 120, 110, 100]);
  });

  it("keeps an ordered link in order even when the host's timers round their delays (as Node's do)", () => {
    const time = new ManualScheduler(0);
    // Whole-millisecond timers counted from a stale "loop time": a later, shorter timer can fire first.
    const coarse = {
      setTimeout: (fn: () => void, ms: number) => time.setTimeout(fn, Math.floor(ms)),
      clearTimeout: (h: unknown) => time.clearTimeout(h),
    };
    const net = new NetworkSimulator({ down: { latencyMs: 50, jitterMs: 20 }, clock: time, timers: coarse, seed: 3 });
    const server = new FakeSocket();
    const client = net.wrap(() => server)('x');
    const got: number[] = [];
    client.onmessage = (ev) => got.push((ev.data as Uint8Array)[1]);
    server.open();
    for (let i = 0; i < 100; i++) {
      server.onmessage!({ data: Uint8Array.of(MessageType.PlayerJoined, i) });
      time.advance(0.37);
    }
    time.advance(200);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
