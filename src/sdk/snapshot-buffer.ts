import { EntityTable } from '../../shared/replication/entity-table';
import type { EntitySchema, FieldLerp } from '../../shared/replication/entity-schema';

/** Interpolated entities: like an {@link EntityTable} but with fractional values. */
export class InterpolatedView {
  count = 0;
  ids = new Uint32Array(64);
  kinds = new Uint8Array(64);
  values: Float64Array;
  constructor(readonly stride: number) {
    this.values = new Float64Array(64 * stride);
  }
  get(row: number, field: number): number {
    return this.values[row * this.stride + field];
  }
  /** Ensure room for `rows` rows. */
  reserve(rows: number): void {
    if (rows <= this.ids.length) return;
    const n = Math.max(rows, this.ids.length * 2);
    this.ids = new Uint32Array(n);
    this.kinds = new Uint8Array(n);
    this.values = new Float64Array(n * this.stride);
  }
}

const LERP = { none: 0, linear: 1, angle16: 2 } as const;

/**
 * The last few snapshots, for drawing remote entities smoothly *between* them.
 *
 * ```
 * snapshots:   ──[T-3]──────[T-2]──────[T-1]──────[T]──► server ticks
 * render at:                    ▲ renderTick = serverTick − delay
 *                          a=[T-2] ··· b=[T-1], t = how far from a to b
 * ```
 * Rendering a little in the past means there is (almost) always a newer snapshot to move towards,
 * so remote entities glide instead of stepping at the snapshot rate. Slots are preallocated and
 * reused: pushing and sampling allocate nothing.
 */
export class SnapshotBuffer {
  private readonly tables: EntityTable[];
  private readonly ticks: Float64Array;
  private head = 0;
  /** Snapshots held. */
  size = 0;
  private readonly lerps: Uint8Array[];
  /** Per kind: the fields with jumpBits, and those bits (see FieldSchema.jumpBits). */
  private readonly jumpFields: Uint8Array[];
  private readonly jumpMasks: Uint32Array[];

  constructor(readonly schema: EntitySchema, readonly capacity = 32) {
    this.tables = Array.from({ length: capacity }, () => new EntityTable(schema));
    this.ticks = new Float64Array(capacity);
    this.lerps = schema.kinds.map((k) => Uint8Array.from(k.fields.map((f) => LERP[(f.lerp ?? 'none') as FieldLerp])));
    const jumpy = schema.kinds.map((k) => k.fields.flatMap((f, i) => (f.jumpBits ? [[i, f.jumpBits >>> 0]] : [])));
    this.jumpFields = jumpy.map((list) => Uint8Array.from(list.map(([i]) => i)));
    this.jumpMasks = jumpy.map((list) => Uint32Array.from(list.map(([, m]) => m)));
  }

  /** Store a copy of `table` as the state at `tick` (older or repeated ticks are ignored). */
  push(tick: number, table: EntityTable): void {
    if (this.size > 0 && tick <= this.ticks[this.slot(this.size - 1)]) return;
    if (this.size === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    const s = this.slot(this.size);
    const copy = this.tables[s];
    copy.copyFrom(table);
    // Row tick 0 means "current as of this snapshot" (tables built by hand); decoded rows say.
    for (let r = 0; r < copy.count; r++) if (copy.ticks[r] === 0) copy.ticks[r] = tick;
    this.ticks[s] = tick;
    this.size++;
  }

  get newestTick(): number {
    return this.size === 0 ? -1 : this.ticks[this.slot(this.size - 1)];
  }

  /** The decoded table of `tick`, or null when it is not (or no longer) held: a delta's baseline. */
  tableAt(tick: number): EntityTable | null {
    for (let i = this.size - 1; i >= 0; i--) {
      const s = this.slot(i);
      if (this.ticks[s] === tick) return this.tables[s];
      if (this.ticks[s] < tick) return null;
    }
    return null;
  }

  /**
   * Fill `out` with the entities as they were at `renderTick` (fractional). Before the oldest
   * snapshot the oldest is shown; past the newest, the newest (no extrapolation: a wrong guess
   * looks worse than a brief pause). Returns the interpolation factor used (0..1).
   *
   * Each row carries the tick its values are from. A row the server's bandwidth budget held
   * back keeps an older tick, so an entity is interpolated between the times its values really
   * had, towards the first later snapshot that updated it, rather than pausing and jumping.
   */
  sample(renderTick: number, out: InterpolatedView): number {
    out.count = 0;
    if (this.size === 0) return 0;
    let older = 0;
    while (older + 1 < this.size && this.ticks[this.slot(older + 1)] <= renderTick) older++;
    const a = this.tables[this.slot(older)];
    const ta = this.ticks[this.slot(older)];
    const hasNewer = older + 1 < this.size && ta <= renderTick;
    if (!hasNewer) {
      this.copyInto(a, out);
      return 0;
    }
    const b = this.tables[this.slot(older + 1)];
    const tb = this.ticks[this.slot(older + 1)];
    const t = (renderTick - ta) / (tb - ta);
    out.reserve(b.count);
    const stride = a.stride;
    for (let rb = 0; rb < b.count; rb++) {
      const o = out.count++;
      const kind = b.kinds[rb];
      const id = b.ids[rb];
      out.ids[o] = id;
      out.kinds[o] = kind;
      const ra = a.indexOf(id);
      const lerp = this.lerps[kind];
      if (ra < 0 || a.kinds[ra] !== kind) {
        for (let f = 0; f < lerp.length; f++) out.values[o * out.stride + f] = b.values[rb * stride + f];
        continue;
      }
      // The values to move from (a's, as of sa) and towards: the first snapshot after a whose
      // row is newer than sa; usually b itself.
      const sa = a.ticks[ra];
      let c = b;
      let rc = rb;
      let sc = b.ticks[rb];
      for (let k = older + 2; sc <= sa && k < this.size; k++) {
        const table = this.tables[this.slot(k)];
        const r = table.indexOf(id);
        if (r < 0 || table.kinds[r] !== kind) break;
        c = table;
        rc = r;
        sc = table.ticks[r];
      }
      if (sc <= sa || this.jumped(kind, a, ra, c, rc)) {
        // Nothing newer yet, or across a jump (the in-between positions never existed): hold.
        for (let f = 0; f < lerp.length; f++) out.values[o * out.stride + f] = a.values[ra * stride + f];
        continue;
      }
      const te = c === b && sa === ta && sc === tb ? t : Math.min(1, Math.max(0, (renderTick - sa) / (sc - sa)));
      for (let f = 0; f < lerp.length; f++) {
        const va = a.values[ra * stride + f];
        const vc = c.values[rc * stride + f];
        let v: number;
        if (lerp[f] === LERP.linear) v = va + (vc - va) * te;
        else if (lerp[f] === LERP.angle16) {
          let d = (vc - va) & 0xffff;
          if (d > 0x8000) d -= 0x10000;
          v = (va + d * te + 0x10000) % 0x10000;
        } else v = va; // discrete fields show the older state until the newer one's time arrives
        out.values[o * out.stride + f] = v;
      }
    }
    return t;
  }

  /** Whether any jumpBits field of the entity changed between row `ra` of `a` and `rb` of `b`. */
  private jumped(kind: number, a: EntityTable, ra: number, b: EntityTable, rb: number): boolean {
    const fields = this.jumpFields[kind];
    const masks = this.jumpMasks[kind];
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j];
      if (((a.values[ra * a.stride + f] ^ b.values[rb * b.stride + f]) & masks[j]) !== 0) return true;
    }
    return false;
  }

  private copyInto(a: EntityTable, out: InterpolatedView): void {
    out.reserve(a.count);
    for (let r = 0; r < a.count; r++) {
      out.ids[r] = a.ids[r];
      out.kinds[r] = a.kinds[r];
      for (let f = 0; f < a.stride; f++) out.values[r * out.stride + f] = a.values[r * a.stride + f];
    }
    out.count = a.count;
  }

  private slot(i: number): number {
    return (this.head + i) % this.capacity;
  }
}
