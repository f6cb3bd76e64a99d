import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/sdk/emitter';

class Source extends Emitter<{ ping: [number] }> {
  fire(n: number) {
    this.emit('ping', n);
  }
}

describe('Emitter', () => {
  it('still calls the next listener when one removes itself during emit', () => {
    const src = new Source();
    const calls: string[] = [];
    const off = src.on('ping', () => {
      calls.push('once');
      off();
    });
    src.on('ping', (n) => calls.push(`after ${n}`));
    src.fire(1);
    src.fire(2);
    expect(calls).toEqual(['once', 'after 1', 'after 2']);
  });

  it('unsubscribes only the given listener', () => {
    const src = new Source();
    const got: number[] = [];
    const a = (n: number) => got.push(n);
    src.on('ping', a);
    src.on('ping', (n) => got.push(n * 10));
    src.off('ping', a);
    src.off('ping', () => {}); // unknown: no effect
    src.fire(3);
    expect(got).toEqual([30]);
  });

  it('does not call a listener added during an emit until the next emit', () => {
    const src = new Source();
    const calls: string[] = [];
    src.on('ping', (n) => {
      calls.push(`first ${n}`);
      if (n === 1) src.on('ping', (m) => calls.push(`added ${m}`));
    });
    src.fire(1);
    src.fire(2);
    expect(calls).toEqual(['first 1', 'first 2', 'added 2']);
  });

  it('removes one subscription at a time when a listener is added twice', () => {
    const src = new Source();
    let calls = 0;
    const fn = () => void calls++;
    const offFirst = src.on('ping', fn);
    src.on('ping', fn);
    offFirst();
    offFirst(); // a second call of the same unsubscribe is a no-op
    src.fire(1);
    expect(calls).toBe(1);
    src.off('ping', fn);
    src.fire(2);
    expect(calls).toBe(1);
  });
});
