// Your first game: every player is a dot that walks on a 1000 × 1000 field. Written against the
// public import `tickwire/game` only, so it runs unchanged on the server, in a browser and in Node.
import type { GameDefinition } from 'tickwire/game';

export interface Walker {
  id: number;
  x: number;
  y: number;
}
export interface WalkersState {
  tick: number;
  /** In ascending id order, so every run iterates them the same way (the step must be deterministic). */
  walkers: Walker[];
}
/** One tick's keys, as bits: 1 left, 2 right, 4 up, 8 down. */
export interface WalkersInput {
  keys: number;
}

/** Field side, world units. */
const SIDE = 1000;
/** Walking speed, world units per tick (240 units/s at the default 60 Hz). */
const SPEED = 4;

export const walkersGame: GameDefinition<WalkersState, WalkersInput> = {
  name: 'walkers',
  // What the clients see: one entity per player; the codec derives the wire widths from the ranges.
  entitySchema: {
    kinds: [
      {
        name: 'walker',
        fields: [
          { name: 'x', min: 0, max: SIDE, lerp: 'linear', role: 'x' },
          { name: 'y', min: 0, max: SIDE, lerp: 'linear', role: 'y' },
        ],
      },
    ],
  },
  // One byte per input; `read` masks what a peer sends, since the server is the authority.
  input: {
    byteLength: 1,
    create: () => ({ keys: 0 }),
    write: (out, input) => out.u8(input.keys),
    read: (bytes, out) => {
      out.keys = bytes.u8() & 0b1111;
    },
    copy: (from, to) => {
      to.keys = from.keys;
    },
  },
  createState: () => ({ tick: 0, walkers: [] }),
  addPlayer: (state, id) => {
    state.walkers.push({ id, x: SIDE / 2, y: SIDE / 2 });
    state.walkers.sort((a, b) => a.id - b.id);
  },
  removePlayer: (state, id) => {
    state.walkers = state.walkers.filter((w) => w.id !== id);
  },
  step: (state, inputs) => {
    for (const w of state.walkers) {
      const keys = inputs.get(w.id)?.keys ?? 0;
      const dx = (keys & 2 ? 1 : 0) - (keys & 1 ? 1 : 0);
      const dy = (keys & 8 ? 1 : 0) - (keys & 4 ? 1 : 0);
      w.x = Math.min(SIDE, Math.max(0, w.x + dx * SPEED));
      w.y = Math.min(SIDE, Math.max(0, w.y + dy * SPEED));
    }
    state.tick++;
  },
  tickOf: (state) => state.tick,
  writeEntities: (state, out) => {
    for (const w of state.walkers) {
      const row = out.push(w.id, 0);
      out.set(row, 0, w.x);
      out.set(row, 1, w.y);
    }
  },
  hash: (state) => state.walkers.reduce((h, w) => (Math.imul(h, 31) + w.id * 1_000_003 + w.x * 1009 + w.y) | 0, state.tick),
};
