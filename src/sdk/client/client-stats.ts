/** Running counters; the caller turns them into rates. */
export interface ClientStats {
  snapshots: number;
  /** Payload bytes received (all messages). */
  bytesReceived: number;
  inputsSent: number;
  /** Newest input→acknowledgement time, ms (-1 before the first). */
  lastInputRttMs: number;
  /** Newest PING round trip, ms (-1 before the first). */
  lastPingMs: number;
  /** Snapshots that arrived but could not be used: a delta whose baseline this client no longer holds. */
  snapshotsUndecodable: number;
  /** Snapshots that arrived after a newer one and still went into the interpolation buffer. */
  snapshotsReordered: number;
  /** Standalone ACKs sent (snapshots acknowledged while no input went out). */
  acksSent: number;
  /** Times prediction disagreed with the server by any amount. */
  mispredictions: number;
  /** Of those, the ones over half a world unit (Predictor.distance): visible corrections. */
  correctionsOverHalfUnit: number;
  /** Largest correction so far, world units. */
  correctionMax: number;
  /** All corrections added up, world units. */
  correctionTotal: number;
  /** Frames drawn with {@link TickwireClient.sampleRemote}. */
  frames: number;
  /** Of those, frames with no newer snapshot to move towards (extrapolated or held). */
  framesWithoutNewer: number;
  /** Time remote entities were drawn extrapolated past the newest snapshot, ms. */
  extrapolatedMs: number;
  /** Entity-frames where a remote entity moved over twice as far as its motion says (+1 unit): a visible jump. */
  remoteJumps: number;
  /** Entity-frames looked at for jumps (remote entities with a position, per frame). */
  remoteEntityFrames: number;
  /** Times snapshots stopped for `snapshotStallMs`. */
  snapshotStalls: number;
  /** Input ticks the input clock jumped over (a stalled tab, a resume): the server repeated the last input for them. */
  inputsSkipped: number;
  /** sendInput calls refused because 4 s of inputs were already unacknowledged. */
  inputsWithheld: number;
  /** INPUT messages sent a second time because their newest input changed (see `changedInputResendMs`). */
  inputsResent: number;
  /** Links that dropped while in a room. */
  drops: number;
  /** Seats taken back after a drop. */
  resumes: number;
  /** Reconnect attempts made (successful or not). */
  reconnectAttempts: number;
  /** Seats found on another node after a drain or a dead node (option `matchmake`). */
  moves: number;
  /** Rooms that moved to another node with this player in them, resumed there (cause 'room-moved'). */
  roomMoves: number;
}

/** A fresh set of counters: all zero, the two round trips -1 (none measured yet). */
export function newClientStats(): ClientStats {
  return {
    snapshots: 0,
    snapshotsUndecodable: 0,
    snapshotsReordered: 0,
    acksSent: 0,
    bytesReceived: 0,
    inputsSent: 0,
    lastInputRttMs: -1,
    lastPingMs: -1,
    mispredictions: 0,
    correctionsOverHalfUnit: 0,
    correctionMax: 0,
    correctionTotal: 0,
    frames: 0,
    framesWithoutNewer: 0,
    extrapolatedMs: 0,
    remoteJumps: 0,
    remoteEntityFrames: 0,
    snapshotStalls: 0,
    inputsSkipped: 0,
    inputsWithheld: 0,
    inputsResent: 0,
    drops: 0,
    resumes: 0,
    reconnectAttempts: 0,
    moves: 0,
    roomMoves: 0,
  };
}
