import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_TOKEN_LENGTH } from '../../shared/protocol/control-messages';
import type { TokenVerifier } from '../auth/token-verifier';
import { MatchmakeError, type Matchmaker } from '../cluster/matchmaker';
import type { NodePresence } from '../cluster/node-presence';
import type { ReserveReply, ReserveRequest } from '../cluster/node-rpc';
import { escapeForLog, type LogSampler } from '../logging/log-sampler';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import { JoinRejectedError, type RoomManager } from '../rooms/room-manager';
import { addressKey } from './address-key';
import { sendJson, sendText } from './http-reply';
import { ReservationQuota } from './reservation-quota';
import type { MatchmakingOptions } from './server-options';

/** What matchmaking needs from the server it runs in. */
export interface MatchmakeHost {
  readonly rooms: RoomManager;
  readonly auth: TokenVerifier | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly logSampler: LogSampler;
  readonly draining: boolean;
  /** This node in the cluster, and the matchmaker over it: set once the server listens. */
  readonly cluster: NodePresence | undefined;
  readonly matchmaker: Matchmaker | undefined;
  /** The game port, for this node's own URL when it has no public one. */
  readonly port: number;
}

/**
 * `POST /matchmake` and the seats this node holds for matchmade players. Each address (an IPv6
 * /64) and each identity may hold only a few unclaimed seats at once (see
 * {@link ReservationQuota}); past that the request is refused with 429 before the registry is
 * read. A token (`Authorization: Bearer …` or `?token=`, as JOIN's) binds the seat to its
 * identity; with `requireAuth` it is required.
 */
export class MatchmakeRoute {
  /** Unclaimed seats per address and identity, counted here. */
  readonly quota: ReservationQuota;
  private readonly requireAuth: boolean;

  /**
   * @param perIpLimits the front door's switch: off (load tests) lifts the per-address count too.
   * @param ttlMs how long a reservation holds its seat, ms.
   */
  constructor(
    private readonly host: MatchmakeHost,
    options: MatchmakingOptions,
    perIpLimits: boolean,
    readonly ttlMs: number,
  ) {
    this.quota = new ReservationQuota(perIpLimits ? (options.maxReservationsPerIp ?? 4) : 0, options.maxReservationsPerUser ?? 2);
    this.requireAuth = options.requireAuth ?? false;
    if (this.requireAuth && !host.auth)
      throw new RangeError(
        'matchmaking.requireAuth needs auth: set a key source (auth option, --auth-secret/--auth-public-key/--auth-jwks)',
      );
    host.rooms.on('reservation-claimed', (token) => this.quota.claimed(token));
  }

  /** Housekeeping: give back the places of lapsed holds. */
  prune(now: number): void {
    this.quota.prune(now);
  }

  /** Answer `POST /matchmake?roomType=…` from `ip`: a seat somewhere in the cluster, as JSON (see MatchmakeResult). */
  handle(req: IncomingMessage, res: ServerResponse, ip: string): void {
    if (req.method !== 'POST') return sendText(res, 405, 'method not allowed: POST /matchmake?roomType=…', { allow: 'POST' });
    const { rooms, auth } = this.host;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const roomType = query.get('roomType') ?? (rooms.typeNames.length === 1 ? rooms.typeNames[0]! : '');
    try {
      rooms.type(roomType);
    } catch (err) {
      return sendJson(res, 400, { error: (err as Error).message });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? query.get('token') ?? undefined;
    if (this.requireAuth && !bearer)
      return sendJson(res, 401, { error: 'matchmaking needs a token on this server (Authorization: Bearer …), as JOIN does' });
    const identity = bearer && auth ? auth.verify(bearer.slice(0, MAX_TOKEN_LENGTH + 1)) : Promise.resolve(undefined);
    identity.then(
      (who) => this.matchmakeFor(req, res, ip, roomType, who?.userId),
      (err: Error) => {
        this.warn(ip, err.message, 'matchmaking refused: bad token');
        sendJson(res, 401, { error: err.message });
      },
    );
  }

  /** Hold a seat on this node for a matchmade player (asked by this node's matchmaker or another's). */
  readonly reserveHere = (req: ReserveRequest): ReserveReply => {
    const { rooms, cluster } = this.host;
    const nodeId = cluster!.nodeId;
    if (this.host.draining) return { ok: false, reason: 'refused', message: `node ${nodeId} is draining` };
    if (req.roomId !== undefined) {
      const room = rooms.rooms.get(req.roomId);
      if (!room || room.disposed || rooms.freeSeats(room) <= 0)
        return { ok: false, reason: 'full', message: `room ${req.roomId} on node ${nodeId} is full or gone` };
    }
    try {
      const held = rooms.reserve(req.roomType, this.host.clock.now(), this.ttlMs, req.roomId, req.userId);
      return { ok: true, nodeId, url: cluster!.publicUrl, roomId: held.roomId, reservation: held.token, expiresInMs: this.ttlMs };
    } catch (err) {
      if (!(err instanceof JoinRejectedError)) throw err;
      return { ok: false, reason: 'refused', message: err.message };
    }
  };

  private matchmakeFor(req: IncomingMessage, res: ServerResponse, ip: string, roomType: string, userId: string | undefined): void {
    const place = this.quota.take(addressKey(ip), userId);
    if ('refusal' in place) {
      this.warn(ip, place.refusal, 'matchmaking refused');
      res.setHeader('retry-after', String(Math.ceil(this.ttlMs / 1000)));
      return sendJson(res, 429, { error: place.refusal });
    }
    const selfUrl = this.host.cluster!.routed(`ws://${req.headers.host ?? `127.0.0.1:${this.host.port}`}/ws`);
    this.host.matchmaker!.matchmake(roomType, selfUrl, userId).then(
      (result) => {
        this.quota.hold(result.reservation, place.keys, this.host.clock.now() + result.expiresInMs);
        sendJson(res, 200, result);
      },
      (err: Error) => {
        this.quota.giveBack(place.keys);
        if (!(err instanceof MatchmakeError)) this.host.log.error({ err }, 'matchmaking failed unexpectedly');
        sendJson(res, err instanceof MatchmakeError ? err.status : 500, { error: err.message });
      },
    );
  }

  /** A refusal's log line, sampled per address. */
  private warn(ip: string, reason: string, msg: string): void {
    const { log, logSampler, clock } = this.host;
    logSampler.write(log, 'warn', ip, clock.now(), { ip, reason: escapeForLog(reason) }, msg);
  }
}
