import { encodeControl, type WelcomeMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { PlayerSlot } from './player-slot';
import type { Room } from './room';

/**
 * The WELCOME a player gets on joining `room` or taking its seat back (`resumed`): who it is,
 * the room's rates and codec, its resume token, and `players`, the first page of the roster
 * (the rest follows a page a tick). `node` names this node for routing resumes, if it has a name.
 */
export function encodeWelcome<S, I, P>(
  room: Room<S, I, P>,
  slot: PlayerSlot<I>,
  resumed: boolean,
  players: [number, string][],
  node: string | undefined,
): Uint8Array {
  const { type, replicator } = room;
  const welcome: WelcomeMessage = {
    playerId: slot.id,
    roomId: room.id,
    roomType: type.name,
    tickRate: type.tickRate,
    sendRate: type.sendRate,
    tick: room.tick,
    players,
    rosterSize: room.players.length,
    codec: replicator.codec.name,
    historyTicks: replicator.historyTicks,
    resumeToken: slot.resumeToken,
    resumeWindowMs: type.resumeWindowMs,
    resumed,
    lastSeq: slot.lastProcessedSeq,
    userId: slot.userId ?? null,
  };
  if (node !== undefined) welcome.node = node;
  const grid = replicator.interestGeometry;
  if (grid !== null) welcome.interest = grid;
  return encodeControl(MessageType.Welcome, welcome);
}
