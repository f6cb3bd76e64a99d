import { BitWriter } from '../../shared/binary/bit-writer';
import type { ByteWriter } from '../../shared/binary/byte-writer';
import {
  CELL_COUNT_K,
  EMPTY_VIEW,
  VIEW_C0,
  VIEW_C1,
  VIEW_EXTRA,
  VIEW_MISSING,
  VIEW_R0,
  VIEW_R1,
  writeCreation,
  writeViewChange,
} from '../../shared/replication/cell-codec';
import { cellColumn, cellRow, type CellGeometry } from '../../shared/replication/cell-geometry';
import type { CompiledSchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { CellChunks, type RowSet } from './cell-chunks';
import type { ClientReplica } from './client-replica';
import type { InterestOptions } from './interest';
import type { SnapshotHistory } from './snapshot-history';

/** Distance at which a cell's priority halves under the budget, world units (as for entities). */
const HALF_PRIORITY_DISTANCE = 2048;
/** A kept cell's weight against one waiting to enter (which gains 1 a tick it waits). */
const KEPT_WEIGHT = 2;

/**
 * What the server knows a client holds: per snapshot sent, its view record (cell-codec.ts:
 * `[c0, c1, r0, r1, extra, missing…]`). That and the room's history are the whole record: the
 * client holds exactly the room's entities in those cells at that tick, so no table is copied
 * per client.
 */
export class HeldCells {
  private readonly ticks: Float64Array;
  private readonly views: Int32Array[];
  private readonly lengths: Int32Array;
  private next = 0;
  /**
   * Per cell: the tick it was first held back by the budget (its priority grows with the
   * wait), or −1; made on the first trim, so a client the budget never bites costs nothing.
   */
  waitingSince: Float64Array | null = null;
  /** Cells in {@link waitingSince} that are waiting. */
  waiting = 0;

  constructor(capacity: number) {
    this.ticks = new Float64Array(capacity).fill(-1);
    this.views = Array.from({ length: capacity }, () => new Int32Array(VIEW_MISSING + 4));
    this.lengths = new Int32Array(capacity);
  }

  /** The slot of `tick`'s record, or −1. */
  find(tick: number): number {
    const cap = this.ticks.length;
    for (let i = 1; i <= cap; i++) {
      const slot = (this.next - i + cap) % cap;
      if (this.ticks[slot] === tick) return slot;
    }
    return -1;
  }

  view(slot: number): Int32Array {
    return this.views[slot];
  }

  length(slot: number): number {
    return this.lengths[slot];
  }

  store(tick: number, view: Int32Array, length: number): void {
    const slot = this.next;
    this.next = (slot + 1) % this.ticks.length;
    if (this.views[slot].length < length) this.views[slot] = new Int32Array(length * 2);
    const to = this.views[slot];
    for (let k = 0; k < length; k++) to[k] = view[k];
    this.lengths[slot] = length;
    this.ticks[slot] = tick;
  }
}

/**
 * Interest management by grid cells. A client holds a rectangle of cells: each edge moves out
 * as soon as the view overlaps the next row or column of cells, and back in only once that row
 * or column no longer overlaps the view grown by the margin (hysteresis, so nothing flickers).
 * Its own entity's cell is always held. Its body is its view change and arrivals, then, row by
 * row, one copied bit range of the shared changes of its kept cells, then the full chunks of
 * the cells entering (shared/replication/cell-codec.ts). Per client that is a few operations a
 * row plus copying its bits; per tick, each row's changes once per baseline tick in use.
 */
export class CellInterest {
  readonly geometry: CellGeometry;
  readonly chunks: CellChunks;
  private readonly halfW: number;
  private readonly halfH: number;
  private readonly margin: number;
  /** Missing cells of the baseline (1) and of this view (2), during one client's write when any. */
  private readonly marks: Uint8Array;
  private view: Int32Array = new Int32Array(VIEW_MISSING + 16);
  private entering: Int32Array = new Int32Array(64);
  private enteringCount = 0;
  private picked: Int32Array = new Int32Array(64);
  private scores = new Float64Array(64);
  private dropped: Int32Array = new Int32Array(64);
  private readonly bw = new BitWriter();
  /** Cells the budget held back in the last write. */
  deferredCells = 0;

  constructor(
    private readonly schema: CompiledSchema,
    readonly options: InterestOptions,
    historyCapacity: number,
  ) {
    const small = Math.min(options.viewWidth, options.viewHeight);
    if (!(small > 0) || !(options.width > 0) || !(options.height > 0))
      throw new RangeError('interest: width, height, viewWidth and viewHeight must be positive');
    const cellSize = options.cellSize ?? small / 12;
    if (!(cellSize > 0)) throw new RangeError('interest: cellSize must be positive');
    this.geometry = {
      minX: options.minX ?? 0,
      minY: options.minY ?? 0,
      cellSize,
      cols: Math.max(1, Math.ceil(options.width / cellSize)),
      rows: Math.max(1, Math.ceil(options.height / cellSize)),
    };
    this.halfW = options.viewWidth / 2;
    this.halfH = options.viewHeight / 2;
    // The cells already overhang the view by up to a cell: the margin only has to absorb
    // back-and-forth movement across a cell border, so a quarter of a cell is enough.
    this.margin = options.margin ?? cellSize / 4;
    this.chunks = new CellChunks(schema, this.geometry, historyCapacity);
    this.marks = new Uint8Array(this.chunks.cellCount + 1);
  }

  seal(tick: number, table: EntityTable): void {
    this.chunks.seal(tick, table);
  }

  /**
   * Write one client's cell body (after the detached list) into `body`, against the room's
   * table at `baseTick` (`baseline`; 0 and null for a full snapshot), and record the cells it
   * will hold. `allowanceBits` is what the budget lets the body take. Returns the baseline tick
   * the body is really against (0 when the record of `baseTick` is gone).
   */
  write(
    body: ByteWriter,
    replica: ClientReplica,
    ownRow: number,
    baseTick: number,
    baseline: EntityTable | null,
    tick: number,
    allowanceBits: number,
  ): number {
    const chunks = this.chunks;
    const cur = chunks.current!;
    const g = this.geometry;
    const cols = g.cols;
    const rec = (replica.heldCells ??= new HeldCells(replica.capacity));
    const slot = baseTick > 0 ? rec.find(baseTick) : -1;
    let set = slot < 0 || baseline === null ? null : chunks.setFor(baseTick, baseline);
    if (set === null || set.layout === null) {
      baseTick = 0;
      baseline = null;
      set = null;
    }
    const base = baseline === null ? EMPTY_VIEW : rec.view(slot);
    const baseLength = baseline === null ? VIEW_MISSING : rec.length(slot);

    // The view follows the own entity unless the room type's hook placed it.
    if (ownRow >= 0 && !replica.centerFromHook) {
      const kind = this.schema.kinds[cur.kinds[ownRow]];
      if (kind.xField >= 0) {
        replica.centerX = cur.values[ownRow * cur.stride + kind.xField];
        replica.centerY = cur.values[ownRow * cur.stride + kind.yField];
        replica.hasCenter = true;
      }
    }
    let view = this.view;
    view.set(EMPTY_VIEW);
    if (replica.hasCenter) {
      const cx = replica.centerX;
      const cy = replica.centerY;
      const vc0 = cellColumn(g, cx - this.halfW);
      const vc1 = cellColumn(g, cx + this.halfW);
      const vr0 = cellRow(g, cy - this.halfH);
      const vr1 = cellRow(g, cy + this.halfH);
      if (base[VIEW_C0] > base[VIEW_C1]) {
        view[VIEW_C0] = vc0;
        view[VIEW_C1] = vc1;
        view[VIEW_R0] = vr0;
        view[VIEW_R1] = vr1;
      } else {
        // Each edge: out to the view, or in to the outer box, else where it was.
        const m = this.margin;
        view[VIEW_C0] = Math.min(vc0, Math.max(base[VIEW_C0], cellColumn(g, cx - this.halfW - m)));
        view[VIEW_C1] = Math.max(vc1, Math.min(base[VIEW_C1], cellColumn(g, cx + this.halfW + m)));
        view[VIEW_R0] = Math.min(vr0, Math.max(base[VIEW_R0], cellRow(g, cy - this.halfH - m)));
        view[VIEW_R1] = Math.max(vr1, Math.min(base[VIEW_R1], cellRow(g, cy + this.halfH + m)));
      }
    }
    // The own entity's cell is always held (a hook may look elsewhere).
    const ownCell = ownRow >= 0 ? chunks.layout!.cellOfRow[ownRow] : -1;
    if (ownCell >= 0 && ownCell < chunks.cellCount && !inRect(view, ownCell, cols)) view[VIEW_EXTRA] = ownCell;
    let length = VIEW_MISSING;

    // What it costs; over the allowance, hold cells back.
    let bits = 32;
    if (set !== null) {
      chunks.ensureRow(set, g.rows);
      bits += set.rowEnd[g.rows] - set.bitStart[chunks.cellCount];
      const kc0 = Math.max(view[VIEW_C0], base[VIEW_C0]);
      const kc1 = Math.min(view[VIEW_C1], base[VIEW_C1]);
      if (kc0 <= kc1) {
        for (let r = Math.max(view[VIEW_R0], base[VIEW_R0]); r <= Math.min(view[VIEW_R1], base[VIEW_R1]); r++) {
          chunks.ensureRow(set, r);
          bits += bitAt(set, r, kc1 + 1, cols) - set.bitStart[r * cols + kc0];
        }
      }
    }
    let anyMissing = this.markMissing(base, baseLength, 1);
    this.findEntering(base, anyMissing);
    for (let i = 0; i < this.enteringCount; i++) {
      chunks.ensureFull(this.entering[i]);
      bits += chunks.full.bitLength[this.entering[i]];
    }
    this.deferredCells = 0;
    if (bits > allowanceBits) {
      length = this.trim(rec, set, base, ownCell, bits - allowanceBits, tick, replica);
      view = this.view; // grown if many cells were held back
      anyMissing = this.markMissing(view, length, 2) || anyMissing;
      this.findEntering(base, anyMissing);
    } else if (rec.waiting > 0) {
      rec.waitingSince!.fill(-1);
      rec.waiting = 0;
    }

    const bw = this.bw.begin(body);
    writeViewChange(bw, base, baseLength, view, length);
    const kc0 = Math.max(view[VIEW_C0], base[VIEW_C0]);
    const kc1 = Math.min(view[VIEW_C1], base[VIEW_C1]);
    const kr0 = Math.max(view[VIEW_R0], base[VIEW_R0]);
    const kr1 = kc0 <= kc1 ? Math.min(view[VIEW_R1], base[VIEW_R1]) : kr0 - 1;
    // Arrivals: entities now in a kept cell that were in none (or are new).
    let arrivals = 0;
    if (set !== null) {
      const marks = this.marks;
      for (let r = kr0; r <= kr1; r++) {
        for (let k = set.arrivalStart[r]; k < set.arrivalEnd[r]; k++) {
          const col = set.arrivalCols[k];
          if (col < kc0 || col > kc1 || (anyMissing && marks[r * cols + col] !== 0)) continue;
          const from = set.arrivalFrom[k];
          if (from >= 0 && from < chunks.cellCount) {
            const fr = Math.floor(from / cols);
            const fc = from - fr * cols;
            if (fr >= kr0 && fr <= kr1 && fc >= kc0 && fc <= kc1 && !(anyMissing && marks[from] !== 0)) continue;
          }
          if (arrivals === this.picked.length) this.picked = growInt(this.picked, arrivals * 2);
          this.picked[arrivals++] = set.arrivalRows[k];
        }
      }
      // New entities without a position.
      for (let k = set.arrivalStart[g.rows]; k < set.arrivalEnd[g.rows]; k++) {
        if (arrivals === this.picked.length) this.picked = growInt(this.picked, arrivals * 2);
        this.picked[arrivals++] = set.arrivalRows[k];
      }
    } else {
      // A full snapshot: everything without a position arrives.
      const layout = chunks.layout!;
      for (let k = layout.start[chunks.cellCount]; k < layout.start[chunks.cellCount + 1]; k++) {
        if (arrivals === this.picked.length) this.picked = growInt(this.picked, arrivals * 2);
        this.picked[arrivals++] = layout.order[k];
      }
    }
    bw.expGolomb(arrivals, CELL_COUNT_K);
    // Ascending rows (so ids): an insertion sort of the few.
    const picked = this.picked;
    for (let k = 1; k < arrivals; k++) {
      const v = picked[k];
      let m = k;
      for (; m > 0 && picked[m - 1] > v; m--) picked[m] = picked[m - 1];
      picked[m] = v;
    }
    let prevId = 0;
    for (let k = 0; k < arrivals; k++) {
      writeCreation(bw, this.schema, cur, this.picked[k], prevId);
      prevId = cur.ids[this.picked[k]];
    }
    // The shared changes: U, then the kept cells row by row (one bit range a row, split only
    // around missing cells), then the entering cells' full chunks.
    if (set !== null) {
      const u = chunks.cellCount;
      bw.copy(set.bytes.buffer, set.bitStart[u], set.rowEnd[g.rows] - set.bitStart[u]);
      for (let r = kr0; r <= kr1; r++) {
        if (!anyMissing) {
          const from = set.bitStart[r * cols + kc0];
          bw.copy(set.bytes.buffer, from, bitAt(set, r, kc1 + 1, cols) - from);
          continue;
        }
        for (let col = kc0; col <= kc1; col++) {
          if (this.marks[r * cols + col] !== 0) continue;
          const from = set.bitStart[r * cols + col];
          bw.copy(set.bytes.buffer, from, bitAt(set, r, col + 1, cols) - from);
        }
      }
    }
    const full = chunks.full;
    for (let i = 0; i < this.enteringCount; i++) {
      const c = this.entering[i];
      bw.copy(full.bytes.buffer, full.byteStart[c] * 8, full.bitLength[c]);
    }
    bw.finish();

    if (anyMissing) {
      for (let k = VIEW_MISSING; k < baseLength; k++) this.marks[base[k]] = 0;
      for (let k = VIEW_MISSING; k < length; k++) this.marks[view[k]] = 0;
    }
    rec.store(tick, view, length);
    return baseTick;
  }

  /** Mark `view`'s missing cells with `bit`; whether it has any. */
  private markMissing(view: Int32Array, length: number, bit: number): boolean {
    for (let k = VIEW_MISSING; k < length; k++) this.marks[view[k]] |= bit;
    return length > VIEW_MISSING;
  }

  /** The cells held now and not kept, ascending, into {@link entering}. */
  private findEntering(base: Int32Array, anyMissing: boolean): void {
    const view = this.view;
    const cols = this.geometry.cols;
    const marks = this.marks;
    const kc0 = Math.max(view[VIEW_C0], base[VIEW_C0]);
    const kc1 = Math.min(view[VIEW_C1], base[VIEW_C1]);
    const kr0 = Math.max(view[VIEW_R0], base[VIEW_R0]);
    const kr1 = Math.min(view[VIEW_R1], base[VIEW_R1]);
    const extra = view[VIEW_EXTRA];
    let n = 0;
    const need = (view[VIEW_C1] - view[VIEW_C0] + 1) * (view[VIEW_R1] - view[VIEW_R0] + 1) + 1;
    if (this.entering.length < need) this.entering = growInt(this.entering, need);
    const entering = this.entering;
    for (let r = view[VIEW_R0]; r <= view[VIEW_R1]; r++) {
      const keptRow = r >= kr0 && r <= kr1 && kc0 <= kc1;
      for (let col = view[VIEW_C0]; col <= view[VIEW_C1]; col++) {
        const c = r * cols + col;
        if (keptRow && col >= kc0 && col <= kc1) {
          if (!anyMissing) {
            col = kc1;
            continue;
          }
          if ((marks[c] & 2) === 0 && (marks[c] & 1) !== 0) {
            if (extra >= 0 && extra < c && (n === 0 || entering[n - 1] < extra)) entering[n++] = extra;
            entering[n++] = c;
          }
          continue;
        }
        if (anyMissing && (marks[c] & 2) !== 0) continue;
        if (extra >= 0 && extra < c && (n === 0 || entering[n - 1] < extra)) entering[n++] = extra;
        entering[n++] = c;
      }
    }
    if (extra >= 0 && (n === 0 || entering[n - 1] < extra)) entering[n++] = extra;
    this.enteringCount = n;
  }

  /**
   * The budget bit: keep the own cell, then cells by priority until `excess` bits are saved. A
   * kept cell left out is dropped (the client forgets its entities until it enters again); an
   * entering cell left out waits, gaining priority each tick, so none starves. The cells left
   * out become the view's missing cells; returns the view record's length.
   */
  private trim(
    rec: HeldCells,
    set: RowSet | null,
    base: Int32Array,
    ownCell: number,
    excess: number,
    tick: number,
    replica: ClientReplica,
  ): number {
    const view = this.view;
    const g = this.geometry;
    const cols = g.cols;
    const waiting = (rec.waitingSince ??= new Float64Array(this.chunks.cellCount).fill(-1));
    // Candidates: every cell of the rectangle held now (kept or entering), but the own one.
    const kc0 = Math.max(view[VIEW_C0], base[VIEW_C0]);
    const kc1 = Math.min(view[VIEW_C1], base[VIEW_C1]);
    const kr0 = Math.max(view[VIEW_R0], base[VIEW_R0]);
    const kr1 = Math.min(view[VIEW_R1], base[VIEW_R1]);
    const size = (view[VIEW_C1] - view[VIEW_C0] + 1) * (view[VIEW_R1] - view[VIEW_R0] + 1);
    if (this.picked.length < size) this.picked = growInt(this.picked, size);
    if (this.scores.length < size) this.scores = new Float64Array(Math.max(size, this.scores.length * 2));
    const cells = this.picked;
    const scores = this.scores;
    let n = 0;
    for (let r = view[VIEW_R0]; r <= view[VIEW_R1]; r++) {
      for (let col = view[VIEW_C0]; col <= view[VIEW_C1]; col++) {
        const c = r * cols + col;
        if (c === ownCell) continue;
        const kept = set !== null && r >= kr0 && r <= kr1 && col >= kc0 && col <= kc1 && (this.marks[c] & 1) === 0;
        const x = g.minX + (col + 0.5) * g.cellSize;
        const y = g.minY + (r + 0.5) * g.cellSize;
        const d = Math.abs(x - replica.centerX) + Math.abs(y - replica.centerY);
        const since = waiting[c];
        const weight = kept ? KEPT_WEIGHT : 1 + (since < 0 ? 0 : tick - since);
        cells[n] = c;
        scores[n++] = weight / (1 + d / HALF_PRIORITY_DISTANCE);
      }
    }
    // Lowest priority first: sort keys of (priority in 1/1024 steps, index), no comparator.
    const scale = 2 ** Math.ceil(Math.log2(n + 1));
    const keys = scores.subarray(0, n);
    for (let i = 0; i < n; i++) keys[i] = Math.floor(Math.min(scores[i], 1e6) * 1024) * scale + i;
    keys.sort();
    if (this.dropped.length < n) this.dropped = new Int32Array(Math.max(n, this.dropped.length * 2));
    const dropped = this.dropped;
    let count = 0;
    let saved = 0;
    for (let k = 0; k < n && saved < excess; k++) {
      const c = cells[keys[k] % scale];
      const r = Math.floor(c / cols);
      const col = c - r * cols;
      const kept = set !== null && r >= kr0 && r <= kr1 && col >= kc0 && col <= kc1 && (this.marks[c] & 1) === 0;
      if (kept) saved += bitAt(set, r, col + 1, cols) - set.bitStart[c];
      else {
        this.chunks.ensureFull(c);
        saved += this.chunks.full.bitLength[c];
      }
      dropped[count++] = c;
    }
    this.deferredCells = count;
    dropped.subarray(0, count).sort();
    if (this.view.length < VIEW_MISSING + count) {
      const grown = new Int32Array((VIEW_MISSING + count) * 2);
      grown.set(this.view.subarray(0, VIEW_MISSING));
      this.view = grown;
    }
    for (let k = 0; k < count; k++) this.view[VIEW_MISSING + k] = dropped[k];
    // Whatever goes out now stops waiting; what is held back starts (or goes on) waiting.
    for (let k = 0; k < count; k++) scores[k] = waiting[dropped[k]] < 0 ? tick : waiting[dropped[k]];
    for (let k = 0; k < n; k++) {
      if (waiting[cells[k]] >= 0) rec.waiting--;
      waiting[cells[k]] = -1;
    }
    for (let k = 0; k < count; k++) {
      waiting[dropped[k]] = scores[k];
      rec.waiting++;
    }
    return VIEW_MISSING + count;
  }

  /** The table a client holds after snapshot `tick` (its cells' entities from the history), or null. */
  heldTable(replica: ClientReplica, tick: number, history: SnapshotHistory): EntityTable | null {
    const rec = replica.heldCells;
    const slot = rec ? rec.find(tick) : -1;
    const table = history.get(tick);
    const layout = this.chunks.layoutAt(tick);
    if (rec === null || slot < 0 || table === null || layout === null) return null;
    const view = rec.view(slot);
    const length = rec.length(slot);
    const missing = new Set(view.subarray(VIEW_MISSING, length));
    const out = new EntityTable(table.schema);
    for (let r = 0; r < table.count; r++) {
      const c = layout.cellOfRow[r];
      const held = c === this.chunks.cellCount || c === view[VIEW_EXTRA] || (inRect(view, c, this.geometry.cols) && !missing.has(c));
      if (held) out.ticks[out.pushRow(table, r)] = tick;
    }
    out.viewCells = view.slice(0, length);
    out.viewCellCount = length;
    return out;
  }
}

/** Whether cell `c` is in `view`'s rectangle. */
function inRect(view: Int32Array, c: number, cols: number): boolean {
  const r = Math.floor(c / cols);
  const col = c - r * cols;
  return col >= view[VIEW_C0] && col <= view[VIEW_C1] && r >= view[VIEW_R0] && r <= view[VIEW_R1];
}

/** The bit position where column `col` of row `r` starts in `set` (col = cols: the row's end). */
function bitAt(set: RowSet, r: number, col: number, cols: number): number {
  return col >= cols ? set.rowEnd[r] : set.bitStart[r * cols + col];
}

function growInt(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}
