import { CloseCode } from '../../shared/protocol/close-codes';

/**
 * Did the link drop (hold the seat for a resume) or did the player leave (free it now)?
 *
 * - The peer closed: only 1000 (a deliberate leave) frees the seat. 1001 (a closed or
 *   reloaded tab), 1005/1006 (no close frame: a dead network) and anything else are drops.
 * - The server closed: a heartbeat timeout (4005) and a client too slow to read (4008) are
 *   network trouble, so drops; every other code the server sends (bad input, rate limit,
 *   room crash, shutdown) ends the seat.
 *
 * @param sentCode the code the server closed with, if it closed first
 * @param socketCode the code the link reported when it ended
 */
export function isDrop(sentCode: number | undefined, socketCode: number): boolean {
  if (sentCode !== undefined) return sentCode === CloseCode.Timeout || sentCode === CloseCode.TooSlow;
  return socketCode !== CloseCode.Normal;
}
