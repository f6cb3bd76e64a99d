/** A minimal typed event emitter that runs in browsers and Node alike. */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners: { [K in keyof Events]?: ((...args: Events[K]) => void)[] } = {};

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): () => void {
    (this.listeners[event] ??= []).push(fn);
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): void {
    const list = this.listeners[event];
    // Copy on write: an emit in progress keeps iterating the array it started with, so a
    // listener removing itself (as once-style listeners do) never makes the next one skipped.
    if (list) this.listeners[event] = list.filter((f) => f !== fn);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const list = this.listeners[event];
    if (list) for (let i = 0; i < list.length; i++) list[i](...args);
  }
}
