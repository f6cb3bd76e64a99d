import { describe, expect, it } from 'vitest';
import { workerPorts } from '../../src/cli/workers-primary';
import { addressSlot, isSignalling } from '../../src/cluster/sticky-front';
import { toDataChannelIceServers } from '../../src/transport/webrtc/webrtc-gateway';

describe('WebRTC under --workers', () => {
  it('gives each worker its own slice of --webrtc-ports (one port each when the range has one per worker)', () => {
    const range = { min: 50000, max: 50003 };
    expect([0, 1, 2, 3].map((i) => workerPorts(range, i, 4))).toEqual([
      { min: 50000, max: 50000 },
      { min: 50001, max: 50001 },
      { min: 50002, max: 50002 },
      { min: 50003, max: 50003 },
    ]);
    // Slices never overlap; a remainder stays unused.
    expect([0, 1].map((i) => workerPorts({ min: 40000, max: 40004 }, i, 2))).toEqual([
      { min: 40000, max: 40001 },
      { min: 40002, max: 40003 },
    ]);
    expect(workerPorts(undefined, 1, 2)).toBeUndefined();
  });

  it('routes signalling by address: every request of one client reaches the same worker', () => {
    expect(isSignalling(Buffer.from('POST /.wrtc/v2/connections HTTP/1.1\r\n'))).toBe(true);
    expect(isSignalling(Buffer.from('GET /.wrtc/v2/connections/abc/additional-candidates HTTP/1.1\r\n'))).toBe(true);
    expect(isSignalling(Buffer.from('GET /ws HTTP/1.1\r\n'))).toBe(false);
    expect(isSignalling(Buffer.from('GET /health HTTP/1.1\r\n'))).toBe(false);
    const a = addressSlot('203.0.113.7', 4);
    expect(addressSlot('203.0.113.7', 4)).toBe(a);
    const slots = new Set(Array.from({ length: 64 }, (_, i) => addressSlot(`10.0.0.${i}`, 4)));
    expect(slots.size).toBe(4); // spread over every worker
    for (const s of slots) expect(s >= 0 && s < 4).toBe(true);
  });
});

describe('ICE servers for node-datachannel', () => {
  it('flattens browser-style servers into one URL string each, credentials inside', () => {
    expect(
      toDataChannelIceServers([
        { urls: 'stun:stun.example.com:3478' },
        { urls: ['turn:turn.example.com:3478', 'turns:turn.example.com:5349'], username: 'u@x', credential: 'p:w' },
      ]),
    ).toEqual([
      { urls: 'stun:stun.example.com:3478' },
      { urls: 'turn:u%40x:p%3Aw@turn.example.com:3478' },
      { urls: 'turns:u%40x:p%3Aw@turn.example.com:5349' },
    ]);
  });
});
