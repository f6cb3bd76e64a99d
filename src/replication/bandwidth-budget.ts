import { REMOVED, type DeltaPlan } from '../../shared/replication/delta-codec';

/** Whose cut it is: the held-back creations it remembers (SharedTrim keeps one for the room). */
export interface PriorityView {
  /** Entity id → tick its creation was first held back (see {@link BandwidthBudget}). */
  readonly waitingSince: Map<number, number>;
}

/** Priority buckets: 2^(1/8) apart, the top one for the own entity. */
const BUCKETS = 256;
/**
 * Weight of a seated player's entity in a shared cut (×256, 64 buckets up): it goes before
 * anything fresher than 256 ticks (8.5 s at 30 Hz), so each client's own entity is nearly always
 * in the body its group shares, and still nothing starves.
 */
export const SEATED_BOOST = 256;

/**
 * Chooses what fits when a client's snapshot would exceed its byte allowance.
 *
 * Every change and every creation gets a priority: the kind's weight (`EntityKindSchema`
 * priority, default 1) × the ticks the client has gone without this entity's news + 1. The
 * ticks-without-news term is the accumulator: a row the budget held back keeps its old tick in
 * the client's record, so its priority grows every snapshot until it wins; a held-back creation
 * counts from when it was first held back. So nothing starves, fast-changing things go first,
 * and the client's own entity always goes. Removals always go: they are a few bits and stale
 * ghosts are worse than stale positions.
 *
 * The cut is by exact bit costs (the plan prices every entry), highest priority first, with
 * priorities ranked in log-scale buckets 9 % apart rather than sorted.
 *
 * Its one user is SharedTrim (a room without interest management; with interest, CellInterest
 * holds back whole cells by its own priority). A cut shared by a group of clients has no own
 * entity; instead every seated player's entity is weighted by {@link SEATED_BOOST}.
 */
export class BandwidthBudget {
  /** Per entry: a changed baseline row i, or a creation as −(c + 1). */
  private order = new Int32Array(64);
  private bucketOf = new Uint8Array(64);
  private readonly bucketBits = new Float64Array(BUCKETS);
  private priority = new Float64Array(64);
  private cost = new Float64Array(64);

  /** @param kindWeights per schema kind, its priority (`EntityKindSchema.priority`, default 1) */
  constructor(private readonly kindWeights: Float64Array) {}

  /**
   * Defer the lowest-priority entries of `plan` (not written yet) until the body fits in
   * `allowanceBits`. Returns how many entries were deferred (0 when everything fits). `seated`, when given, flags the current table's rows that are
   * seated players' entities (weighted by {@link SEATED_BOOST}); `ownId` −1 is no own entity.
   */
  fit(
    plan: DeltaPlan,
    allowanceBits: number,
    tick: number,
    ownId: number,
    replica: PriorityView,
    seated: Uint8Array | null = null,
  ): number {
    const baseline = plan.baseline!;
    const current = plan.current!;
    const n = plan.changed + plan.createdCount;
    if (this.order.length < n) {
      const size = Math.max(n, this.order.length * 2);
      this.order = new Int32Array(size);
      this.bucketOf = new Uint8Array(size);
      this.priority = new Float64Array(size);
      this.cost = new Float64Array(size);
    }
    // A held-back creation that left the view never clears itself: forget them all now and then.
    if (replica.waitingSince.size > 4096) replica.waitingSince.clear();
    // Entries: changed baseline rows as i, creations as -(c + 1).
    let k = 0;
    let candidateBits = 0;
    for (let i = 0; i < baseline.count; i++) {
      const mask = plan.masks[i];
      if (mask === 0 || mask === REMOVED) continue;
      const id = baseline.ids[i];
      const bits = plan.changeBits(i);
      this.order[k] = i;
      this.cost[k] = bits;
      this.priority[k] = id === ownId ? Infinity : this.score(current, plan.match[i], tick - baseline.ticks[i], seated);
      candidateBits += bits;
      k++;
    }
    for (let c = 0; c < plan.createdCount; c++) {
      const row = plan.created[c];
      const id = current.ids[row];
      let since = replica.waitingSince.get(id);
      if (since === undefined) since = tick;
      const bits = plan.createBits(c);
      this.order[k] = -(c + 1);
      this.cost[k] = bits;
      this.priority[k] = id === ownId ? Infinity : this.score(current, row, tick - since + 1, seated);
      candidateBits += bits;
      k++;
    }
    // Bits that go whatever is chosen: flags, counts, one bit per baseline row (two once
    // something is deferred), removals.
    const fixedBits = plan.fixedBits();
    if (fixedBits + candidateBits <= allowanceBits) return 0;
    let budget = allowanceBits - fixedBits - baseline.count;
    // Rank by priority without sorting: log-scale buckets (9 % wide), filled from the top.
    // O(entries), where a sort was the whole cost of a trimmed snapshot in a 1,000-entity room.
    const bucketOf = this.bucketOf;
    const bucketBits = this.bucketBits.fill(0);
    for (let e = 0; e < k; e++) {
      const p = this.priority[e];
      const b = p === Infinity ? BUCKETS - 1 : Math.max(0, Math.min(BUCKETS - 2, Math.floor(Math.log2(p) * 8) + 64));
      bucketOf[e] = b;
      bucketBits[b] += this.cost[e];
    }
    // The lowest bucket that goes whole, and what is left for the one below it.
    let cutoff = BUCKETS - 1;
    budget -= bucketBits[cutoff]; // the own entity goes whatever it costs
    while (cutoff > 0 && bucketBits[cutoff - 1] <= budget) {
      cutoff--;
      budget -= bucketBits[cutoff];
    }
    const partial = cutoff - 1;
    let deferred = 0;
    for (let e = 0; e < k; e++) {
      const b = bucketOf[e];
      const entry = this.order[e];
      if (b >= cutoff || (b === partial && this.cost[e] <= budget)) {
        if (b === partial) budget -= this.cost[e];
        if (entry < 0) replica.waitingSince.delete(current.ids[plan.created[-entry - 1]]);
        continue;
      }
      deferred++;
      if (entry >= 0) plan.deferChange(entry);
      else {
        const c = -entry - 1;
        plan.deferCreation(c);
        const id = current.ids[plan.created[c]];
        if (!replica.waitingSince.has(id)) replica.waitingSince.set(id, tick);
      }
    }
    return deferred;
  }

  private score(table: { kinds: Uint8Array }, row: number, staleTicks: number, seated: Uint8Array | null): number {
    const p = this.kindWeights[table.kinds[row]] * (Math.max(0, staleTicks) + 1);
    return seated !== null && seated[row] !== 0 ? p * SEATED_BOOST : p;
  }
}
