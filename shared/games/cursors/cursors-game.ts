import type { GameDefinition } from '../../game/game-definition';
import type { EntitySchema } from '../../replication/entity-schema';

/**
 * The seeds' real-time cursor board as a tickwire game: everyone in the room sees everyone's
 * pointer, with a name and a colour. It uses the GameDefinition API alone (no server change),
 * as any second game would. The server runs it at 60 Hz; the SDK interpolates the others.
 */

/** The board, in units (one unit = one CSS pixel of the demo's board). */
export const BOARD_W = 1024;
export const BOARD_H = 640;
/** Colours a cursor can have (the demo's palette), chosen from the player id. */
export const CURSOR_COLOURS = 12;

/** Where a pointer is; `present` 0 while it is outside the board (its cursor is hidden). */
export interface CursorInput {
  x: number;
  y: number;
  present: number;
}

interface Cursor {
  id: number;
  x: number;
  y: number;
  present: number;
  colour: number;
}

export interface CursorsState {
  tick: number;
  /** Ascending ids: the order everything iterates in, so every run is identical. */
  cursors: Cursor[];
}

/** Field indices of a cursor entity. */
export const CursorField = { X: 0, Y: 1, Present: 2, Colour: 3 } as const;

export const cursorsEntitySchema: EntitySchema = {
  kinds: [
    {
      name: 'cursor',
      fields: [
        { name: 'x', min: 0, max: BOARD_W, lerp: 'linear', role: 'x' },
        { name: 'y', min: 0, max: BOARD_H, lerp: 'linear', role: 'y' },
        { name: 'present', min: 0, max: 1 },
        { name: 'colour', min: 0, max: CURSOR_COLOURS - 1 },
      ],
    },
  ],
};

const clamp = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);

export const cursorsGame: GameDefinition<CursorsState, CursorInput> = {
  name: 'cursors',
  entitySchema: cursorsEntitySchema,
  input: {
    // x and y as u16, then present as u8: 5 bytes.
    byteLength: 5,
    create: () => ({ x: 0, y: 0, present: 0 }),
    // An idle player keeps its last position, hidden (a hidden tab, a lost input).
    neutralize: (i) => {
      i.present = 0;
    },
    write: (out, i) => {
      out.u16(i.x);
      out.u16(i.y);
      out.u8(i.present);
    },
    // The server is the authority: a position off the board is pulled onto it.
    read: (r, out) => {
      out.x = clamp(r.u16(), BOARD_W);
      out.y = clamp(r.u16(), BOARD_H);
      out.present = r.u8() === 0 ? 0 : 1;
    },
    copy: (from, to) => {
      to.x = from.x;
      to.y = from.y;
      to.present = from.present;
    },
  },
  createState: () => ({ tick: 0, cursors: [] }),
  addPlayer: (s, id) => {
    const cursor = { id, x: BOARD_W >> 1, y: BOARD_H >> 1, present: 0, colour: (Math.imul(id, 7) >>> 0) % CURSOR_COLOURS };
    let at = s.cursors.length;
    while (at > 0 && s.cursors[at - 1]!.id > id) at--;
    s.cursors.splice(at, 0, cursor);
  },
  removePlayer: (s, id) => {
    const at = s.cursors.findIndex((c) => c.id === id);
    if (at >= 0) s.cursors.splice(at, 1);
  },
  step: (s, inputs) => {
    for (const c of s.cursors) {
      const i = inputs.get(c.id);
      if (!i) continue;
      c.present = i.present;
      // A hidden pointer keeps its place, so it reappears where it left.
      if (i.present) {
        c.x = i.x;
        c.y = i.y;
      }
    }
    s.tick++;
  },
  tickOf: (s) => s.tick,
  writeEntities: (s, out) => {
    for (const c of s.cursors) {
      const r = out.push(c.id, 0);
      out.set(r, CursorField.X, c.x);
      out.set(r, CursorField.Y, c.y);
      out.set(r, CursorField.Present, c.present);
      out.set(r, CursorField.Colour, c.colour);
    }
  },
  hash: (s) => {
    let h = Math.imul(s.tick, 0x9e3779b1) >>> 0;
    for (const c of s.cursors) h = (Math.imul(h ^ (c.id * 65_537 + c.x * 1031 + c.y * 7 + c.present), 0x01000193) >>> 0) as number;
    return h >>> 0;
  },
};
