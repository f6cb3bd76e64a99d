/**
 * `tickwire/client`: the SDK, for browsers and Node alike (no Node built-ins). Prediction and
 * reconciliation, a jitter buffer for the others, tick sync, resume after a drop, WebSocket or
 * WebRTC, and a network simulator:
 *
 * ```ts
 * import { TickwireClient } from 'tickwire/client';
 * const client = new TickwireClient({ url: 'wss://game.example/ws', game: myGame, name: 'ada', transport: 'auto' });
 * await client.connect();
 * ```
 *
 * @module tickwire/client
 */
export {
  TickwireClient,
  ClientState,
  type ClientEvents,
  type ClientStats,
  type ReconnectOptions,
  type TickwireClientOptions,
  type SocketFactory,
  type WebSocketConstructor,
  type WebSocketLike,
} from './sdk/tickwire-client';
export { matchmake, type MatchmakeOptions, type MatchmakeTicket } from './sdk/matchmake';
export { ChatLog, type ChatEntry } from './sdk/chat-log';
export { checkChatText, CHAT_MAX_GRAPHEMES, type ChatChannelName, type ChatRejectedMessage } from '../shared/protocol/chat-messages';
export { NetworkSimulator, type LinkConditions, type NetworkSimulatorOptions } from './sdk/network-simulator';
export { InterpolatedView, SampleMode } from './sdk/snapshot-buffer';
export { PlaybackClock } from './sdk/playback-clock';
export { TickSync } from './sdk/tick-sync';
export type { TransportChoice } from './sdk/fallback-socket';
export type { WebRtcClientOptions } from './sdk/webrtc-socket';
export { ManualScheduler, realTimers, type Timers } from './loop/timers';
export { ManualClock, monotonicClock, type Clock } from './loop/clock';
export * from '../shared/index';
// Types the SDK's options, events and members name, exported so a caller can name them too.
export type { BackoffOptions } from './sdk/backoff';
export type { FollowOptions, MoveCause, SeatPlace } from './sdk/seat-follower';
export type { TickSyncOptions } from './sdk/tick-sync';
export type { PlaybackOptions } from './sdk/playback-clock';
export type { LinkCounters } from './sdk/network-simulator';
export type { NoticeMessage, RosterEntry, ErrorMessage, WelcomeMessage } from '../shared/protocol/control-messages';
export type { ChatLine } from '../shared/protocol/chat-messages';
export type { DisplayTextCheck } from '../shared/protocol/player-name';
export type { CellGeometry } from '../shared/replication/cell-geometry';
