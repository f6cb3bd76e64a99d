/** A minimal typed event emitter that runs in browsers and Node alike. */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners: { [K in keyof Events]?: ((...args: Events[K]) => void)[] } = {};

  /**
   * Subscribe; returns the unsubscribe function, which removes this subscription only (the same
   * function subscribed twice is called twice and must be removed twice).
   */
  on<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): () => void {
    // Copy on write, here and in off(): an emit in progress keeps iterating the array it began
    // with, so listeners added or removed by a listener take effect from the next emit, and a
    // listener removing itself (as once-style listeners do) never makes the next one skipped.
    this.listeners[event] = [...(this.listeners[event] ?? []), fn];
    let subscribed = true;
    return () => {
      if (subscribed) this.off(event, fn);
      subscribed = false;
    };
  }

  /** Remove one subscription of `fn` (the most recent, if it was added more than once). */
  off<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): void {
    const list = this.listeners[event];
    const at = list ? list.lastIndexOf(fn) : -1;
    if (at >= 0) this.listeners[event] = list!.slice(0, at).concat(list!.slice(at + 1));
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const list = this.listeners[event];
    if (list) for (let i = 0; i < list.length; i++) list[i](...args);
  }
}
