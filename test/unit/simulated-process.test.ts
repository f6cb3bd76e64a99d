import { describe, expect, it } from 'vitest';
import { SimulatedProcess } from '../../bench/netcode/simulated-process';
import { ManualScheduler } from '../../src/loop/timers';

describe('SimulatedProcess (the netcode bench server process)', () => {
  it('runs timers and I/O at their times when not stalled', () => {
    const time = new ManualScheduler(0);
    const proc = new SimulatedProcess(time);
    const seen: string[] = [];
    proc.timers.setTimeout(() => seen.push(`timer ${time.now()}`), 10);
    proc.io.setTimeout(() => seen.push(`io ${time.now()}`), 5);
    proc.timers.setImmediate(() => seen.push(`immediate ${time.now()}`));
    time.advance(20);
    expect(seen).toEqual(['immediate 0', 'io 5', 'timer 10']);
  });

  it('after a stall runs one event-loop turn: the late timers, then the I/O that waited, then setImmediate', () => {
    const time = new ManualScheduler(0);
    const proc = new SimulatedProcess(time);
    const seen: string[] = [];
    // A tick driver that defers a late wake-up behind the I/O, as TickwireServer's does.
    proc.timers.setTimeout(() => {
      seen.push(`timer ${time.now()}`);
      proc.timers.setImmediate(() => seen.push(`immediate ${time.now()}`));
    }, 100);
    proc.stall(500);
    proc.io.setTimeout(() => seen.push(`io ${time.now()}`), 200);
    proc.io.setTimeout(() => seen.push(`io2 ${time.now()}`), 300);
    time.advance(499);
    expect(seen).toEqual([]);
    time.advance(1);
    expect(seen).toEqual(['timer 500', 'io 500', 'io2 500', 'immediate 500']);
  });

  it('refuses a second stall before the first ends', () => {
    const proc = new SimulatedProcess(new ManualScheduler(0));
    proc.stall(10);
    expect(() => proc.stall(10)).toThrow(/already stalled/);
  });
});
