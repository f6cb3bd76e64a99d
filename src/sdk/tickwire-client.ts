import type { GameDefinition } from '../../shared/game/game-definition';
import type { WelcomeMessage } from '../../shared/protocol/control-messages';
import type { ChatChannelName } from '../../shared/protocol/chat-messages';
import type { DeltaCodec } from '../../shared/replication/delta-codec';
import type { EntityTable } from '../../shared/replication/entity-table';
import { ClientState } from './client-state';
import type { ChatLog } from './chat-log';
import { Emitter } from './emitter';
import type { SocketFactory, WebSocketConstructor, WebSocketLike } from './socket-like';
import type { PlaybackClock } from './playback-clock';
import type { FollowOptions, MoveCause, SeatPlace } from './seat-follower';
import type { TickSync } from './tick-sync';
import { InterpolatedView } from './snapshot-buffer';
import { ChatAndNotices } from './client/chat-and-notices';
import { ClientCore } from './client/client-core';
import type { ClientEvents } from './client/client-events';
import type { ReconnectOptions, TickwireClientOptions } from './client/client-options';
import type { ClientStats } from './client/client-stats';
import { InputPipeline } from './client/input-pipeline';
import { ClientLink } from './client/link';
import { MessageRouter } from './client/message-router';
import { Reconciler } from './client/reconciler';
import { RemoteSampler } from './client/remote-sampler';
import { RoomEntry } from './client/room-entry';
import { Roster } from './client/roster';
import { SeatKeeper } from './client/seat-keeper';
import { SnapshotReceiver } from './client/snapshot-receiver';
import { TokenRefresher } from './client/token-refresher';

export { ClientState };
export type { FollowOptions, MoveCause, SeatPlace };
export type { SocketFactory, WebSocketConstructor, WebSocketLike };
export type { ClientEvents, ClientStats, ReconnectOptions, TickwireClientOptions };

/**
 * The tickwire client SDK: one class for the browser demo, the load bots and the tests.
 *
 * - `connect()` opens the socket, sends JOIN and resolves with the WELCOME.
 * - `sendInput(input)` numbers the input, sends it (with an ack of the newest snapshot) and
 *   applies it to the predicted local player at once.
 * - Each snapshot resets the prediction to the server's state for the last input it applied,
 *   then replays the newer inputs (reconciliation), and goes into the interpolation buffer.
 * - `sampleRemote(now, out)` gives every entity as of (server time − delay), interpolated.
 *
 * A façade: the work is done by parts in `src/sdk/client/`, one job each, that share one
 * {@link ClientCore} (the link and its seat, the input pipeline, the snapshot receiver, the
 * reconciler, the remote sampler, the roster, chat and notices, the token refresher).
 */
export class TickwireClient<S, I, P = unknown> extends Emitter<ClientEvents> {
  readonly game: GameDefinition<S, I, P>;
  readonly stats: ClientStats;
  /** Present players: id → name. */
  readonly players: Map<number, string>;
  /** Chat lines seen on both channels, oldest first, each once (see `say`, `loadOlderChat`). */
  readonly chat: ChatLog;
  /** Players whose link is down and whose seat is held, from the newest snapshot (ascending ids). */
  readonly detachedPlayers: number[];
  /** The newest snapshot's entities (only when decodeEntities), in ascending id order. */
  readonly latest: EntityTable;
  /**
   * The `everyone` fields (e.g. scores) of every entity of their kinds, whatever is in view,
   * from GLOBALS: rows in ascending id order, fields in the order the schema declares them.
   * Null when the game's schema has no `everyone` field.
   */
  readonly globals: EntityTable | null;
  /** The snapshot codec; its name goes in JOIN and must match WELCOME's. */
  readonly codec: DeltaCodec;
  private readonly core: ClientCore<S, I, P>;

  constructor(options: TickwireClientOptions<S, I, P>) {
    super();
    // Bound once: parts raise events through it with no closure per message.
    const core = new ClientCore(options, this.emit.bind(this));
    this.core = core;
    core.link = new ClientLink(core);
    core.tokens = new TokenRefresher(core);
    core.keeper = new SeatKeeper(core);
    core.router = new MessageRouter(core);
    core.entry = new RoomEntry(core);
    core.receiver = new SnapshotReceiver(core);
    core.sampler = new RemoteSampler(core);
    core.reconciler = new Reconciler(core);
    core.roster = new Roster(core);
    core.talk = new ChatAndNotices(core);
    core.inputs = new InputPipeline(core);
    this.game = core.game;
    this.stats = core.stats;
    this.players = core.roster.players;
    this.chat = core.talk.chat;
    this.detachedPlayers = core.receiver.detachedPlayers;
    this.latest = core.receiver.latest;
    this.globals = core.receiver.globals;
    this.codec = core.receiver.codec;
  }

  /** Where the client is in its life. */
  get state(): ClientState {
    return this.core.state;
  }

  /** The newest WELCOME (the current seat), undefined before the first. */
  get welcome(): WelcomeMessage | undefined {
    return this.core.welcome;
  }

  /** How the client ended (state Closed), undefined until then. */
  get closeEvent(): { code: number; reason: string } | undefined {
    return this.core.closeEvent;
  }

  /** The tick of the newest snapshot applied (-1 before the first). */
  get latestTick(): number {
    return this.core.receiver.latestTick;
  }

  /** The predicted local player, when the game has a predictor and the player is in a snapshot. */
  get predicted(): P | undefined {
    return this.core.predicted;
  }

  /** Sender keys this player has muted, as the server last said. */
  get mutes(): ReadonlySet<string> {
    return this.core.talk.mutes;
  }

  /** The transport of the current (or last) link: 'ws' or 'webrtc' (undefined before the first). */
  get transport(): 'ws' | 'webrtc' | undefined {
    return this.core.transport;
  }

  /** This player's id in the room (0 before the first WELCOME). */
  get playerId(): number {
    return this.core.playerId;
  }

  /** In a room with a live link: inputs go out. */
  get isOpen(): boolean {
    return this.core.isOpen;
  }

  /** True when `playerId` is in the room but its link is down (its seat held for a resume). */
  isDetached(playerId: number): boolean {
    return this.detachedPlayers.includes(playerId);
  }

  /** The tick of the newest input sent (0 before the first): the predicted player is as of its end. */
  get lastInputTick(): number {
    return this.core.inputs.nextSeq - 1;
  }

  /** Newest input seq the server has applied. */
  get lastAckedSeq(): number {
    return this.core.inputs.ackedSeq;
  }

  /**
   * When input `seq` was sent, ms on the client's clock; NaN if it was never sent or its slot
   * has been reused. Every input acknowledged by the newest snapshot is still there, so a caller
   * can time each one (one snapshot often acknowledges several).
   */
  inputSentAt(seq: number): number {
    return this.core.inputs.inputSentAt(seq);
  }

  /** Inputs sent but not yet applied by the server. */
  get pendingCount(): number {
    return this.core.inputs.pendingCount;
  }

  /**
   * Open the link and join; resolves with the WELCOME, rejects (with `code` and `reason`) if
   * the link closes first. The first connection is not retried: the caller decides.
   */
  connect(): Promise<WelcomeMessage> {
    const core = this.core;
    if (core.state !== ClientState.Idle)
      throw new Error('connect() was already called on this client: make a new TickwireClient to play again');
    const promise = new Promise<WelcomeMessage>((resolve, reject) => {
      const offWelcome = this.on('welcome', (w) => {
        offWelcome();
        offClose();
        resolve(w);
      });
      const offClose = this.on('close', (e) => {
        offWelcome();
        offClose();
        reject(Object.assign(new Error(`connection closed before joining: ${e.code} ${e.reason}`), { code: e.code, reason: e.reason }));
      });
    });
    core.state = ClientState.Connecting;
    core.link.openLink();
    return promise;
  }

  /**
   * Inputs due now on the input clock: call {@link sendInput} this many times, once per tick,
   * and again in {@link msUntilNextInput} ms. The input clock runs a little ahead of the server,
   * steered by how early the server says the inputs arrive (see {@link TickSync}), so each input
   * reaches the server just before the tick it is stamped for. 0 while not in a room. More
   * than `max` due (a stalled tab) skips the oldest (`stats.inputsSkipped`).
   */
  inputsDue(now = this.core.clock.now(), max = Infinity): number {
    const sync = this.core.sync;
    if (!this.isOpen || !sync) return 0;
    return sync.due(now, max);
  }

  /** Milliseconds until the next input is due on the input clock. */
  msUntilNextInput(now = this.core.clock.now()): number {
    const sync = this.core.sync;
    return sync ? sync.msUntilDue(now) : 1000 / 30;
  }

  /** The input clock and server clock estimate (undefined before the first WELCOME). */
  get tickSync(): TickSync | undefined {
    return this.core.sync;
  }

  /**
   * Send one tick's input and predict it locally. Returns its seq, the server tick it is
   * stamped for, or 0 if nothing was sent: not joined, or 4 s of inputs unacknowledged (counted
   * in `stats.inputsWithheld`). Pace calls with {@link inputsDue}; a caller on its own fixed
   * step also works, but then the lead is whatever its clock makes it.
   */
  sendInput(input: I): number {
    return this.core.inputs.sendInput(input);
  }

  /**
   * Remote entities for a frame drawn at `now`: as of the playback clock (a jitter buffer behind
   * the newest snapshot), interpolated; extrapolated briefly when a snapshot is late. Counts
   * the frame in the smoothness stats (frames without a newer snapshot, extrapolation time,
   * visible jumps). Call once per drawn frame.
   */
  sampleRemote(now: number, out: InterpolatedView): void {
    this.core.sampler.sampleRemote(now, out);
  }

  /** A view sized for this game's entities, for {@link sampleRemote}. */
  createView(): InterpolatedView {
    return new InterpolatedView(this.latest.stride);
  }

  /** How far behind the freshest possible snapshot remote entities are drawn now, ms. */
  get interpolationDelayMs(): number {
    return this.core.receiver.playback?.delayMs ?? this.core.options.interpolationDelayMs ?? 100;
  }

  /** The playback clock (undefined before the first WELCOME): its delay, jitter, loss and rate. */
  get playbackClock(): PlaybackClock | undefined {
    return this.core.receiver.playback;
  }

  /** The server's estimated current tick (fractional, from pongs), or -1 before the first pong. */
  serverTick(now = this.core.clock.now()): number {
    const sync = this.core.sync;
    return sync ? sync.serverTickAt(now) : -1;
  }

  /** Send a PING now, to measure the round trip (`pong` event, `stats.lastPingMs`). */
  ping(): void {
    this.core.link.ping();
  }

  /**
   * Leave for good: close the link normally (1000 frees the seat at once). No reconnect
   * follows; `close` is emitted once the link has closed.
   */
  close(code = 1000, reason = 'client closed'): void {
    this.core.link.close(code, reason);
  }

  /**
   * Kill the link abruptly, as a network failure would (no close frame where the transport
   * allows it). The client treats it as a drop and resumes. For tests and load bots.
   */
  killLink(): void {
    const core = this.core;
    const socket = core.socket;
    if (!socket || core.state !== ClientState.Open) return;
    core.link.dropLink(socket, 'link killed by the client');
  }

  /** Send raw bytes, for tests of the server's hostile-input handling. */
  sendRaw(bytes: Uint8Array): void {
    this.core.socket?.send(bytes);
  }

  /** Tell the server these stored notifications (NOTICE.id) were shown: they are not sent again. */
  markNoticesRead(ids: number[]): void {
    this.core.talk.markNoticesRead(ids);
  }

  /**
   * This player's key in chat: what others `mute` it by (its user id, or `guest:<room>:<player>`).
   * Undefined before the first WELCOME.
   */
  get chatKey(): string | undefined {
    return this.core.talk.chatKey;
  }

  /**
   * Say `text` on `ch` ('room': this room's players; 'lobby': every player on the server).
   * Returns the line's ref, which a `chatRejected` event names; the line itself comes back in a
   * `chat` event, like everyone else's. Throws a RangeError, sending nothing, when the text
   * breaks the rules (empty, over 200 characters, control or bidi characters), or when not open.
   */
  say(ch: ChatChannelName, text: string): number {
    return this.core.talk.say(ch, text);
  }

  /**
   * Ask for up to `limit` (1-100, default 50) lines of `ch` older than the oldest one held; they
   * come in a `chat` event of kind 'page', and `chat.more[ch]` says whether there are more.
   */
  loadOlderChat(ch: ChatChannelName, limit = 50): void {
    this.core.talk.loadOlderChat(ch, limit);
  }

  /** Stop (or, with `muted` false, resume) receiving what `userKey` (a line's `from`) says; kept per user when signed in. */
  mute(userKey: string, muted = true): void {
    this.core.talk.mute(userKey, muted);
  }
}
