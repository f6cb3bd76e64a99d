/**
 * The interest grid's cells, as the server and the client both compute them: WELCOME carries
 * this when a room type has interest management on, and the client needs it to tell which cell
 * each entity it holds was in (the snapshot body names cells, not entities; see cell-codec.ts).
 * Cell `row * cols + col`; positions outside the world are clamped onto the edge cells.
 */
export interface CellGeometry {
  /** World origin, units. */
  minX: number;
  minY: number;
  /** Cell edge, units. */
  cellSize: number;
  cols: number;
  rows: number;
}

/** Most cells a geometry may have (a 1,024 × 1,024 grid): the client sizes arrays by it. */
export const MAX_CELLS = 1 << 20;

/** Column of `x`: the same arithmetic as `UniformGrid`, so both sides agree to the last bit. */
export function cellColumn(g: CellGeometry, x: number): number {
  const c = Math.floor((x - g.minX) / g.cellSize);
  return c < 0 ? 0 : c >= g.cols ? g.cols - 1 : c;
}

export function cellRow(g: CellGeometry, y: number): number {
  const r = Math.floor((y - g.minY) / g.cellSize);
  return r < 0 ? 0 : r >= g.rows ? g.rows - 1 : r;
}

/** The cell of position (x, y). */
export function cellOf(g: CellGeometry, x: number, y: number): number {
  return cellRow(g, y) * g.cols + cellColumn(g, x);
}

/** Whether a geometry from the wire is one this client can hold (finite, positive, not huge). */
export function isValidCellGeometry(g: unknown): g is CellGeometry {
  if (typeof g !== 'object' || g === null) return false;
  const { minX, minY, cellSize, cols, rows } = g as Record<string, unknown>;
  return (
    typeof minX === 'number' &&
    Number.isFinite(minX) &&
    typeof minY === 'number' &&
    Number.isFinite(minY) &&
    typeof cellSize === 'number' &&
    cellSize > 0 &&
    Number.isFinite(cellSize) &&
    Number.isInteger(cols) &&
    Number.isInteger(rows) &&
    (cols as number) >= 1 &&
    (rows as number) >= 1 &&
    (cols as number) * (rows as number) <= MAX_CELLS
  );
}
