import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/loop/clock';
import { FixedStepLoop } from '../../src/loop/fixed-step-loop';

describe('FixedStepLoop under an injected clock', () => {
  it('runs one step per whole stepMs and carries the remainder', () => {
    const clock = new ManualClock(1000);
    let steps = 0;
    const loop = new FixedStepLoop({ stepMs: 1000 / 30 }, () => steps++);
    loop.start(clock.now());
    clock.advance(20);
    expect(loop.advance(clock.now())).toBe(0);
    clock.advance(20); // 40 ms: one step, 6.67 ms carried
    expect(loop.advance(clock.now())).toBe(1);
    for (let i = 0; i < 96; i++) {
      clock.advance(10); // 1 s in total, woken every 10 ms
      loop.advance(clock.now());
    }
    expect(steps).toBe(30);
    expect(loop.alpha).toBeCloseTo(0, 5);
  });

  it('keeps an exact long-run rate under jittery wake-ups', () => {
    const clock = new ManualClock();
    const loop = new FixedStepLoop({ stepMs: 1000 / 60 }, () => {});
    loop.start(0);
    const jitter = [3, 17, 9, 25, 1, 16, 33, 12];
    for (let i = 0; i < 800; i++) {
      clock.advance(jitter[i % jitter.length]);
      loop.advance(clock.now());
    }
    expect(loop.steps).toBe(Math.floor((clock.now() * 60) / 1000));
    expect(loop.overruns).toBe(0);
  });

  it('bounds catch-up after a stall and counts the overrun', () => {
    const clock = new ManualClock();
    let steps = 0;
    const loop = new FixedStepLoop({ stepMs: 10, maxCatchUpSteps: 5 }, () => steps++);
    loop.start(0);
    clock.advance(1000); // a 1 s stall: 100 steps owed
    expect(loop.advance(clock.now())).toBe(5);
    expect(loop.overruns).toBe(1);
    expect(loop.droppedSteps).toBe(95);
    clock.advance(10);
    expect(loop.advance(clock.now())).toBe(1); // back to normal, no backlog
    expect(steps).toBe(6);
  });

  it('reports the time until the next step', () => {
    const loop = new FixedStepLoop({ stepMs: 10 }, () => {});
    loop.start(0);
    loop.advance(4);
    expect(loop.msUntilNextStep()).toBeCloseTo(6);
    expect(() => new FixedStepLoop({ stepMs: 0 }, () => {})).toThrow(/stepMs/);
  });
});
