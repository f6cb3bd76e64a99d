import type { EntityKindSchema, EntitySchema } from '../../shared/replication/entity-schema';
import type { EntityTable } from '../../shared/replication/entity-table';
import type { ClientReplica } from '../../src/replication/client-replica';
import type { Replicator } from '../../src/replication/replicator';

/**
 * The replication tests' dot: a position on a 10,000-unit square (x, y roles, so interest can
 * place it) and a counter `n` in 0…`counterMax` that changes when a test says.
 */
export function dotKind(counterMax: number): EntityKindSchema {
  return {
    name: 'dot',
    fields: [
      { name: 'x', min: 0, max: 10_000, lerp: 'linear', role: 'x' },
      { name: 'y', min: 0, max: 10_000, lerp: 'linear', role: 'y' },
      { name: 'n', min: 0, max: counterMax },
    ],
  };
}

/** Dots only (kind 0), the counter up to 1,000,000: every field changes when the test says. */
export const dotSchema: EntitySchema = { kinds: [dotKind(1_000_000)] };

/** One dot of dotSchema: its id, position and counter. */
export type Dot = [id: number, x: number, y: number, n: number];

/** Write `dots` (in any order) into `rep` as tick `tick` and seal it. */
export function sealDots(rep: Replicator, tick: number, dots: readonly Dot[]): void {
  const t = rep.begin(tick);
  for (const [id, x, y, n] of dots) {
    const r = t.push(id, 0);
    t.set(r, 0, x);
    t.set(r, 1, y);
    t.set(r, 2, n);
  }
  rep.seal(new Uint8Array([0]));
}

/** A test client of a Replicator: its replica, its own entity's id, and every table it decoded, by tick. */
export class DotClient {
  readonly held = new Map<number, EntityTable>();
  constructor(
    readonly replica: ClientReplica,
    readonly ownId: number,
  ) {}
}
