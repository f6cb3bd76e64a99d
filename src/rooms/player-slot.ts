import type { TickInputBuffer } from '../input/tick-input-buffer';
import type { ClientReplica } from '../replication/client-replica';
import { newResumeToken } from './resume-token';
import type { PlayerIdentity, RoomClient } from './room-client';

/** A player in a room: its client, its input buffer and its replication bookkeeping. */
export class PlayerSlot<I> {
  /** The player's link; a no-op client while detached. Swapped on resume. */
  client: RoomClient;
  /** False while the link is down and the seat is held for a resume. */
  connected = true;
  /** When the link dropped, ms on the server clock (NaN while connected). */
  detachedAt = Number.NaN;
  /** The close code of the drop (0 while connected). */
  dropCode = 0;
  /** Presented once in JOIN.resume to take this seat back; rotated on every (re)attach. */
  resumeToken: string = newResumeToken();
  /** The authenticated identity, or undefined for a guest. */
  identity: PlayerIdentity | undefined;
  /** The input applied in the latest step (repeated when its tick's input is missing). */
  readonly current: I;
  /** Inputs by the tick they are stamped for. */
  readonly inputs: TickInputBuffer<I>;
  /**
   * Newest tick whose input slot was used for this player: its own input, or a repeat when it
   * came late (a late input is then never applied). The client reconciles from it. 0 until
   * the player's first input.
   */
  lastProcessedSeq = 0;
  /** Least lead of the inputs received since this player's last snapshot, ms (NaN: none). */
  inputLeadMs = Number.NaN;
  /** The last lead reported to this player, ms (NaN before the first): its input cushion. */
  lastInputLeadMs = Number.NaN;
  /** The applied input's rewind for lag compensation, 1/16 ticks, capped (see TickInputs.rewindTicks). */
  rewind16 = 0;
  /** Newest snapshot tick the client acknowledged that was sent to it (0: none yet). */
  ackTick = 0;
  /**
   * Acks of ticks before this are not this room's (0: all are): a seat that moved here holds the
   * old node's snapshots up to the move's tick, which this node's history also names.
   */
  acksFrom = 0;
  /** What the server knows of the client's copy of the world: sent snapshots, acks, budget. */
  replica!: ClientReplica;
  /** Roster entries still to page to this client after its WELCOME (see ROSTER_PAGE). */
  rosterQueue: PlayerSlot<I>[] | null = null;
  /** Ticks that had no new input from this player. */
  starvedTicks = 0;
  /** Consecutive ticks without a new input. */
  starvedStreak = 0;
  /** Snapshots not sent because the client's socket was backed up. */
  snapshotsSkipped = 0;

  /** The authenticated user id (the token's `sub`), or undefined for a guest. */
  get userId(): string | undefined {
    return this.identity?.userId;
  }

  constructor(
    readonly id: number,
    readonly name: string,
    client: RoomClient,
    inputs: TickInputBuffer<I>,
    current: I,
    readonly neutral: I,
  ) {
    this.client = client;
    this.inputs = inputs;
    this.current = current;
  }
}
