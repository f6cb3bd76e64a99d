import { describe, expect, it } from 'vitest';
import { ConnectAttempts, type AttemptTimers } from '../../src/transport/webrtc/connect-attempts';

/** Timers driven by hand: `advance(ms)` runs what falls due, in order. */
function fakeTimers() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: AttemptTimers & { advance(ms: number): void; count(): number } = {
    setTimeout(fn, ms) {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const first = [...due.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!first) break;
        due.delete(first[0]);
        now = first[1].at;
        first[1].fn();
      }
      now = until;
    },
    count: () => due.size,
  };
  return timers;
}

function setup(deadlineMs = 10_000) {
  const timers = fakeTimers();
  const released: [string, string][] = [];
  const attempts = new ConnectAttempts(timers, deadlineMs, (a, why) => released.push([a.ip, why]));
  return { timers, released, attempts };
}

describe('ConnectAttempts: every admitted attempt ends exactly once', () => {
  it('gives the count back and runs the cleanup once when the deadline passes with no channel', () => {
    const { timers, released, attempts } = setup();
    const a = attempts.start('10.0.0.1');
    let cleaned = 0;
    a.bindCleanup(() => cleaned++);
    timers.advance(9_999);
    expect([released.length, cleaned, a.state, attempts.pending]).toEqual([0, 0, 'pending', 1]);
    timers.advance(1);
    expect(released).toEqual([['10.0.0.1', 'no channel within 10000 ms']]);
    expect([cleaned, a.state, attempts.pending, attempts.abandonedTotal]).toEqual([1, 'abandoned', 0, 1]);
    // A late failure, a late open, a second abandon: nothing more comes back.
    a.abandon('connection failed');
    expect(a.opened()).toBe(false);
    timers.advance(60_000);
    expect([released.length, cleaned, attempts.abandonedTotal]).toEqual([1, 1, 1]);
  });

  it('an opened attempt is handed over: no release, no cleanup, its deadline is off', () => {
    const { timers, released, attempts } = setup();
    const a = attempts.start('10.0.0.1');
    let cleaned = 0;
    a.bindCleanup(() => cleaned++);
    expect(a.opened()).toBe(true);
    expect(a.opened()).toBe(true); // asking again changes nothing
    expect([a.state, attempts.pending, timers.count()]).toEqual(['opened', 0, 0]);
    a.abandon('connection closed'); // the channel's own close is the session's business now
    timers.advance(20_000);
    expect([released.length, cleaned, a.state]).toEqual([0, 0, 'opened']);
  });

  it('a failure before the deadline releases at once and cancels the deadline', () => {
    const { timers, released, attempts } = setup();
    const a = attempts.start('10.0.0.2');
    a.abandon('connection failed');
    expect(released).toEqual([['10.0.0.2', 'connection failed']]);
    expect(timers.count()).toBe(0);
    timers.advance(20_000);
    expect(released.length).toBe(1);
  });

  it('a cleanup bound after the attempt was abandoned runs at once (the peer connection came late)', () => {
    const { timers, attempts } = setup(50);
    const a = attempts.start('10.0.0.3');
    timers.advance(50);
    let cleaned = 0;
    a.bindCleanup(() => cleaned++);
    expect(cleaned).toBe(1);
  });

  it('a cleanup that throws still gives the count back', () => {
    const { released, attempts } = setup();
    const a = attempts.start('10.0.0.4');
    a.bindCleanup(() => {
      throw new Error('already closed');
    });
    a.abandon('connection failed');
    expect(released.length).toBe(1);
  });

  it('counts many attempts per address apart, and abandonAll ends only the pending ones', () => {
    const { timers, released, attempts } = setup(1000);
    const a = Array.from({ length: 12 }, (_, i) => attempts.start(`10.0.0.${i % 3}`));
    a[0].opened();
    a[1].abandon('connection failed');
    expect(attempts.pending).toBe(10);
    timers.advance(500);
    attempts.abandonAll('the server is shutting down');
    expect(attempts.pending).toBe(0);
    expect(released.length).toBe(11);
    expect(released.filter(([, why]) => why === 'the server is shutting down').length).toBe(10);
    timers.advance(1000);
    expect([released.length, timers.count()]).toEqual([11, 0]);
  });

  it('refuses a deadline that is not positive', () => {
    expect(() => new ConnectAttempts(fakeTimers(), 0, () => {})).toThrow(/deadline must be > 0 ms/);
  });
});
