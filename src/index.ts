/**
 * `tickwire`: the server. Host one or more games as room types on one port, over WebSocket
 * (and WebRTC with `webrtc.enabled`):
 *
 * ```ts
 * import { TickwireServer, defineRoomType } from 'tickwire';
 * const server = new TickwireServer({ roomTypes: [defineRoomType({ game: myGame, maxPlayers: 16 })], port: 8080 });
 * await server.listen();
 * ```
 *
 * @module tickwire
 */
export { TickwireServer, type ConnectionInfo, type TickwireServerOptions } from './server/tickwire-server';
export { defineRoomType, type JoinRequest, type RoomTypeDefinition } from './rooms/room-type';
export { Room, PlayerSlot, type PlayerIdentity, type RoomStats } from './rooms/room';
export type { HealthReport } from './server/health';
export type { AuthOptions } from './auth/auth-options';
export type { FrontDoorOptions } from './server/front-door';
export type { WebRtcOptions } from './transport/webrtc/webrtc-options';
export type { ClusterOptions, NodeListing, RoomListing, MatchmakeResult, PresenceStats } from './cluster/index';
export type { ReplicationOptions } from './replication/replicator';
export { createLogger, type Logger, type LogLevel } from './logging/logger';
export { ManualClock, monotonicClock, type Clock } from './loop/clock';
export { ManualScheduler, realLoopTimers, realTimers, type LoopTimers, type Timers } from './loop/timers';
export { MemoryLink } from './transport/memory-transport';
export { TickwireData, type TickwireDataOptions, type StoreWriteOptions } from './persistence/tickwire-data';
export type { DatabaseOptions } from './persistence/database';
export {
  ProfileStore,
  cursorOf,
  publicProfile,
  type MatchLine,
  type Profile,
  type PublicProfile,
  type LeaderboardKey,
  type LeaderboardCursor,
  type LeaderboardEntry,
} from './profiles/profile-store';
export type { WriteBatcherStats, DropReason } from './persistence/write-batcher';
export { withArenaStats } from './profiles/arena-stats';
export type { ChatOptions } from './chat/chat-service';
export type { NotificationSent } from './notifications/notification-service';
export * from '../shared/index';
// Types the server's options, reports and hooks name, exported so a caller can name them too.
// (The server's internal parts, reachable as its public fields, are not: they are not an API.)
export { LOG_LEVELS } from './logging/logger';
export { MessageType } from '../shared/protocol/message-types';
export type { TrafficCounters } from './session/session-host';
export type { TokenPolicy } from './session/token-lifetime';
export type { WriteBatcherOptions } from './persistence/write-batcher';
export type { MemoryClientEnd, MemoryServerEnd, MemoryLinkOptions } from './transport/memory-transport';
export type { RoomClient } from './rooms/room-client';
export type { RoomOptions } from './rooms/room';
export type { ResolvedRoomType } from './rooms/room-type';
export type { InterestOptions } from './replication/interest';
export type { Engine } from './persistence/migrations';
export type { RoomMoveOptions, RoomMoveStats } from './cluster/room-mover';
export type { RoomTotals } from './server/health';
export type { MatchmakingOptions } from './server/server-options';
export type { Delivery } from './wire/delivery';
