/**
 * Interest management for a room type: each client is sent only the entities near it.
 *
 * ```
 *   ┌──────────── outer box: view + margin ───────────┐
 *   │  ┌────────── view (viewWidth × viewHeight) ───┐  │   a grid cell enters when it overlaps
 *   │  │                 ● own entity               │  │   the view, leaves when it no longer
 *   │  └────────────────────────────────────────────┘  │   overlaps the outer box: no flicker
 *   └──────────────────────────────────────────────────┘
 * ```
 * A client holds whole cells (every entity in them): see cell-interest.ts.
 * Positions come from the schema's `x`/`y` roles; kinds without them are seen by everyone.
 * The client's own entity (id = player id) is always in its view.
 */
export interface InterestOptions {
  /** World bounds, world units (positions outside are clamped onto the grid's edge cells). */
  minX?: number;
  minY?: number;
  width: number;
  height: number;
  /**
   * The view: a box this size centred on the client's own entity (the entity whose id is its
   * player id), or where the room type's `viewCenter` hook puts it, world units.
   */
  viewWidth: number;
  viewHeight: number;
  /**
   * How far outside the view a cell must be to leave it, units (default a quarter of a cell:
   * the cells already overhang the view, so this only absorbs back-and-forth at a cell border).
   */
  margin?: number;
  /**
   * Grid cell edge, units (default 1/12 of the view's smaller side). Smaller cells fit the view
   * tighter (fewer bytes) but cost more per client (more grid rows to walk) and per tick.
   */
  cellSize?: number;
}
