/**
 * How many unclaimed matchmaking reservations each address and each identity holds, counted at
 * the node that answered `POST /matchmake`. A place is taken when the request comes in (so
 * concurrent requests cannot slip past the limit together), becomes a hold when a seat is
 * reserved, and is given back when the seat is claimed here, when the hold lapses, or at once
 * when matchmaking failed. A seat held on another node and claimed there is given back when
 * its hold would have lapsed: the limit can only be stricter than the truth, never looser.
 */
export class ReservationQuota {
  /** Places taken per key (an address key or `user:<sub>`). */
  private readonly held = new Map<string, number>();
  /** Holds by reservation token: their keys and when they lapse (ms on the server clock). */
  private readonly holds = new Map<string, { keys: readonly string[]; expiresAt: number }>();

  /**
   * @param perAddress places one address (an IPv6 /64) may hold at once; 0 lifts the limit.
   * @param perIdentity places one identity may hold at once; 0 lifts the limit.
   */
  constructor(
    readonly perAddress: number,
    readonly perIdentity: number,
  ) {
    for (const [name, v] of Object.entries({ perAddress, perIdentity }))
      if (!(Number.isInteger(v) && v >= 0))
        throw new RangeError(`reservation limit ${name} must be a whole number ≥ 0 (0 lifts it), got ${v}`);
  }

  /** Places held under `key`. */
  count(key: string): number {
    return this.held.get(key) ?? 0;
  }

  /** Holds waiting to be claimed or to lapse. */
  get holdsOutstanding(): number {
    return this.holds.size;
  }

  /**
   * Take one place for a matchmaking request from `address` (and `userId`, when it came with a
   * token). Returns the keys to pass on ({@link hold} or {@link giveBack}), or a refusal sentence.
   */
  take(address: string, userId: string | undefined): { keys: string[] } | { refusal: string } {
    if (this.perAddress > 0 && this.count(address) >= this.perAddress)
      return {
        refusal: `too many unclaimed seats from ${address}: at most ${this.perAddress} at once; join with the ones you have, or wait for them to lapse`,
      };
    const userKey = userId === undefined ? undefined : `user:${userId}`;
    if (userKey && this.perIdentity > 0 && this.count(userKey) >= this.perIdentity)
      return { refusal: `too many unclaimed seats for this identity: at most ${this.perIdentity} at once` };
    const keys = userKey ? [address, userKey] : [address];
    for (const k of keys) this.held.set(k, this.count(k) + 1);
    return { keys };
  }

  /** Matchmaking failed: give the places back. */
  giveBack(keys: readonly string[]): void {
    for (const k of keys) {
      const n = this.count(k) - 1;
      if (n > 0) this.held.set(k, n);
      else this.held.delete(k);
    }
  }

  /** A seat was reserved under `token`: its places stay taken until it is claimed or `expiresAt`. */
  hold(token: string, keys: readonly string[], expiresAt: number): void {
    this.holds.set(token, { keys, expiresAt });
  }

  /** The reservation `token` was claimed on this node. */
  claimed(token: string): void {
    const h = this.holds.get(token);
    if (!h) return;
    this.holds.delete(token);
    this.giveBack(h.keys);
  }

  /** Give back the places of every hold that has lapsed by `now`. */
  prune(now: number): void {
    for (const [token, h] of this.holds) {
      if (h.expiresAt > now) continue;
      this.holds.delete(token);
      this.giveBack(h.keys);
    }
  }
}
