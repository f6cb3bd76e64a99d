/**
 * Chat line ids that sort in time order as plain strings: 9 base-36 digits of the ms timestamp,
 * 4 of a counter within that ms, then the node's id (so two nodes never make the same id, and
 * lines of one ms on two nodes still sort). History pages walk back with `id < before`.
 */
export class ChatIdSource {
  private lastMs = -1;
  private seq = 0;
  private readonly suffix: string;

  constructor(nodeId: string) {
    this.suffix = `-${nodeId}`;
  }

  /** An id for a line taken at `atMs` (ms since the epoch; a clock that steps back is held at the last value). */
  next(atMs: number): string {
    const ms = Math.max(atMs, this.lastMs);
    if (ms === this.lastMs) this.seq++;
    else {
      this.lastMs = ms;
      this.seq = 0;
    }
    return ms.toString(36).padStart(9, '0') + this.seq.toString(36).padStart(4, '0') + this.suffix;
  }
}
