import { ByteReader } from '../binary/byte-reader';
import { ByteWriter } from '../binary/byte-writer';
import type { GameDefinition, TickInputs } from './game-definition';

/**
 * A recorded session: everything needed to rebuild a room's state bit for bit, anywhere.
 * Events are in the order they happened; each applies just before the step of its `tick`.
 * Inputs are stored in their wire encoding and only when a player's input changes.
 */
export interface ReplayLog {
  game: string;
  seed: number;
  tickRate: number;
  events: ReplayEvent[];
  /** The state's tick and hash when recording stopped. */
  finalTick: number;
  finalHash: number;
}

export type ReplayEvent =
  | { tick: number; kind: 'join'; playerId: number; name: string }
  | { tick: number; kind: 'leave'; playerId: number }
  | { tick: number; kind: 'input'; playerId: number; bytes: number[]; rewind16?: number };

/** Collects a {@link ReplayLog} as a room runs. */
export class ReplayRecorder<S, I> {
  private readonly events: ReplayEvent[] = [];
  /** Each player's last recorded input, encoded: an input is recorded only when it changes. */
  private readonly lastBytes = new Map<number, Uint8Array>();
  /** Each player's last recorded rewind (lag compensation), 1/16 ticks. */
  private readonly lastRewind = new Map<number, number>();
  private readonly writer = new ByteWriter(64);

  constructor(
    private readonly game: GameDefinition<S, I, unknown>,
    private readonly seed: number,
    private readonly tickRate: number,
  ) {}

  join(tick: number, playerId: number, name: string): void {
    this.events.push({ tick, kind: 'join', playerId, name });
  }

  leave(tick: number, playerId: number): void {
    this.events.push({ tick, kind: 'leave', playerId });
    this.lastBytes.delete(playerId);
    this.lastRewind.delete(playerId);
  }

  /**
   * The input `playerId` will use in the step of `tick`, and its rewind for lag compensation
   * (1/16 ticks); recorded only when either changed.
   */
  input(tick: number, playerId: number, input: I, rewind16 = 0): void {
    this.game.input.write(this.writer.reset(), input);
    const now = this.writer.bytes();
    let last = this.lastBytes.get(playerId);
    const rewindChanged = (this.lastRewind.get(playerId) ?? 0) !== rewind16;
    if (last !== undefined && sameBytes(last, now) && !rewindChanged) return;
    if (last === undefined || last.length !== now.length) this.lastBytes.set(playerId, (last = new Uint8Array(now.length)));
    last.set(now);
    this.lastRewind.set(playerId, rewind16);
    const event: ReplayEvent = { tick, kind: 'input', playerId, bytes: Array.from(now) };
    if (rewind16 !== 0) event.rewind16 = rewind16;
    this.events.push(event);
  }

  finish(state: S): ReplayLog {
    return {
      game: this.game.name,
      seed: this.seed,
      tickRate: this.tickRate,
      events: this.events.slice(),
      finalTick: this.game.tickOf(state),
      finalHash: this.game.hash(state),
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rebuild the state a log describes by running the game's own step; returns it with its hash. */
export function replay<S, I>(game: GameDefinition<S, I, unknown>, log: ReplayLog): { state: S; hash: number } {
  if (log.game !== game.name) throw new Error(`replay log is for "${log.game}", not "${game.name}"`);
  const state = game.createState({ seed: log.seed, tickRate: log.tickRate });
  const current = new Map<number, I>();
  const rewinds = new Map<number, number>();
  const inputs: TickInputs<I> = { get: (id) => current.get(id), rewindTicks: (id) => (rewinds.get(id) ?? 0) / 16 };
  const reader = new ByteReader();
  let i = 0;
  /** Apply every event stamped at or before `tick`, in log order. */
  const applyUpTo = (tick: number) => {
    for (; i < log.events.length && log.events[i].tick <= tick; i++) {
      const e = log.events[i];
      if (e.kind === 'join') {
        game.addPlayer(state, e.playerId, e.name);
        current.set(e.playerId, game.input.create());
      } else if (e.kind === 'leave') {
        game.removePlayer(state, e.playerId);
        current.delete(e.playerId);
        rewinds.delete(e.playerId);
      } else {
        const input = current.get(e.playerId) ?? game.input.create();
        game.input.read(reader.reset(Uint8Array.from(e.bytes)), input);
        current.set(e.playerId, input);
        rewinds.set(e.playerId, e.rewind16 ?? 0);
      }
    }
  };
  while (game.tickOf(state) < log.finalTick) {
    applyUpTo(game.tickOf(state));
    game.step(state, inputs);
  }
  // Joins and leaves after the last step (e.g. the final leave before a room is disposed) are
  // part of the recorded state too.
  applyUpTo(log.finalTick);
  return { state, hash: game.hash(state) };
}
