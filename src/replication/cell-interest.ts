import { BitWriter } from '../../shared/binary/bit-writer';
import type { ByteWriter } from '../../shared/binary/byte-writer';
import { CELL_COUNT_K, CELL_GAP_K, writeCreation } from '../../shared/replication/cell-codec';
import { cellColumn, cellRow, type CellGeometry } from '../../shared/replication/cell-geometry';
import type { CompiledSchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { appendBits, CellChunks, type ChunkSet } from './cell-chunks';
import type { ClientReplica } from './client-replica';
import type { InterestOptions } from './interest';
import type { SnapshotHistory } from './snapshot-history';

/** Distance at which a cell's priority halves under the budget, world units (as for entities). */
const HALF_PRIORITY_DISTANCE = 2048;
/** A kept cell's weight against one waiting to enter (which gains 1 a tick it waits). */
const KEPT_WEIGHT = 2;

/**
 * What the server knows a client holds: per snapshot sent, the cells it holds once it decodes
 * it (ascending). That and the room's history are the whole record: the client holds exactly
 * the room's entities in those cells at that tick, so no table is copied per client.
 */
export class HeldCells {
  private readonly ticks: Float64Array;
  private readonly lists: Int32Array[];
  private readonly counts: Int32Array;
  private next = 0;
  /** Cell → tick it was first held back by the budget (its priority grows with the wait). */
  readonly waitingSince = new Map<number, number>();

  constructor(capacity: number) {
    this.ticks = new Float64Array(capacity).fill(-1);
    this.lists = Array.from({ length: capacity }, () => new Int32Array(16));
    this.counts = new Int32Array(capacity);
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

  list(slot: number): Int32Array {
    return this.lists[slot];
  }

  count(slot: number): number {
    return this.counts[slot];
  }

  store(tick: number, cells: Int32Array, count: number): void {
    const slot = this.next;
    this.next = (slot + 1) % this.ticks.length;
    if (this.lists[slot].length < count) this.lists[slot] = new Int32Array(Math.max(count, this.lists[slot].length * 2));
    this.lists[slot].set(cells.subarray(0, count));
    this.counts[slot] = count;
    this.ticks[slot] = tick;
  }
}

/**
 * Interest management by grid cells: a client holds the cells that overlap its view (and keeps
 * them until they no longer overlap the view grown by the margin), plus its own entity's cell;
 * its body is its cell changes and arrivals, then the shared chunks of those cells
 * (shared/replication/cell-codec.ts). Per client: a walk over the ~50 cells around it and a bit
 * copy of their chunks; per tick: each cell's chunk once per baseline tick in use.
 */
export class CellInterest {
  readonly geometry: CellGeometry;
  readonly chunks: CellChunks;
  private readonly halfW: number;
  private readonly halfH: number;
  private readonly margin: number;
  /** Per cell, during one client's write: 1 held at the baseline, 2 held now (3 kept). */
  private readonly marks: Uint8Array;
  private next: Int32Array = new Int32Array(64);
  private picked: Int32Array = new Int32Array(64);
  private scores = new Float64Array(64);
  private readonly bw = new BitWriter();
  /** Entities the budget held back in the last write (whole cells' worth). */
  deferredCells = 0;

  constructor(
    private readonly schema: CompiledSchema,
    readonly options: InterestOptions,
    historyCapacity: number,
  ) {
    const small = Math.min(options.viewWidth, options.viewHeight);
    if (!(small > 0) || !(options.width > 0) || !(options.height > 0))
      throw new RangeError('interest: width, height, viewWidth and viewHeight must be positive');
    const cellSize = options.cellSize ?? small / 4;
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
    this.margin = options.margin ?? small / 8;
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
    const layout = chunks.layout!;
    const rec = (replica.heldCells ??= new HeldCells(replica.capacity));
    const slot = baseTick > 0 ? rec.find(baseTick) : -1;
    if (slot < 0 || chunks.layoutAt(baseTick) === null) {
      baseTick = 0;
      baseline = null;
    }
    const held = slot >= 0 && baseTick > 0 ? rec.list(slot) : this.next;
    const heldCount = slot >= 0 && baseTick > 0 ? rec.count(slot) : 0;
    const marks = this.marks;
    for (let i = 0; i < heldCount; i++) marks[held[i]] = 1;

    // The view follows the own entity unless the room type's hook placed it.
    if (ownRow >= 0 && !replica.centerFromHook) {
      const kind = this.schema.kinds[cur.kinds[ownRow]];
      if (kind.xField >= 0) {
        replica.centerX = cur.values[ownRow * cur.stride + kind.xField];
        replica.centerY = cur.values[ownRow * cur.stride + kind.yField];
        replica.hasCenter = true;
      }
    }
    let n = 0;
    if (this.next.length < this.chunks.cellCount + 1) this.grow(this.chunks.cellCount + 1);
    const next = this.next;
    if (replica.hasCenter) {
      // Cells overlapping the view enter; held ones stay while they overlap the view + margin.
      const g = this.geometry;
      const cx = replica.centerX;
      const cy = replica.centerY;
      const vc0 = cellColumn(g, cx - this.halfW);
      const vc1 = cellColumn(g, cx + this.halfW);
      const vr0 = cellRow(g, cy - this.halfH);
      const vr1 = cellRow(g, cy + this.halfH);
      const oc0 = cellColumn(g, cx - this.halfW - this.margin);
      const oc1 = cellColumn(g, cx + this.halfW + this.margin);
      const or0 = cellRow(g, cy - this.halfH - this.margin);
      const or1 = cellRow(g, cy + this.halfH + this.margin);
      for (let r = or0; r <= or1; r++) {
        const inRows = r >= vr0 && r <= vr1;
        for (let col = oc0; col <= oc1; col++) {
          const c = r * g.cols + col;
          if ((inRows && col >= vc0 && col <= vc1) || marks[c] === 1) {
            marks[c] |= 2;
            next[n++] = c;
          }
        }
      }
    }
    // The own entity's cell is always held (a hook may look elsewhere).
    const ownCell = ownRow >= 0 ? layout.cellOfRow[ownRow] : -1;
    if (ownCell >= 0 && ownCell < chunks.cellCount && (marks[ownCell] & 2) === 0) {
      marks[ownCell] |= 2;
      let i = n++;
      while (i > 0 && next[i - 1] > ownCell) {
        next[i] = next[i - 1];
        i--;
      }
      next[i] = ownCell;
    }

    const set = chunks.setFor(baseTick, baseline);
    const full = baseTick === 0 ? set : chunks.setFor(0, null);
    const u = chunks.cellCount;
    chunks.ensure(set, u);
    let bits = set.bitLength[u] + 16;
    for (let i = 0; i < n; i++) {
      const c = next[i];
      const s = marks[c] === 3 ? set : full;
      chunks.ensure(s, c);
      bits += s.bitLength[c];
    }
    this.deferredCells = 0;
    if (bits > allowanceBits) n = this.trim(rec, n, ownCell, set, full, bits - allowanceBits, tick, replica);
    else if (rec.waitingSince.size > 0) for (let i = 0; i < n; i++) rec.waitingSince.delete(next[i]);

    const bw = this.bw.begin(body);
    // Cells dropped: positions in the baseline's list.
    let count = 0;
    for (let i = 0; i < heldCount; i++) if (marks[held[i]] === 1) count++;
    bw.expGolomb(count, CELL_COUNT_K);
    let prev = -1;
    for (let i = 0; i < heldCount; i++) {
      if (marks[held[i]] !== 1) continue;
      bw.expGolomb(i - prev - 1, CELL_COUNT_K);
      prev = i;
    }
    // Cells entering.
    count = 0;
    for (let i = 0; i < n; i++) if (marks[next[i]] === 2) count++;
    bw.expGolomb(count, CELL_COUNT_K);
    prev = -1;
    for (let i = 0; i < n; i++) {
      if (marks[next[i]] !== 2) continue;
      bw.expGolomb(next[i] - prev - 1, CELL_GAP_K);
      prev = next[i];
    }
    // Arrivals: entities now in a kept cell that were in a cell the client does not keep.
    let arrivals = 0;
    for (let i = 0; i < n; i++) {
      const c = next[i];
      if (marks[c] !== 3) continue;
      const end = set.arrivalStart[c] + set.arrivalCount[c];
      for (let k = set.arrivalStart[c]; k < end; k++) {
        if (marks[set.arrivalFrom[k]] === 3) continue;
        if (arrivals === this.picked.length) this.picked = growInt(this.picked, arrivals * 2);
        this.picked[arrivals++] = set.arrivalRows[k];
      }
    }
    bw.expGolomb(arrivals, CELL_COUNT_K);
    if (arrivals > 1) this.picked.subarray(0, arrivals).sort();
    let prevId = 0;
    for (let k = 0; k < arrivals; k++) {
      writeCreation(bw, this.schema, cur, this.picked[k], prevId);
      prevId = cur.ids[this.picked[k]];
    }
    // The shared chunks: U, the kept cells, the entering cells.
    appendBits(bw, set.bytes.buffer, set.byteStart[u], set.bitLength[u]);
    for (let i = 0; i < n; i++) {
      const c = next[i];
      if (marks[c] === 3) appendBits(bw, set.bytes.buffer, set.byteStart[c], set.bitLength[c]);
    }
    for (let i = 0; i < n; i++) {
      const c = next[i];
      if (marks[c] === 2) appendBits(bw, full.bytes.buffer, full.byteStart[c], full.bitLength[c]);
    }
    bw.finish();

    for (let i = 0; i < heldCount; i++) marks[held[i]] = 0;
    for (let i = 0; i < n; i++) marks[next[i]] = 0;
    rec.store(tick, next, n);
    return baseTick;
  }

  /**
   * The budget bit: keep the own cell, then the cells by priority until `excess` bits are
   * saved. A kept cell left out is dropped (the client forgets its entities until it enters
   * again); an entering cell left out waits, gaining priority each tick, so none starves.
   * Returns the new count of `next`, whose dropped cells lose their "held now" mark.
   */
  private trim(
    rec: HeldCells,
    n: number,
    ownCell: number,
    set: ChunkSet,
    full: ChunkSet,
    excess: number,
    tick: number,
    replica: ClientReplica,
  ): number {
    const next = this.next;
    const marks = this.marks;
    const g = this.geometry;
    if (rec.waitingSince.size > 4096) rec.waitingSince.clear();
    const order = this.picked.length < n ? (this.picked = growInt(this.picked, n)) : this.picked;
    if (this.scores.length < n) this.scores = new Float64Array(Math.max(n, this.scores.length * 2));
    const scores = this.scores;
    for (let i = 0; i < n; i++) {
      const c = next[i];
      order[i] = i;
      if (c === ownCell) {
        scores[i] = Infinity;
        continue;
      }
      const x = g.minX + ((c % g.cols) + 0.5) * g.cellSize;
      const y = g.minY + (Math.floor(c / g.cols) + 0.5) * g.cellSize;
      const d = Math.abs(x - replica.centerX) + Math.abs(y - replica.centerY);
      const since = rec.waitingSince.get(c);
      const weight = marks[c] === 3 ? KEPT_WEIGHT : 1 + (since === undefined ? 0 : tick - since);
      scores[i] = weight / (1 + d / HALF_PRIORITY_DISTANCE);
    }
    // Lowest priority first; drop until the excess is gone.
    const ranked = order.subarray(0, n).sort((a, b) => scores[a] - scores[b]);
    let saved = 0;
    for (let k = 0; k < n && saved < excess; k++) {
      const i = ranked[k];
      const c = next[i];
      if (c === ownCell) break;
      saved += (marks[c] === 3 ? set : full).bitLength[c];
      marks[c] &= 1;
      if (!rec.waitingSince.has(c)) rec.waitingSince.set(c, tick);
      this.deferredCells++;
    }
    let m = 0;
    for (let i = 0; i < n; i++) {
      const c = next[i];
      if ((marks[c] & 2) === 0) continue;
      rec.waitingSince.delete(c);
      next[m++] = c;
    }
    return m;
  }

  /** The table a client holds after snapshot `tick` (its cells' entities from the history), or null. */
  heldTable(replica: ClientReplica, tick: number, history: SnapshotHistory): EntityTable | null {
    const rec = replica.heldCells;
    const slot = rec ? rec.find(tick) : -1;
    const table = history.get(tick);
    const layout = this.chunks.layoutAt(tick);
    if (rec === null || slot < 0 || table === null || layout === null) return null;
    const cells = new Set(rec.list(slot).subarray(0, rec.count(slot)));
    const out = new EntityTable(table.schema);
    for (let r = 0; r < table.count; r++) {
      const c = layout.cellOfRow[r];
      if (c !== this.chunks.cellCount && !cells.has(c)) continue;
      out.ticks[out.pushRow(table, r)] = tick;
    }
    out.viewCells = rec.list(slot).slice(0, rec.count(slot));
    out.viewCellCount = rec.count(slot);
    return out;
  }

  private grow(size: number): void {
    this.next = growInt(this.next, size);
  }
}

function growInt(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}
