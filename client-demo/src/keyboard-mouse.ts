import { Button } from '../../shared/games/arena/arena-input';

/** Physical keys (KeyboardEvent.code, so the layout does not matter) → arena buttons. */
const KEY_BUTTONS: Readonly<Record<string, number>> = {
  KeyW: Button.Up,
  ArrowUp: Button.Up,
  KeyS: Button.Down,
  ArrowDown: Button.Down,
  KeyA: Button.Left,
  ArrowLeft: Button.Left,
  KeyD: Button.Right,
  ArrowRight: Button.Right,
  Space: Button.Fire,
};

/**
 * The held state of the keyboard and mouse, read once per simulation tick. Events only update
 * fields; nothing is queued, because an input is a level ("held this tick"), not an edge.
 */
export class KeyboardMouse {
  /** Pointer position, CSS px in client coordinates; valid once `hasPointer`. */
  clientX = 0;
  clientY = 0;
  hasPointer = false;
  private keyButtons = 0;
  private mouseFire = false;
  private readonly held = new Set<string>();

  constructor(target: Window) {
    target.addEventListener('keydown', (e) => {
      // Typing in the chat box is not playing.
      if (insideUi(e.target)) return;
      const bit = KEY_BUTTONS[e.code];
      if (bit === undefined || e.ctrlKey || e.metaKey || e.altKey) return;
      // Arrows and Space would scroll the page.
      e.preventDefault();
      this.held.add(e.code);
      this.recompute();
    });
    target.addEventListener('keyup', (e) => {
      if (!this.held.delete(e.code)) return;
      this.recompute();
    });
    target.addEventListener('pointermove', (e) => {
      this.clientX = e.clientX;
      this.clientY = e.clientY;
      this.hasPointer = true;
    });
    target.addEventListener('pointerdown', (e) => {
      if (insideUi(e.target)) return;
      if (e.button !== 0) return;
      this.clientX = e.clientX;
      this.clientY = e.clientY;
      this.hasPointer = true;
      this.mouseFire = true;
    });
    target.addEventListener('pointerup', (e) => {
      if (e.button === 0) this.mouseFire = false;
    });
    target.addEventListener('contextmenu', (e) => e.preventDefault());
    // Key-ups that happen while another window has focus never arrive: release everything.
    target.addEventListener('blur', () => this.releaseAll());
  }

  /** Bitset of {@link Button} held right now. */
  get buttons(): number {
    return this.keyButtons | (this.mouseFire ? Button.Fire : 0);
  }

  releaseAll(): void {
    this.held.clear();
    this.keyButtons = 0;
    this.mouseFire = false;
  }

  private recompute(): void {
    let b = 0;
    for (const code of this.held) b |= KEY_BUTTONS[code];
    this.keyButtons = b;
  }
}

/** True for events on the page's own controls (elements under one with `data-ui`, such as the chat box). */
function insideUi(target: EventTarget | null): boolean {
  return typeof Element !== 'undefined' && target instanceof Element && target.closest('[data-ui]') !== null;
}
