import type { GameDefinition } from '../../shared/game/game-definition';

/**
 * A second, tiny game: every player's input adds `v` to a shared total. It exists to prove a
 * game plugs into tickwire through the GameDefinition API alone.
 */
interface CounterState {
  tick: number;
  total: number;
  players: number[];
}
interface CounterInput {
  v: number;
}

export const counterGame: GameDefinition<CounterState, CounterInput> = {
  name: 'counter',
  entitySchema: { kinds: [{ name: 'counter', fields: [{ name: 'total', min: -1_000_000_000, max: 1_000_000_000 }] }] },
  input: {
    byteLength: 1,
    create: () => ({ v: 1 }),
    write: (out, i) => out.u8(i.v),
    read: (r, out) => {
      out.v = Math.min(r.u8(), 10);
    },
    copy: (from, to) => {
      to.v = from.v;
    },
  },
  createState: () => ({ tick: 0, total: 0, players: [] }),
  addPlayer: (s, id) => {
    s.players.push(id);
  },
  removePlayer: (s, id) => {
    s.players = s.players.filter((p) => p !== id);
  },
  step: (s, inputs) => {
    for (const id of s.players) s.total += inputs.get(id)?.v ?? 0;
    s.tick++;
  },
  tickOf: (s) => s.tick,
  writeEntities: (s, out) => {
    out.set(out.push(1, 0), 0, s.total);
  },
  hash: (s) => s.total,
};
