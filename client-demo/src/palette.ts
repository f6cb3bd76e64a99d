/**
 * Colours of the demo. Pure data (no DOM), so the e2e test imports the own-player colour and
 * checks a canvas pixel against it.
 */

/** The local player's fill, as sRGB bytes: a teal no remote colour comes near. */
export const OWN_PLAYER_RGB: readonly [number, number, number] = [46, 230, 166];
export const OWN_PLAYER_COLOR = rgb(OWN_PLAYER_RGB);

/** Remote players' fills, picked by player id; warm and violet hues, far from the own teal. */
const REMOTE_RGB: readonly (readonly [number, number, number])[] = [
  [255, 122, 89],
  [255, 193, 69],
  [180, 140, 255],
  [255, 111, 181],
  [90, 184, 255],
  [240, 240, 240],
];
const REMOTE_COLORS = REMOTE_RGB.map(rgb);

export const ARENA_FLOOR = '#0d131b';
export const ARENA_GRID = '#172230';
export const ARENA_WALL = '#3a4b5e';
export const OUTLINE = 'rgba(0, 0, 0, 0.55)';
export const SHIELD_RING = 'rgba(140, 220, 255, 0.9)';
export const HP_BACK = 'rgba(0, 0, 0, 0.6)';
export const HP_GOOD = '#4ade80';
export const HP_LOW = '#f87171';
export const NAME_INK = '#e6edf3';
export const GHOST_INK = 'rgba(230, 237, 243, 0.55)';

/** The fill for player `id`, given the local player's id. */
export function playerColor(id: number, ownId: number): string {
  return id === ownId ? OWN_PLAYER_COLOR : REMOTE_COLORS[id % REMOTE_COLORS.length];
}

function rgb(c: readonly [number, number, number]): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
