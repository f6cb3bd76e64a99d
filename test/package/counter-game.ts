// A tiny second game, written against tickwire's public imports only (the package smoke test
// copies this folder into an empty project that installed the packed tarball).
import type { GameDefinition } from 'tickwire/game';

export interface CounterState {
  tick: number;
  total: number;
  players: number[];
}
export interface CounterInput {
  add: number;
}

/** Every player's input adds `add` (0-9) to one shared total, replicated as one entity. */
export const counterGame: GameDefinition<CounterState, CounterInput> = {
  name: 'counter',
  entitySchema: { kinds: [{ name: 'counter', fields: [{ name: 'total', min: 0, max: 1_000_000 }] }] },
  input: {
    byteLength: 1,
    create: () => ({ add: 0 }),
    write: (out, i) => out.u8(i.add),
    read: (r, out) => {
      out.add = Math.min(r.u8(), 9);
    },
    copy: (from, to) => {
      to.add = from.add;
    },
  },
  createState: () => ({ tick: 0, total: 0, players: [] }),
  addPlayer: (s, id) => void s.players.push(id),
  removePlayer: (s, id) => void s.players.splice(s.players.indexOf(id), 1),
  step: (s, inputs) => {
    for (const id of s.players) s.total = Math.min(1_000_000, s.total + (inputs.get(id)?.add ?? 0));
    s.tick++;
  },
  tickOf: (s) => s.tick,
  writeEntities: (s, out) => out.set(out.push(1, 0), 0, s.total),
  hash: (s) => s.total,
};
