import { Button } from '../../shared/games/arena';

/**
 * The eight walking directions of the arena, as button masks with the matching aim (u16 angle:
 * 0 = +x, 16384 = +y, screen-down), so a walker can aim where it goes. Shared by the load bots
 * and the benchmark workload.
 */
export const DIR_BUTTONS = Uint8Array.of(
  Button.Right,
  Button.Right | Button.Down,
  Button.Down,
  Button.Left | Button.Down,
  Button.Left,
  Button.Left | Button.Up,
  Button.Up,
  Button.Right | Button.Up,
);
export const DIR_AIM = Uint16Array.of(0, 8192, 16384, 24576, 32768, 40960, 49152, 57344);
