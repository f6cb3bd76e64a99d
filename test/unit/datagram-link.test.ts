import { describe, expect, it } from 'vitest';
import { nextU32, type RngState } from '../../shared/math/prng';
import { DatagramLink } from '../../shared/datagram/datagram-link';
import { ManualScheduler } from '../../src/loop/timers';

/** Two links joined by a lossy, reordering, duplicating pipe on manual time. */
function pair(loss: number, seed = 1, duplicate = 0.05) {
  const time = new ManualScheduler(0);
  const rng: RngState = { rng: seed };
  const rand = () => nextU32(rng) / 2 ** 32;
  let lost = 0;
  const pipe = (to: () => DatagramLink) => (d: Uint8Array) => {
    if (rand() < loss) {
      lost++;
      return;
    }
    const copies = rand() < duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) time.setTimeout(() => to().receive(d), 20 + rand() * 40); // 20-60 ms: reorders
  };
  const a: DatagramLink = new DatagramLink(
    pipe(() => b),
    time,
  );
  const b: DatagramLink = new DatagramLink(
    pipe(() => a),
    time,
  );
  return { time, a, b, lost: () => lost };
}

describe('DatagramLink: reliable and ordered over a channel that is neither', () => {
  it('delivers every reliable message once and in order through 20 % loss, duplication and reordering', () => {
    const { time, a, b, lost } = pair(0.2);
    const got: number[] = [];
    const loose: number[] = [];
    b.onMessage = (m) => (m[0] === 1 ? got.push(m[1] | (m[2] << 8)) : loose.push(m[1]));
    for (let i = 0; i < 400; i++) {
      a.sendReliable(Uint8Array.of(1, i & 0xff, i >> 8));
      a.sendUnreliable(Uint8Array.of(2, i & 0xff));
      time.advance(5);
    }
    time.advance(20_000);
    expect(got).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(lost()).toBeGreaterThan(100);
    expect(a.stats.retransmits).toBeGreaterThan(50);
    expect(a.allAcked).toBe(true);
    expect(a.unackedBytes).toBe(0);
    // Unreliable ones are sent once: some are lost, none is held back for the others.
    expect(loose.length).toBeGreaterThan(250);
    expect(loose.length).toBeLessThan(400 * 1.1);
    expect(a.srttMs).toBeGreaterThan(40);
    expect(a.srttMs).toBeLessThan(130);
  });

  it('delivers a close after everything sent before it, with its code and reason', () => {
    const { time, a, b } = pair(0.3, 7);
    const events: string[] = [];
    b.onMessage = (m) => events.push(`m${m[0]}`);
    b.onClose = (code, reason) => events.push(`close ${code} ${reason}`);
    for (let i = 1; i <= 5; i++) a.sendReliable(Uint8Array.of(i));
    a.sendClose(4001, 'malformed message: ünïcode');
    time.advance(20_000);
    expect(events).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'close 4001 malformed message: ünïcode']);
  });

  it('answers pings, and refuses malformed datagrams with a WireError', () => {
    const { time, a, b } = pair(0, 1, 0);
    let pongs = 0;
    a.onPong = () => pongs++;
    a.ping();
    time.advance(200);
    expect(pongs).toBe(1);
    expect(() => b.receive(Uint8Array.of(9))).toThrow(/unknown datagram kind/);
    expect(() => b.receive(Uint8Array.of(1, 0, 1))).toThrow(/start at 1/);
    expect(() => b.receive(Uint8Array.of(2, 1))).toThrow();
    expect(() => b.receive(Uint8Array.of(1, 0xe8, 0x07, 1))).toThrow(/ahead/); // seq 1000 with 1 expected
  });
});
