import type { ByteReader } from '../../shared/binary/byte-reader';
import { CloseCode } from '../../shared/protocol/close-codes';
import { decodeControlBody, parseJoin, type JoinMessage } from '../../shared/protocol/control-messages';
import { PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { deltaCodecName } from '../../shared/replication/delta-codec';
import { AuthError, forbidden } from '../auth/auth-error';
import type { Identity, TokenVerifier } from '../auth/token-verifier';
import { JoinRejectedError } from '../rooms/room-manager';
import type { ResolvedRoomType } from '../rooms/room-type';
import type { Session } from './session';
import { SessionState } from './session-state';

// Admission: how a session's JOIN becomes a seat. Refusals close the session with the code
// that says why (version, drain, room type, codec, authentication, a full room).

/**
 * JOIN (reader just past the type byte): check the protocol version, the drain, the room type
 * and the snapshot codec; then verify the token (authentication on) and take a seat.
 */
export function handleJoin(session: Session, reader: ByteReader): void {
  if (session.state !== SessionState.AwaitingJoin) {
    session.reject(CloseCode.UnexpectedMessage, 'JOIN sent twice on one connection');
    return;
  }
  const join = parseJoin(decodeControlBody(reader.rest()));
  if (join.v !== PROTOCOL_VERSION) {
    session.reject(
      CloseCode.ProtocolMismatch,
      `protocol version ${join.v} is not supported: this server speaks version ${PROTOCOL_VERSION}`,
    );
    return;
  }
  if (session.host.draining) {
    session.reject(CloseCode.GoingAway, 'the server is shutting down: join another server');
    return;
  }
  let type: ResolvedRoomType;
  try {
    type = session.host.rooms.type(join.roomType);
  } catch (err) {
    if (!(err instanceof JoinRejectedError)) throw err;
    session.reject(err.closeCode, err.message);
    return;
  }
  const codec = deltaCodecName(type.game.entitySchema);
  if (join.codec !== undefined && join.codec !== codec) {
    session.reject(
      CloseCode.ProtocolMismatch,
      `snapshot codec ${join.codec} does not match room type "${type.name}"'s ${codec}: the client's game schema differs from the server's`,
    );
    return;
  }
  const auth = session.host.auth;
  if (!auth) {
    admit(session, join, undefined);
    return;
  }
  session.state = SessionState.Authenticating;
  void authenticate(session, auth, join, type);
}

/** Verify the token (and ask the room type's onAuth), then admit; refusals close 4010/4011. */
async function authenticate(session: Session, auth: TokenVerifier, join: JoinMessage, type: ResolvedRoomType): Promise<void> {
  let identity: Identity;
  try {
    identity = await auth.verify(join.token ?? session.urlToken);
    if (type.onAuth) {
      const verdict = await type.onAuth(identity, { roomType: join.roomType, name: join.name });
      if (verdict !== true) throw forbidden(typeof verdict === 'string' && verdict ? verdict : `refused by room type "${type.name}"`);
    }
  } catch (err) {
    if (session.state !== SessionState.Authenticating) return;
    if (err instanceof AuthError) session.reject(err.closeCode, err.message, { auth: err.reasonCode });
    else {
      session.log.error({ err }, 'authentication threw unexpectedly');
      session.reject(CloseCode.InternalError, 'internal error');
    }
    return;
  }
  // The client may have gone (or timed out) while the token was checked.
  if (session.state !== SessionState.Authenticating) return;
  try {
    admit(session, join, identity);
  } catch (err) {
    // Outside message(): nothing else would catch it, and an unhandled rejection ends the process.
    session.log.error({ err }, 'unexpected error admitting an authenticated client');
    session.reject(CloseCode.InternalError, 'internal error');
  }
}

/** Take a seat: back the one a resume token names, the identity's own, or a new one. */
function admit(session: Session, join: JoinMessage, identity: Identity | undefined): void {
  const rooms = session.host.rooms;
  try {
    const seat =
      join.resume !== undefined
        ? rooms.resume(session, join.resume, join.roomType, identity)
        : join.reservation !== undefined
          ? rooms.claim(session, join.reservation, join.roomType, join.name, session.host.clock.now(), identity)
          : rooms.join(session, join.roomType, join.name, identity);
    session.room = seat.room;
    session.slot = seat.slot;
    session.identity = identity;
    session.state = SessionState.Joined;
    if (identity) {
      // A resume or takeover (the same `sub`, checked by the room manager) brings a newer
      // token: room code sees its claims, as after a TOKEN_REFRESH.
      seat.slot.identity = identity;
      session.tokens.takeExpiry(identity.expiresAt);
    }
    session.host.sessionJoined?.(session);
    // Not `name`: pino's own field (the logger's name) would be overwritten.
    const fields = { room: seat.room.id, player: seat.slot.id, playerName: seat.slot.name, userId: identity?.userId };
    if (seat.previous) {
      const why = join.resume !== undefined ? 'resumed on a new connection' : 'the same identity joined from another connection';
      seat.previous.supersede(`superseded: ${why}`);
      session.log.info(fields, join.resume !== undefined ? 'player resumed; old link closed' : 'identity took its seat over');
    } else if (join.resume !== undefined) {
      session.log.info({ ...fields, droppedMs: Math.round(session.host.clock.now() - seat.detachedAt) }, 'player resumed');
    } else session.log.info(fields, 'player joined');
  } catch (err) {
    if (!(err instanceof JoinRejectedError)) throw err;
    session.reject(err.closeCode, err.message);
  }
}
