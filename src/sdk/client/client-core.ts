import type { GameDefinition, GameSetup } from '../../../shared/game/game-definition';
import type { WelcomeMessage } from '../../../shared/protocol/control-messages';
import { monotonicClock, type Clock } from '../../loop/clock';
import { realTimers, type Timers } from '../../loop/timers';
import { ClientState } from '../client-state';
import type { WebSocketLike } from '../socket-like';
import type { TickSync } from '../tick-sync';
import type { ChatAndNotices } from './chat-and-notices';
import type { ClientEvents } from './client-events';
import type { TickwireClientOptions } from './client-options';
import { newClientStats, type ClientStats } from './client-stats';
import type { ClientLink } from './link';
import type { InputPipeline } from './input-pipeline';
import type { MessageRouter } from './message-router';
import type { Reconciler } from './reconciler';
import type { RemoteSampler } from './remote-sampler';
import type { RoomEntry } from './room-entry';
import type { Roster } from './roster';
import type { SeatKeeper } from './seat-keeper';
import type { SnapshotReceiver } from './snapshot-receiver';
import type { TokenRefresher } from './token-refresher';

/** The façade's `emit`, bound once, so parts raise its events without a closure per message. */
export type EmitClientEvent = <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void;

/**
 * The state every part of a {@link TickwireClient} shares, and the parts themselves: each part
 * is made once with this object and reaches the others through it (`core.inputs`,
 * `core.receiver`…), so nothing is allocated to wire them per message.
 *
 * ```
 *   socket ─► MessageRouter ─┬─► SnapshotReceiver ─► InputPipeline.takeAck, Reconciler, ACK
 *                            ├─► RoomEntry (WELCOME) ─► Roster, InputPipeline, SnapshotReceiver
 *                            ├─► Roster, ChatAndNotices ─► SeatKeeper (moves), TokenRefresher
 *                            └─► pong ─► TickSync
 *   ClientLink: opens links, JOIN, pings and liveness; a closed link goes to SeatKeeper
 *   (resume with backoff, room moves, matchmade moves) or ends the client.
 * ```
 */
export class ClientCore<S, I, P> {
  readonly options: TickwireClientOptions<S, I, P>;
  readonly game: GameDefinition<S, I, P>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: () => number;
  readonly stats: ClientStats = newClientStats();
  readonly emit: EmitClientEvent;
  /** The current link; undefined between links and once closed. */
  socket: WebSocketLike | undefined;
  /** Where the client is in its life. */
  state: ClientState = ClientState.Idle;
  /** The newest WELCOME (the current seat), undefined before the first. */
  welcome: WelcomeMessage | undefined;
  /** How the client ended, once it has (state Closed). */
  closeEvent: { code: number; reason: string } | undefined;
  /** The transport of the current (or last) link. */
  transport: 'ws' | 'webrtc' | undefined;
  /** The game setup for prediction, made at WELCOME. */
  setup: GameSetup | undefined;
  /** The input clock and the server clock estimate; made at the first WELCOME. */
  sync: TickSync | undefined;
  /** The predicted local player, when the game has a predictor and the player is in a snapshot. */
  predicted: P | undefined;

  // The parts, set by the façade's constructor right after this object is made.
  link!: ClientLink<S, I, P>;
  keeper!: SeatKeeper<S, I, P>;
  tokens!: TokenRefresher<S, I, P>;
  router!: MessageRouter<S, I, P>;
  entry!: RoomEntry<S, I, P>;
  inputs!: InputPipeline<S, I, P>;
  receiver!: SnapshotReceiver<S, I, P>;
  sampler!: RemoteSampler<S, I, P>;
  reconciler!: Reconciler<S, I, P>;
  roster!: Roster<S, I, P>;
  talk!: ChatAndNotices<S, I, P>;

  constructor(options: TickwireClientOptions<S, I, P>, emit: EmitClientEvent) {
    this.options = options;
    this.game = options.game;
    this.clock = options.clock ?? monotonicClock;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.emit = emit;
  }

  /** This player's id in the room (0 before the first WELCOME). */
  get playerId(): number {
    return this.welcome?.playerId ?? 0;
  }

  /** In a room with a live link: inputs go out. */
  get isOpen(): boolean {
    return this.state === ClientState.Open && this.socket?.readyState === 1;
  }
}
