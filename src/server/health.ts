import { PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { newRoomStats, type Room, type RoomStats } from '../rooms/room';
import type { RoomManager } from '../rooms/room-manager';
import type { PresenceStats } from '../cluster/node-presence';
import type { RoomMoveStats } from '../cluster/room-mover';
import type { ChatService } from '../chat/chat-service';
import type { NotificationService } from '../notifications/notification-service';
import type { TickwireData } from '../persistence/tickwire-data';
import type { NodePresence } from '../cluster/node-presence';
import type { RoomMover } from '../cluster/room-mover';
import type { WebRtcGatewayLike } from '../transport/webrtc/webrtc-options';
import type { FrontDoor } from './front-door';

/** Room counters plus the loop's: what /health totals over every room there has been. */
export interface RoomTotals extends RoomStats {
  ticks: number;
  overruns: number;
  droppedSteps: number;
}

export function newRoomTotals(): RoomTotals {
  return { ...newRoomStats(), ticks: 0, overruns: 0, droppedSteps: 0 };
}

/** Add one room's counters to `into`: the one place the field list is walked. */
export function addRoomTotals(into: RoomTotals, room: Room): void {
  into.ticks += room.loop.steps;
  into.overruns += room.loop.overruns;
  into.droppedSteps += room.loop.droppedSteps;
  const stats = room.stats;
  for (const key in stats) into[key as keyof RoomStats] += stats[key as keyof RoomStats];
}

/** The body of `GET /health`. */
export interface HealthReport {
  status: 'ok' | 'draining';
  protocolVersion: number;
  uptimeSeconds: number;
  connections: number;
  players: number;
  /** Players whose link is down, seats held for a resume. */
  detachedPlayers: number;
  roomCount: number;
  /** Seats held for matchmade players on their way (unclaimed reservations). */
  reservedSeats: number;
  /** Up to 100 rooms, busiest first. */
  rooms: { id: string; type: string; players: number; detached: number; tick: number }[];
  totals: RoomTotals & { roomCrashes: number; closeCodes: Record<string, number> };
  process: { cpuUserMicros: number; cpuSystemMicros: number; rssBytes: number; heapUsedBytes: number };
  /**
   * WebRTC, when on: data channels opened and signalling attempts refused; snapshots dropped
   * because a channel's buffer was full; control messages sent again (from closed channels).
   */
  webrtc?: {
    channelsOpened: number;
    refused: number;
    datagramsDropped: number;
    retransmits: number;
    /** Admitted signalling attempts waiting for their channel, and those given up. */
    attemptsPending: number;
    attemptsAbandoned: number;
    /** Signalling bodies refused for size (413), and body bytes read off signalling requests. */
    bodiesRefused: number;
    bodyBytesRead: number;
  } | null;
  /** This node in the cluster registry: which store, its id, and whether the store answers. */
  cluster?: (PresenceStats & { roomMoves?: RoomMoveStats }) | null;
  /** Chat: lines taken and refused, sends, pages, members. Null with chat off. */
  chat?: ChatService['report'] | null;
  /** Notifications sent, delivered live and on connect, acknowledged. */
  notifications?: NotificationService['stats'];
  /** The database, and each store's batched writes (written, batches, failures, dropped, unsure, pending, failingFor, retryInMs). Null without one. */
  data?: TickwireData['stats'] | null;
  /** Database reads (profiles, leaderboards, history pages) in flight now, and refused since start because the cap was reached. */
  dataReads?: { inFlight: number; refused: number; max: number };
}

export function buildHealth(
  rooms: RoomManager,
  retired: RoomTotals,
  connections: number,
  closeCodes: Map<number, number>,
  startedAt: number,
  draining: boolean,
): HealthReport {
  const totals = { ...retired, roomCrashes: rooms.crashes, closeCodes: Object.fromEntries(closeCodes) };
  let players = 0;
  let detached = 0;
  const list: HealthReport['rooms'] = [];
  for (const room of rooms.rooms.values()) {
    players += room.players.length;
    detached += room.detachedCount;
    addRoomTotals(totals, room);
    list.push({ id: room.id, type: room.type.name, players: room.players.length, detached: room.detachedCount, tick: room.tick });
  }
  list.sort((a, b) => b.players - a.players);
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    status: draining ? 'draining' : 'ok',
    protocolVersion: PROTOCOL_VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    connections,
    players,
    detachedPlayers: detached,
    roomCount: rooms.rooms.size,
    reservedSeats: rooms.reservedSeats,
    rooms: list.slice(0, 100),
    totals,
    process: { cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
  };
}

/** The server's parts whose numbers /health reports besides the rooms'. */
export interface HealthSources {
  readonly rooms: RoomManager;
  /** Every open session: their count is `connections`. */
  readonly sessions: ReadonlySet<unknown>;
  readonly draining: boolean;
  readonly webrtc: WebRtcGatewayLike | undefined;
  readonly cluster: NodePresence | undefined;
  readonly mover: RoomMover | undefined;
  readonly chat: ChatService | undefined;
  readonly notifications: NotificationService;
  readonly data: TickwireData | undefined;
  /** Its cap on database reads in flight. */
  readonly frontDoor: FrontDoor;
}

/**
 * The whole `GET /health` body: {@link buildHealth}'s rooms and totals (`retired`: the rooms
 * already gone; `closeCodes`: closes by code; `startedAt`: ms since the epoch), then each part
 * that is on, null for those that are off.
 */
export function serverHealth(server: HealthSources, retired: RoomTotals, closeCodes: Map<number, number>, startedAt: number): HealthReport {
  const report = buildHealth(server.rooms, retired, server.sessions.size, closeCodes, startedAt, server.draining);
  const w = server.webrtc;
  report.webrtc = w
    ? {
        channelsOpened: w.opened,
        refused: w.refused,
        datagramsDropped: w.counters.datagramsDropped,
        retransmits: w.counters.retransmits,
        attemptsPending: w.attemptsPending,
        attemptsAbandoned: w.attemptsAbandoned,
        bodiesRefused: w.bodiesRefused,
        bodyBytesRead: w.bodyBytesRead,
      }
    : null;
  report.cluster = server.cluster ? { ...server.cluster.stats, roomMoves: server.mover && { ...server.mover.stats } } : null;
  report.chat = server.chat?.report ?? null;
  report.notifications = { ...server.notifications.stats };
  report.data = server.data?.stats ?? null;
  const reads = server.frontDoor.dataReads;
  report.dataReads = { inFlight: reads.active, refused: reads.refused, max: reads.max };
  return report;
}
