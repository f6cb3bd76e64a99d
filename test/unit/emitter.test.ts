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
});
