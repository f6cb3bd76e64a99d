import { encodeControl, type NoticeMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { BusMessage } from '../cluster/cluster-bus';
import type { NodeListing } from '../cluster/cluster-registry';
import type { Room } from '../rooms/room';
import type { Session } from '../session/session';

/** This node's joined sessions of one identity (a user may have several tabs). */
export function* sessionsOfUser(sessions: Iterable<Session>, userId: string): Iterable<Session> {
  for (const session of sessions) if (session.room && session.identity?.userId === userId) yield session;
}

/** `room` runs on `target` now: each of its players is told where (NOTICE 'move') and closed 4016, its seat let go here. */
export function tellRoomMoved(sessions: Iterable<Session>, room: Room, target: NodeListing): void {
  const notice = encodeControl(MessageType.Notice, {
    kind: 'move',
    message: 'this server is shutting down: your game goes on on another server',
    node: target.id,
    url: target.publicUrl,
  } satisfies NoticeMessage);
  for (const session of sessions) if (session.room === room) session.moveOut(notice, `room moved to node ${target.id}`);
}

/**
 * What the cluster bus calls with each message for this node: notices go to this node's
 * players (everyone joined, or one identity's links); topics are for game code, not here.
 */
export function busNoticeDelivery(sessions: Iterable<Session>): (msg: BusMessage) => void {
  return (msg) => {
    if (msg.kind === 'topic') return;
    const notice = encodeControl(MessageType.Notice, {
      kind: msg.kind === 'notice-all' ? 'info' : 'direct',
      message: msg.message,
    } satisfies NoticeMessage);
    // One encoding for everyone: a transport that keeps bytes (WebRTC's resend buffer) copies them itself.
    if (msg.kind === 'notice-user') for (const session of sessionsOfUser(sessions, msg.userId)) session.send(notice);
    else for (const session of sessions) if (session.room) session.send(notice);
  };
}
