import type { RigPlayer } from './rig-player';

/** A player's seat just before the SIGTERM. */
export interface SeatBefore {
  playerId: number;
  score: number;
  welcomes: number;
}

/** How one player came out of the drain (plain data: it crosses from a players' process). */
export interface Outcome {
  switched: boolean;
  playing: boolean;
  keptId: boolean;
  keptScore: boolean;
  scoreBefore: number;
  gapMs: number;
  lost: number;
  backwards: boolean;
  to: string;
  /** SIGTERM → the SDK's `moving`, and its `moved` ms (NaN: no such event). */
  movingMs: number;
  movedMs: number;
  /** The gap's parts, ms: last snapshot → NOTICE 'move'; → WELCOME on the new node (TLS, proxy, JOIN); → first snapshot there (the room's hold, then a tick). */
  toNoticeMs: number;
  toWelcomeMs: number;
  toSnapshotMs: number;
  /** The move's own gap: last snapshot on the old node → first on the new one, ms (the longest gap may be elsewhere: a stall of the players' process). */
  moveGapMs: number;
  /** The SDK's move events, e.g. "moved room-moved n1→n2". */
  moves: string[];
}

export function seatBefore(p: RigPlayer): SeatBefore {
  return { playerId: p.client.playerId, score: p.score, welcomes: p.welcomes.length };
}

/** Switched seats (or closed) and played `settleMs` on the new one. */
export function settled(p: RigPlayer, b: SeatBefore, now: number, settleMs: number): boolean {
  const w = p.welcomes[b.welcomes];
  return p.closed !== undefined || (w !== undefined && now - w.firstSnapshotAt > settleMs);
}

/**
 * Did the player keep its entity id (a resumed WELCOME with the same player id) and its score
 * (its scoreboard field after ≥ before); its longest snapshot gap since the mark; the inputs it
 * sent before the switch that no seat ever acknowledged; whether its tick went backwards.
 *
 * @param t0 the SIGTERM, on this process's performance.now()
 */
export function outcomeOf(p: RigPlayer, b: SeatBefore, t0: number): Outcome {
  const w = p.welcomes[b.welcomes];
  const switched = w !== undefined;
  const keptId = switched && w.resumed && w.playerId === b.playerId;
  // Inputs sent on the old seat before the switch: a moved seat acknowledges them on the new
  // node (same seqs: ticks go on); a new seat never applies what the old one had not.
  const lost = !switched ? 0 : keptId ? Math.max(0, w.sentBefore - p.ackedSeq) : Math.max(0, w.sentBefore - w.ackedBefore);
  return {
    switched,
    playing: switched && p.closed === undefined && !Number.isNaN(w.firstSnapshotAt),
    keptId,
    keptScore: keptId && p.score >= b.score,
    scoreBefore: b.score,
    gapMs: p.maxGapMs,
    lost,
    backwards: p.ticksBackwards > 0,
    to: switched ? (w.node ?? p.movedTo ?? '?') : '–',
    movingMs: p.movingAt - t0,
    movedMs: p.movedMs,
    toNoticeMs: p.movingAt - p.lastSnapBeforeMove,
    toWelcomeMs: switched ? w.at - p.movingAt : Number.NaN,
    toSnapshotMs: switched ? w.firstSnapshotAt - w.at : Number.NaN,
    moveGapMs: switched ? w.firstSnapshotAt - p.lastSnapBeforeMove : Number.NaN,
    moves: p.moves.map((m) => m.replace(/ \d+ ms$/, '')),
  };
}
