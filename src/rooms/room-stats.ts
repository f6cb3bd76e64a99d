import { newReplicationStats, type ReplicationStats } from '../replication/replicator';

/** A room's running counters; /health adds them up over live and disposed rooms. */
export interface RoomStats extends ReplicationStats {
  /** Snapshot messages sent. */
  snapshotsSent: number;
  /** Snapshots not sent because the client's link was backed up. */
  snapshotsSkipped: number;
  /** Snapshot bytes sent. */
  bytesSent: number;
  /** Player-ticks with no input for them: clients sending late or not at all. */
  inputsStarved: number;
  /** Inputs that arrived after their tick was simulated (a repeat stood in for each). */
  inputsLate: number;
  /** Inputs stamped for a tick beyond the input buffer's reach, dropped. */
  inputsTooEarly: number;
  /** Players whose link dropped with the seat held. */
  drops: number;
  /** Seats taken back on a new link (resumes and identity takeovers). */
  resumes: number;
}

/** A room's counters, all at zero. */
export function newRoomStats(): RoomStats {
  return {
    snapshotsSent: 0,
    snapshotsSkipped: 0,
    bytesSent: 0,
    inputsStarved: 0,
    inputsLate: 0,
    inputsTooEarly: 0,
    drops: 0,
    resumes: 0,
    ...newReplicationStats(),
  };
}
