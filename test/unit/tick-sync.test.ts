import { describe, expect, it } from 'vitest';
import { MAX_RATE_ADJUST, TickSync } from '../../src/sdk/tick-sync';

const TICK_MS = 1000 / 30;

describe('TickSync: the input clock', () => {
  it('starts a round trip and a cushion ahead of the server, and says how many inputs are due', () => {
    const sync = new TickSync(30);
    sync.start(0, 100, 60); // the WELCOME said tick 100 and took 60 ms to come back
    expect(sync.nextTick).toBe(Math.floor(100 + (60 + 4) / TICK_MS + 1));
    const first = sync.nextTick;
    expect(sync.due(0)).toBe(1);
    sync.nextTick++; // sent
    expect(sync.due(TICK_MS * 0.05)).toBe(0); // the clock started 0.92 of a tick into its tick
    expect(sync.due(3 * TICK_MS)).toBe(3);
    expect(sync.due(10 * TICK_MS, 2)).toBe(2); // more than the cap: the oldest are skipped
    expect(sync.nextTick).toBe(first + 9);
  });

  it('runs slower while inputs arrive earlier than the target, and faster while they are late, by at most 8 %', () => {
    const early = new TickSync(30);
    early.start(0, 0, 0);
    for (let t = 1; t <= 60; t++) early.onLead(60, t * TICK_MS);
    expect(early.rate).toBeLessThan(1);
    expect(early.rate).toBeGreaterThanOrEqual(1 - MAX_RATE_ADJUST);
    const late = new TickSync(30);
    late.start(0, 0, 0);
    for (let t = 1; t <= 60; t++) late.onLead(-20, t * TICK_MS);
    expect(late.rate).toBeGreaterThan(1);
    expect(late.rate).toBeLessThanOrEqual(1 + MAX_RATE_ADJUST);
  });

  it('jumps ahead when inputs keep coming more than 3 ticks late (the path got slower), not for one late report', () => {
    const sync = new TickSync(30);
    sync.start(0, 0, 0);
    sync.onLead(5, 100);
    const before = sync.due(100);
    sync.onLead(-200, 110); // one report six ticks late: a transient, steered for
    expect(sync.jumps).toBe(0);
    expect(sync.rate).toBeGreaterThan(1);
    for (let t = 120; t < 300 && sync.jumps === 0; t += 10) sync.onLead(-200, t);
    expect(sync.jumps).toBe(1);
    expect(sync.due(300) - before).toBeGreaterThanOrEqual(5);
  });

  it('widens the cushion with the spread of the leads: jitter, and the gaps a lost message leaves', () => {
    const steady = new TickSync(30);
    const lossy = new TickSync(30);
    steady.start(0, 0, 0);
    lossy.start(0, 0, 0);
    for (let t = 1; t <= 300; t++) {
      steady.onLead(30 + ((t * 7) % 11) - 5, t * TICK_MS); // ±5 ms
      lossy.onLead(30 + (t % 10 === 0 ? -TICK_MS : 0), t * TICK_MS); // a lost message in ten
    }
    expect(steady.targetLeadMs).toBeLessThan(15);
    expect(lossy.targetLeadMs).toBeGreaterThan(TICK_MS);
  });
});

describe('TickSync: the server clock from pongs', () => {
  it('takes the fastest of recent round trips, follows drift smoothly, and never goes back', () => {
    const sync = new TickSync(30);
    // The server's tick 0 was at local 1000 ms. Pongs with varying round trips.
    const pong = (sentAt: number, rtt: number) => sync.onPong(sentAt, sentAt + rtt, (sentAt + rtt / 2 - 1000) / TICK_MS);
    pong(2000, 80);
    expect(sync.rttMs).toBe(80);
    pong(3000, 40);
    pong(4000, 300); // a slow one does not move the estimate
    expect(sync.rttMs).toBe(40);
    expect(sync.rttJitterMs).toBeGreaterThan(0);
    expect(sync.serverTickAt(4500)).toBeCloseTo((4500 - 1000) / TICK_MS, 3);
    // The server now seems 200 ms behind (a better path was found the other way): slewed, not jumped.
    let last = sync.serverTickAt(4500);
    sync.onPong(5000, 5040, (5020 - 1200) / TICK_MS);
    for (let now = 5040; now < 12000; now += 16) {
      const tick = sync.serverTickAt(now);
      expect(tick).toBeGreaterThanOrEqual(last);
      last = tick;
    }
    expect(sync.serverTickAt(12000)).toBeCloseTo((12000 - 1200) / TICK_MS, 1);
  });
});
