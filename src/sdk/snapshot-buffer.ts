import { EntityTable } from '../../shared/replication/entity-table';
import { compileSchema, type EntitySchema, type FieldLerp } from '../../shared/replication/entity-schema';

/** Interpolated entities: like an {@link EntityTable} but with fractional values. */
export class InterpolatedView {
  count = 0;
  ids = new Uint32Array(64);
  kinds = new Uint8Array(64);
  values: Float64Array;
  /**
   * How fast each row moves at the sampled time, world units per tick: its motion between the
   * two snapshots it is drawn between (0 when held, or without a position).
   */
  speeds = new Float64Array(64);
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
    this.speeds = new Float64Array(n);
  }
}

const LERP = { none: 0, linear: 1, angle16: 2 } as const;

/** How the last {@link SnapshotBuffer.sample} filled its view. */
export const SampleMode = {
  /** No snapshot yet. */
  Empty: 0,
  /** Between two snapshots (or exactly at the newest): the normal case. */
  Interpolated: 1,
  /** Past the newest snapshot, within the extrapolation cap. */
  Extrapolated: 2,
  /** Past the newest snapshot and the cap (or with extrapolation off): entities stand still. */
  Held: 3,
  /** Before the oldest snapshot held: the oldest is shown. */
  BeforeOldest: 4,
} as const;
export type SampleMode = (typeof SampleMode)[keyof typeof SampleMode];

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
  /** How the last sample was made. */
  mode: SampleMode = SampleMode.Empty;
  /** Ticks the last sample extrapolated past the newest snapshot (0 unless Extrapolated or Held). */
  extrapolatedTicks = 0;
  private readonly lerps: Uint8Array[];
  /** Per kind: the fields with jumpBits, and those bits (see FieldSchema.jumpBits). */
  private readonly jumpFields: Uint8Array[];
  private readonly jumpMasks: Uint32Array[];
  /** Per kind: its x and y fields (-1 without a position). */
  private readonly xFields: Int16Array;
  private readonly yFields: Int16Array;

  constructor(
    readonly schema: EntitySchema,
    readonly capacity = 32,
  ) {
    this.tables = Array.from({ length: capacity }, () => new EntityTable(schema));
    this.ticks = new Float64Array(capacity);
    this.lerps = schema.kinds.map((k) => Uint8Array.from(k.fields.map((f) => LERP[(f.lerp ?? 'none') as FieldLerp])));
    const jumpy = schema.kinds.map((k) => k.fields.flatMap((f, i) => (f.jumpBits ? [[i, f.jumpBits >>> 0]] : [])));
    this.jumpFields = jumpy.map((list) => Uint8Array.from(list.map(([i]) => i)));
    this.jumpMasks = jumpy.map((list) => Uint32Array.from(list.map(([, m]) => m)));
    const compiled = compileSchema(schema).kinds;
    this.xFields = Int16Array.from(compiled.map((k) => (k.xField >= 0 && k.yField >= 0 ? k.xField : -1)));
    this.yFields = Int16Array.from(compiled.map((k) => k.yField));
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

  /**
   * Store a copy of `table` as the state at `tick`, in tick order, even when newer ones are
   * held (a snapshot reordered on an unreliable channel still fills its place in the motion).
   * Returns false if the tick is already held or older than everything held in a full buffer.
   */
  insert(tick: number, table: EntityTable): boolean {
    if (this.size === 0 || tick > this.ticks[this.slot(this.size - 1)]) {
      this.push(tick, table);
      return true;
    }
    let i = this.size;
    while (i > 0 && this.ticks[this.slot(i - 1)] > tick) i--;
    if (i > 0 && this.ticks[this.slot(i - 1)] === tick) return false;
    if (this.size === this.capacity) {
      if (i === 0) return false;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      i--;
    }
    // Open slot i by moving the newer ones up one; the free table object goes to slot i.
    const free = this.tables[this.slot(this.size)];
    for (let k = this.size; k > i; k--) {
      this.tables[this.slot(k)] = this.tables[this.slot(k - 1)];
      this.ticks[this.slot(k)] = this.ticks[this.slot(k - 1)];
    }
    this.tables[this.slot(i)] = free;
    free.copyFrom(table);
    for (let r = 0; r < free.count; r++) if (free.ticks[r] === 0) free.ticks[r] = tick;
    this.ticks[this.slot(i)] = tick;
    this.size++;
    return true;
  }

  /** The oldest tick held (Infinity when empty). */
  get oldestTick(): number {
    return this.size === 0 ? Infinity : this.ticks[this.slot(0)];
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
   * Fill `out` with the entities as they were at `renderTick` (fractional), in id order, and
   * say how in {@link mode}. Between two snapshots, each entity moves from its older values
   * towards its newer ones; an entity appears at the time of the first snapshot that has it
   * and vanishes at the time of the first that does not (not a snapshot early). Past the newest
   * snapshot, linear fields are extrapolated along their last motion for at most
   * `maxExtrapolateTicks`, then held; before the oldest, the oldest is shown.
   *
   * Each row carries the tick its values are from. A row the server's bandwidth budget held
   * back keeps an older tick, so an entity is interpolated between the times its values really
   * had, towards the first later snapshot that updated it, rather than pausing and jumping.
   * Returns the interpolation factor between the two snapshots (0..1; 1 past the newest).
   */
  sample(renderTick: number, out: InterpolatedView, maxExtrapolateTicks = 0): number {
    out.count = 0;
    this.extrapolatedTicks = 0;
    if (this.size === 0) {
      this.mode = SampleMode.Empty;
      return 0;
    }
    if (renderTick < this.ticks[this.slot(0)]) {
      this.copyInto(this.tables[this.slot(0)], out);
      this.mode = SampleMode.BeforeOldest;
      return 0;
    }
    let older = 0;
    while (older + 1 < this.size && this.ticks[this.slot(older + 1)] <= renderTick) older++;
    if (older === this.size - 1) return this.sampleNewest(renderTick, out, maxExtrapolateTicks);
    this.mode = SampleMode.Interpolated;
    const a = this.tables[this.slot(older)];
    const ta = this.ticks[this.slot(older)];
    const b = this.tables[this.slot(older + 1)];
    const tb = this.ticks[this.slot(older + 1)];
    const t = (renderTick - ta) / (tb - ta);
    out.reserve(a.count + b.count);
    const stride = a.stride;
    // Walk both tables in id order: rows only in a stay (they vanish at tb), rows only in b
    // wait (they appear at tb), rows in both move.
    let ra = 0;
    let rb = 0;
    while (ra < a.count || rb < b.count) {
      const idA = ra < a.count ? a.ids[ra] : Infinity;
      const idB = rb < b.count ? b.ids[rb] : Infinity;
      if (idB < idA) {
        rb++;
        continue;
      }
      const o = out.count++;
      const kind = a.kinds[ra];
      out.speeds[o] = 0;
      out.ids[o] = idA;
      out.kinds[o] = kind;
      const lerp = this.lerps[kind];
      if (idA < idB || b.kinds[rb] !== kind) {
        for (let f = 0; f < lerp.length; f++) out.values[o * out.stride + f] = a.values[ra * stride + f];
        ra++;
        if (idA === idB) rb++;
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
        const r = table.indexOf(idA);
        if (r < 0 || table.kinds[r] !== kind) break;
        c = table;
        rc = r;
        sc = table.ticks[r];
      }
      if (sc <= sa || this.jumped(kind, a, ra, c, rc)) {
        // Nothing newer yet, or across a jump (the in-between positions never existed): hold.
        for (let f = 0; f < lerp.length; f++) out.values[o * out.stride + f] = a.values[ra * stride + f];
      } else {
        const te = c === b && sa === ta && sc === tb ? t : Math.min(1, Math.max(0, (renderTick - sa) / (sc - sa)));
        this.blend(lerp, a, ra, c, rc, te, out, o);
      }
      ra++;
      rb++;
    }
    return t;
  }

  /**
   * At or past the newest snapshot: extrapolate each entity along its motion between the two
   * newest snapshots that have it, for at most `maxTicks` past the newest, then hold.
   */
  private sampleNewest(renderTick: number, out: InterpolatedView, maxTicks: number): number {
    const b = this.tables[this.slot(this.size - 1)];
    const tb = this.ticks[this.slot(this.size - 1)];
    this.copyInto(b, out);
    const past = renderTick - tb;
    if (past <= 0) {
      this.mode = SampleMode.Interpolated;
      return 1;
    }
    if (maxTicks <= 0 || this.size < 2) {
      this.mode = SampleMode.Held;
      return 1;
    }
    const ahead = Math.min(past, maxTicks);
    this.extrapolatedTicks = ahead;
    this.mode = past <= maxTicks ? SampleMode.Extrapolated : SampleMode.Held;
    const a = this.tables[this.slot(this.size - 2)];
    for (let rb = 0; rb < b.count; rb++) {
      const kind = b.kinds[rb];
      const ra = a.indexOf(b.ids[rb]);
      if (ra < 0 || a.kinds[ra] !== kind || this.jumped(kind, a, ra, b, rb)) continue;
      const sa = a.ticks[ra];
      const sb = b.ticks[rb];
      if (sb <= sa) continue;
      // te > 1: the same blend, carried on past b by the same motion per tick.
      this.blend(this.lerps[kind], a, ra, b, rb, (tb + ahead - sa) / (sb - sa), out, rb);
    }
    return 1;
  }

  /** Row `o` of `out` = a's row moved towards c's row by `te` (0 = a, 1 = c, > 1 beyond c). */
  private blend(
    lerp: Uint8Array,
    a: EntityTable,
    ra: number,
    c: EntityTable,
    rc: number,
    te: number,
    out: InterpolatedView,
    o: number,
  ): void {
    const stride = a.stride;
    const kind = a.kinds[ra];
    const fx = this.xFields[kind];
    if (fx >= 0) {
      const fy = this.yFields[kind];
      const dt = c.ticks[rc] - a.ticks[ra];
      const dx = c.values[rc * stride + fx] - a.values[ra * stride + fx];
      const dy = c.values[rc * stride + fy] - a.values[ra * stride + fy];
      out.speeds[o] = dt > 0 ? Math.hypot(dx, dy) / dt : 0;
    }
    for (let f = 0; f < lerp.length; f++) {
      const va = a.values[ra * stride + f];
      const vc = c.values[rc * stride + f];
      let v: number;
      if (lerp[f] === LERP.linear) v = va + (vc - va) * te;
      else if (lerp[f] === LERP.angle16) {
        let d = (vc - va) & 0xffff;
        if (d > 0x8000) d -= 0x10000;
        v = (((va + d * te) % 0x10000) + 0x10000) % 0x10000;
      } else v = te >= 1 ? vc : va; // discrete fields show the older state until the newer one's time arrives
      out.values[o * out.stride + f] = v;
    }
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
      out.speeds[r] = 0;
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
