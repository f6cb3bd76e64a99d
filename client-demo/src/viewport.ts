import { UNITS_PER_PX, WORLD_HEIGHT_PX, WORLD_WIDTH_PX } from '../../shared/games/arena/arena-rules';

/** Space kept free around the arena, CSS px. */
const MARGIN_PX = 16;

/**
 * Fits the arena into the window at its own aspect (1600 × 1000 world px) and converts between
 * world units, CSS px and the canvas's device pixels. Measures the DOM only on resize, so the
 * per-frame conversions read plain numbers.
 */
export class Viewport {
  /** Arena size on screen, CSS px. */
  cssWidth = 0;
  cssHeight = 0;
  /** CSS px per world px. */
  cssPerWorldPx = 1;
  /** Device px per world px: the canvas transform that lets the renderer draw in world px. */
  devicePerWorldPx = 1;
  /** The canvas's top-left corner in the page, CSS px (clientX/Y space). */
  private left = 0;
  private top = 0;

  constructor(
    private readonly frame: HTMLElement,
    private readonly canvas: HTMLCanvasElement,
  ) {}

  /** Resize to the window; call on load and on every `resize`. */
  fit(): void {
    const scale = Math.max(0.1, Math.min((innerWidth - 2 * MARGIN_PX) / WORLD_WIDTH_PX, (innerHeight - 2 * MARGIN_PX) / WORLD_HEIGHT_PX));
    this.cssWidth = Math.floor(WORLD_WIDTH_PX * scale);
    this.cssHeight = Math.floor(WORLD_HEIGHT_PX * scale);
    this.frame.style.width = `${this.cssWidth}px`;
    this.frame.style.height = `${this.cssHeight}px`;
    // Back the canvas at device resolution so lines and text stay crisp on high-DPI screens.
    const dpr = devicePixelRatio || 1;
    this.canvas.width = Math.round(this.cssWidth * dpr);
    this.canvas.height = Math.round(this.cssHeight * dpr);
    this.cssPerWorldPx = this.cssWidth / WORLD_WIDTH_PX;
    this.devicePerWorldPx = this.canvas.width / WORLD_WIDTH_PX;
    const rect = this.canvas.getBoundingClientRect();
    this.left = rect.left;
    this.top = rect.top;
  }

  /** A pointer's clientX → world units. */
  clientToWorldX(clientX: number): number {
    return ((clientX - this.left) / this.cssPerWorldPx) * UNITS_PER_PX;
  }

  /** A pointer's clientY → world units. */
  clientToWorldY(clientY: number): number {
    return ((clientY - this.top) / this.cssPerWorldPx) * UNITS_PER_PX;
  }

  /** World units → CSS px relative to the canvas's top-left corner. */
  worldToCss(units: number): number {
    return (units / UNITS_PER_PX) * this.cssPerWorldPx;
  }
}
