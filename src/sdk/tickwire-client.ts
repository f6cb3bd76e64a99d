import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError } from '../../shared/binary/wire-error';
import type { GameDefinition, GameSetup } from '../../shared/game/game-definition';
import {
  decodeControlBody,
  encodeControl,
  type ErrorMessage,
  type JoinMessage,
  type NoticeMessage,
  type PlayerJoinedMessage,
  type PlayerLeftMessage,
  type PongMessage,
  type RosterEntry,
  type TokenRefreshedMessage,
  type TokenRefreshMessage,
  type WelcomeMessage,
} from '../../shared/protocol/control-messages';
import { MAX_INPUTS_PER_MESSAGE, writeInputHeader } from '../../shared/protocol/input-message';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { clampCloseReason, CloseCode } from '../../shared/protocol/close-codes';
import { readDetachedIds, readSnapshotHeader, type SnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { writeAck } from '../../shared/protocol/ack-message';
import { readGlobalsHeader, type GlobalsHeader } from '../../shared/protocol/globals-message';
import { CellDecoder } from '../../shared/replication/cell-codec';
import { isValidCellGeometry } from '../../shared/replication/cell-geometry';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import { EntityTable } from '../../shared/replication/entity-table';
import { everyoneSchema } from '../../shared/replication/everyone-schema';
import { monotonicClock, type Clock } from '../loop/clock';
import { realTimers, type TimerHandle, type Timers } from '../loop/timers';
import { backoffDelayMs, type BackoffOptions } from './backoff';
import { ClientState, RETRYABLE_CLOSE_CODES } from './client-state';
import { Emitter } from './emitter';
import type { SocketFactory, WebSocketConstructor, WebSocketLike } from './socket-like';
import { PlaybackClock } from './playback-clock';
import { FallbackSocket, type TransportChoice } from './fallback-socket';
import type { NetworkSimulator } from './network-simulator';
import { WebRtcSocket, type WebRtcClientOptions } from './webrtc-socket';
import { InputSendPolicy } from './input-send-policy';
import { compileSchema } from '../../shared/replication/entity-schema';
import { TickSync, type TickSyncOptions } from './tick-sync';
import { InterpolatedView, SampleMode, SnapshotBuffer } from './snapshot-buffer';
import {
  checkChatText,
  type ChatChannelName,
  type ChatHistoryMessage,
  type ChatMessage,
  type ChatRejectedMessage,
  type ChatSendMessage,
  type MuteMessage,
  type MutesMessage,
  type NoticeReadMessage,
} from '../../shared/protocol/chat-messages';
import { ChatLog, type ChatEntry } from './chat-log';
import { SeatFollower, type FollowOptions, type MoveCause, type SeatPlace } from './seat-follower';
import type { MatchmakeTicket } from './matchmake';

export { ClientState };
export type { FollowOptions, MoveCause, SeatPlace };
export type { SocketFactory, WebSocketConstructor, WebSocketLike };

/** Auto-reconnect settings; `false` turns it off (a drop then closes the client). */
export type ReconnectOptions = BackoffOptions;

export interface TickwireClientOptions<S, I, P> {
  /** WebSocket URL, e.g. `ws://localhost:8080/ws`. */
  url: string;
  /** The same game definition the server runs. */
  game: GameDefinition<S, I, P>;
  /** Display name (1-24 characters). */
  name: string;
  /** Room type to join (default `game.name`). */
  roomType?: string;
  /**
   * WebSocket implementation (default `globalThis.WebSocket`; pass the `ws` package's in Node
   * < 22). Any class with the browser WebSocket's interface ({@link WebSocketLike}) works; the
   * type is loose because `ws` declares its event handlers with its own event types.
   */
  WebSocket?: WebSocketConstructor | (new (url: string) => object);
  /**
   * Opens the link instead of `new WebSocket(url)`: for an in-memory link
   * (`server.openMemoryLink().client`) or any transport with the WebSocket's shape.
   */
  connect?: SocketFactory;
  /**
   * How to reach the server (default 'ws'). 'webrtc': a geckos.io data channel (unordered, no
   * retransmits: a lost snapshot holds nothing up). 'auto': WebRTC, falling back to WebSocket
   * if it has not connected within `webrtc.timeoutMs` (3000) or fails; the `transport` event
   * and {@link TickwireClient.transport} say which won and why. Every (re)connect chooses
   * afresh, and a resume works across a switch.
   */
  transport?: 'ws' | 'webrtc' | 'auto';
  /** WebRTC settings: ICE servers, an RTCPeerConnection for Node, the fallback timeout. */
  webrtc?: WebRtcClientOptions;
  /** Cross a simulated network (latency, jitter, loss…) on whatever transport is used. */
  network?: NetworkSimulator;
  /**
   * A bearer token (JWT) for servers with authentication on, sent in JOIN; or a function that
   * returns one, called for every (re)connect so an expiring token can be refreshed.
   */
  token?: string | (() => string | Promise<string>);
  /**
   * Asks the game for a fresh token while the session plays, so a token that expires mid-game
   * does not end it. Called when the server says the session's token is about to expire (its
   * 'token-expiring' NOTICE, by default 60 s ahead), and before a resume once the token is known
   * to have expired. Return the new token, or undefined when there is none (the player must
   * sign in again: the server then closes with 4014 TokenExpired at the expiry). Default: the
   * `token` option when it is a function, else none.
   *
   * ```ts
   * refreshToken: async () => (await fetch('/api/game-token', { method: 'POST' })).text(),
   * ```
   */
  refreshToken?: () => Promise<string | undefined> | string | undefined;
  /**
   * A resume token kept from an earlier client (e.g. across a page reload, in
   * sessionStorage): the first JOIN presents it to take that seat back. If the server refuses
   * it (4009: used, expired or foreign) the client joins afresh, once, without it.
   */
  resumeToken?: string;
  /**
   * A seat reservation from matchmaking ({@link matchmake}'s `reservation`, with `url` its
   * node): the first JOIN claims the seat held for it. Single use: later reconnects resume the
   * seat instead. A refused one (4013: used, expired) ends the client; matchmake again.
   */
  reservation?: string;
  /**
   * Find a new seat when the node goes away (see {@link FollowOptions}): on a shutdown NOTICE
   * (the server is draining) and when the node is taken for dead (resume attempts that never
   * open a socket: 3 in a row, or 3 s from the drop), matchmake again for the same room type and
   * JOIN the seat it gives: a new player in a new room, announced by `moving` then `moved` (or
   * `moveFailed` and a `close`). Default: on, at the origin of `url`, when the client was given a
   * `reservation` (it came from matchmaking); otherwise off unless an object is passed.
   * `false`: off (a drain ends the client with 1001 as before).
   */
  matchmake?: FollowOptions | false;
  /**
   * Resume after a dropped link (default on): backoff with full jitter, first retry within
   * `baseDelayMs` (250), waits capped at `maxDelayMs` (5000), giving up when the server's
   * resume window runs out. A deliberate close or a refusal is never retried. `false`: off.
   */
  reconnect?: ReconnectOptions | false;
  /**
   * Declare the link dead when nothing (no snapshot, no pong) has come for this long, ms
   * (default 4000; 0 = off, wait for the transport to notice). Catches links TCP would take
   * minutes to give up on.
   */
  livenessTimeoutMs?: number;
  /** Time source (default performance.now). */
  clock?: Clock;
  /** Timers for pings, liveness and backoff (default the host's); tests pass a ManualScheduler. */
  timers?: Timers;
  /** Uniform random numbers in [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
  /**
   * Decode snapshot bodies (default true). Headless load bots that never look at entities turn
   * this off and only read the header (tick, acked input): far less CPU per bot.
   */
  decodeEntities?: boolean;
  /**
   * Run the playback clock that remote entities are drawn by (default true). Headless clients
   * that never call {@link TickwireClient.sampleRemote} (load bots) turn it off: it sorts the
   * last 256 arrival times on every snapshot, the largest cost of a bot that does not draw.
   * Off, `sampleRemote` draws nothing and {@link TickwireClient.playbackClock} stays undefined.
   */
  playback?: boolean;
  /**
   * Most inputs one INPUT message carries, newest last (default 8): every message repeats the
   * unacknowledged inputs up to this many, so a lost or late message costs nothing. 1-8.
   */
  inputRedundancy?: number;
  /**
   * On a link that may lose messages (WebRTC, or the network simulator's unordered link), an
   * input that differs from the one before it goes out once more this many ms later (default
   * 8; 0: never). The server repeats the previous input for a tick whose input has not come,
   * which is only wrong when the input changed: a key change lost in its own message and
   * then late in the next one (a tick later, past the input clock's cushion) is a correction.
   * A second copy a few ms later arrives before the tick whenever either copy gets through,
   * yet far enough behind the first to travel in another packet. Unchanged inputs, and every
   * input over WebSocket (TCP loses nothing), go once.
   */
  changedInputResendMs?: number;
  /** The input clock's lead target (see {@link TickSync}). */
  tickSync?: TickSyncOptions;
  /**
   * How far behind the newest snapshot remote entities are drawn, ms. Default: adaptive, one
   * send interval plus the measured arrival jitter (see {@link PlaybackClock}).
   */
  interpolationDelayMs?: number;
  /**
   * Most time remote entities are extrapolated past the newest snapshot when it is late, ms
   * (default 100; 0 = hold instead). Beyond it they stand still until a snapshot comes.
   */
  maxExtrapolationMs?: number;
  /**
   * A link with no snapshot for this long is reported as stalled (`stalled` event, and
   * `stats.snapshotStalls`), ms (default 1000; 0 = off). Nothing is dropped: the liveness
   * timeout decides when a silent link is dead.
   */
  snapshotStallMs?: number;
  /** Send a PING this often to measure round-trip time, ms (default 1000; 0 = never). */
  pingIntervalMs?: number;
  /** Mark stored notifications read once the `notice` event has run (default true). */
  autoReadNotices?: boolean;
}

export interface ClientEvents {
  /** Every WELCOME: the first join, and each resume (then `resumed` is true). */
  welcome: [WelcomeMessage];
  /** The link dropped; the client is reconnecting to take its seat back. */
  drop: [{ code: number; reason: string }];
  /** A reconnect attempt starts after `delayMs` of backoff (attempt counts from 1). */
  reconnecting: [{ attempt: number; delayMs: number }];
  /** The seat is back: same player, entity and score. `downtimeMs` is from the drop to the WELCOME. */
  resumed: [{ attempts: number; downtimeMs: number }];
  /** The seat could not be taken back; a `close` follows. */
  resumeFailed: [{ code: number; reason: string }];
  /**
   * The node is going away ('drain': it said so; 'node-gone': it stopped answering): the client
   * is matchmaking for a seat elsewhere (option `matchmake`). The game may say "finding a new game…".
   */
  moving: [{ cause: MoveCause; reason: string; from: SeatPlace }];
  /**
   * Seated elsewhere, `ms` after `moving`. Cause 'drain' or 'node-gone': a new player (new
   * `playerId`, score from zero) in `to`; per-room state (entities, roster, room chat,
   * prediction, input clock) started afresh, and a `welcome` for the new seat came just before.
   * Cause 'room-moved': the room itself moved to node `to.node` and the client resumed its seat
   * there (same `playerId`, entity and score, same room id; `resumed` came just before).
   */
  moved: [{ cause: MoveCause; from: SeatPlace; to: SeatPlace; ms: number }];
  /** No new seat could be had (`reason` says why); a `close` follows. */
  moveFailed: [{ cause: MoveCause; reason: string }];
  /**
   * The server said something: that it is shutting down (kind 'shutdown', secondsLeft), an
   * operator's notice to everyone ('info'), or a notification for this user ('direct'; a stored
   * one has an `id`, comes once per client, and is marked read after this event unless
   * `autoReadNotices` is false: then call `markNoticesRead`).
   */
  notice: [NoticeMessage];
  /**
   * New chat lines on `ch` (ones the client had not seen), oldest first: 'live' as they are
   * said, 'history' after each WELCOME, 'page' answering `loadOlderChat`. `client.chat` holds them all.
   */
  chat: [{ ch: ChatChannelName; kind: ChatMessage['kind']; lines: ChatEntry[] }];
  /** A line was not sent: over the rate (`retryInMs`), against the text rules, or the lobby was unreachable. */
  chatRejected: [ChatRejectedMessage];
  /** Everyone this player has muted (after each WELCOME and each `mute`). */
  mutes: [string[]];
  /** A snapshot was applied: (tick, ackSeq). */
  snapshot: [number, number];
  playerJoined: [RosterEntry];
  playerLeft: [RosterEntry];
  /** Round-trip time from a PING, ms. */
  pong: [number];
  /** A link opened over `kind` (with `transport: 'auto'`, after trying WebRTC): why it is that one. */
  transport: [TransportChoice];
  /** No snapshot for `snapshotStallMs`: the server or the link has stalled (`ms` since the last). */
  stalled: [{ ms: number }];
  /** Snapshots flow again after a stall (`ms`: how long none came). */
  unstalled: [{ ms: number }];
  /**
   * The session's token expires in `secondsLeft` (the server's 'token-expiring' notice, which
   * also comes as a `notice`). `refreshing`: the SDK is getting a fresh one through
   * `refreshToken`; false: there is none to get, and the server closes with 4014 at the expiry.
   */
  tokenExpiring: [{ secondsLeft: number; refreshing: boolean }];
  /** The server took the fresh token: the session goes on (`secondsLeft` of the new token; undefined: no expiry). */
  tokenRefreshed: [{ secondsLeft: number | undefined }];
  /**
   * No fresh token reached the server: `refreshToken` gave none or threw, or the server could
   * not check it now (its key source was unreachable). `willRetry`: the SDK tries again shortly.
   */
  tokenRefreshFailed: [{ reason: string; willRetry: boolean }];
  /** The server sent ERROR (it closes right after). */
  serverError: [ErrorMessage];
  /** The client is done for good (state Closed): left, refused, or could not resume. */
  close: [{ code: number; reason: string }];
}

/** Running counters; the caller turns them into rates. */
export interface ClientStats {
  snapshots: number;
  /** Payload bytes received (all messages). */
  bytesReceived: number;
  inputsSent: number;
  /** Newest input→acknowledgement time, ms (-1 before the first). */
  lastInputRttMs: number;
  /** Newest PING round trip, ms (-1 before the first). */
  lastPingMs: number;
  /** Snapshots that arrived but could not be used: a delta whose baseline this client no longer holds. */
  snapshotsUndecodable: number;
  /** Snapshots that arrived after a newer one and still went into the interpolation buffer. */
  snapshotsReordered: number;
  /** Standalone ACKs sent (snapshots acknowledged while no input went out). */
  acksSent: number;
  /** Times prediction disagreed with the server by any amount. */
  mispredictions: number;
  /** Of those, the ones over half a world unit (Predictor.distance): visible corrections. */
  correctionsOverHalfUnit: number;
  /** Largest correction so far, world units. */
  correctionMax: number;
  /** All corrections added up, world units. */
  correctionTotal: number;
  /** Frames drawn with {@link TickwireClient.sampleRemote}. */
  frames: number;
  /** Of those, frames with no newer snapshot to move towards (extrapolated or held). */
  framesWithoutNewer: number;
  /** Time remote entities were drawn extrapolated past the newest snapshot, ms. */
  extrapolatedMs: number;
  /** Entity-frames where a remote entity moved over twice as far as its motion says (+1 unit): a visible jump. */
  remoteJumps: number;
  /** Entity-frames looked at for jumps (remote entities with a position, per frame). */
  remoteEntityFrames: number;
  /** Times snapshots stopped for `snapshotStallMs`. */
  snapshotStalls: number;
  /** Input ticks the input clock jumped over (a stalled tab, a resume): the server repeated the last input for them. */
  inputsSkipped: number;
  /** sendInput calls refused because 4 s of inputs were already unacknowledged. */
  inputsWithheld: number;
  /** INPUT messages sent a second time because their newest input changed (see `changedInputResendMs`). */
  inputsResent: number;
  /** Links that dropped while in a room. */
  drops: number;
  /** Seats taken back after a drop. */
  resumes: number;
  /** Reconnect attempts made (successful or not). */
  reconnectAttempts: number;
  /** Seats found on another node after a drain or a dead node (option `matchmake`). */
  moves: number;
  /** Rooms that moved to another node with this player in them, resumed there (cause 'room-moved'). */
  roomMoves: number;
}

/**
 * A token refresh the server could not check (its key source unreachable) is sent again at most
 * this many times, after a backoff of {@link REFRESH_BACKOFF}: with the first, four, which is the
 * server's burst of TOKEN_REFRESH messages.
 */
const MAX_REFRESH_RETRIES = 3;
/** Backoff between token refresh retries: 1 s doubling, up to 10 s (with full jitter). */
const REFRESH_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 10_000 };

/**
 * Unacknowledged inputs kept for reconciliation, in seconds of ticks (4 s: 120 at 30 Hz, 512
 * at 128 Hz). A client with this many unacknowledged stops sending until acks catch up: the
 * server could not use them (it buffers a second of ticks ahead), and replaying overwritten
 * slots would mispredict on every snapshot.
 */
const PENDING_SECONDS = 4;

/**
 * A changed input's second copy on a lossy link follows the first by this much, ms (see
 * `changedInputResendMs`): less than the input clock's least cushion (4 ms plus the spread of
 * arrivals, about 40 ms at 5 % loss and ±20 ms), so it too arrives before its tick; sent from
 * a later timer, so it never shares a packet with the first, and a loss burst of a few ms
 * does not take both. In the netcode rig at 5 % loss and 150 ms ±20 ms, with no resend 61
 * corrections in 11,520 bot-seconds; 8 ms later, 2 in the same 11,520; 4 ms, 4 in 7,680 of
 * them; 16 ms, 4 in 3,840 (the copy comes too close to its tick).
 */
const DEFAULT_CHANGED_INPUT_RESEND_MS = 8;

/**
 * The tickwire client SDK: one class for the browser demo, the load bots and the tests.
 *
 * - `connect()` opens the socket, sends JOIN and resolves with the WELCOME.
 * - `sendInput(input)` numbers the input, sends it (with an ack of the newest snapshot) and
 *   applies it to the predicted local player at once.
 * - Each snapshot resets the prediction to the server's state for the last input it applied,
 *   then replays the newer inputs (reconciliation), and goes into the interpolation buffer.
 * - `sampleRemote(now, out)` gives every entity as of (server time − delay), interpolated.
 */
export class TickwireClient<S, I, P = unknown> extends Emitter<ClientEvents> {
  readonly game: GameDefinition<S, I, P>;
  readonly stats: ClientStats = {
    snapshots: 0,
    snapshotsUndecodable: 0,
    snapshotsReordered: 0,
    acksSent: 0,
    bytesReceived: 0,
    inputsSent: 0,
    lastInputRttMs: -1,
    lastPingMs: -1,
    mispredictions: 0,
    correctionsOverHalfUnit: 0,
    correctionMax: 0,
    correctionTotal: 0,
    frames: 0,
    framesWithoutNewer: 0,
    extrapolatedMs: 0,
    remoteJumps: 0,
    remoteEntityFrames: 0,
    snapshotStalls: 0,
    inputsSkipped: 0,
    inputsWithheld: 0,
    inputsResent: 0,
    drops: 0,
    resumes: 0,
    reconnectAttempts: 0,
    moves: 0,
    roomMoves: 0,
  };
  /** Present players: id → name. */
  readonly players = new Map<number, string>();
  /** Chat lines seen on both channels, oldest first, each once (see `say`, `loadOlderChat`). */
  readonly chat = new ChatLog();
  /** Sender keys this player has muted, as the server last said. */
  mutes: ReadonlySet<string> = new Set();
  private chatRef = 0;
  private readonly noticesSeen = new Set<number>();
  /** Players whose link is down and whose seat is held, from the newest snapshot (ascending ids). */
  readonly detachedPlayers: number[] = [];
  /** Where the client is in its life. */
  state: ClientState = ClientState.Idle;
  /** The newest snapshot's entities (only when decodeEntities), in ascending id order. */
  readonly latest: EntityTable;
  /**
   * The `everyone` fields (e.g. scores) of every entity of their kinds, whatever is in view,
   * from GLOBALS: rows in ascending id order, fields in the order the schema declares them.
   * Null when the game's schema has no `everyone` field.
   */
  readonly globals: EntityTable | null;
  latestTick = -1;
  /** The predicted local player, when the game has a predictor and the player is in a snapshot. */
  predicted: P | undefined;
  welcome: WelcomeMessage | undefined;
  closeEvent: { code: number; reason: string } | undefined;
  private socket: WebSocketLike | undefined;
  private readonly options: TickwireClientOptions<S, I, P>;
  private readonly clock: Clock;
  /** The snapshot codec; its name goes in JOIN and must match WELCOME's. */
  readonly codec: DeltaCodec;
  /** The decoder of cell bodies, when the room has interest management on (WELCOME.interest). */
  private cells: CellDecoder | null = null;
  private readonly globalsCodec: DeltaCodec | null;
  private globalsScratch: EntityTable | null;
  private readonly globalsHeader: GlobalsHeader = { tick: 0, full: false };
  /** An INPUT (which carries the ack) went out since the last snapshot. */
  private inputSinceSnapshot = false;
  /** The newest input sent, as encoded: a new one that differs is a change (see changedInputResendMs). */
  private readonly lastInputBytes: Uint8Array;
  /** Which inputs and acks go out on this link: all, or sparse on an in-order one. */
  private readonly sendPolicy: InputSendPolicy;
  /** The INPUT message to send again when the resend timer fires, and the link it was meant for. */
  private resendMessage: Uint8Array | null = null;
  private resendSocket: WebSocketLike | null = null;
  private resendTimer: unknown = undefined;
  /** Players seen since a resumed WELCOME whose roster comes in pages; null otherwise. */
  private rosterSeen: Set<number> | null = null;
  private readonly reader = new ByteReader();
  private readonly writer = new ByteWriter(64);
  private readonly header: SnapshotHeader = newSnapshotHeader();
  private readonly scratchDetached: number[] = [];
  /** Decodes snapshots that arrive after a newer one. */
  private olderScratch: EntityTable | undefined;
  private buffer: SnapshotBuffer;
  private playback: PlaybackClock | undefined;
  /** Positions drawn in the previous frame, for jump detection: ids ascending, x, y. */
  private prevIds = new Uint32Array(0);
  private prevXY = new Float64Array(0);
  private prevSpeed = new Float64Array(0);
  private prevCount = 0;
  private prevFrameAt = Number.NaN;
  /** Per kind: its x and y field, or -1. */
  private readonly xyFields: Int16Array;
  /** The tick the others were last drawn at, and when (for lag compensation's view lag). */
  private lastRenderTick = Number.NaN;
  private lastRenderAt = Number.NaN;
  /** When the newest snapshot came, ms; and whether a stall has been reported since. */
  private lastSnapshotAt = Number.NaN;
  private stallReported = false;
  /** The input clock and the server clock estimate; made at the first WELCOME. */
  private sync: TickSync | undefined;
  /** When the current link's JOIN went out, ms: WELCOME's arrival times the first round trip. */
  private joinSentAt = Number.NaN;
  private setup: GameSetup | undefined;
  // Unacknowledged inputs, a ring indexed by seq % pendingCapacity, sized at WELCOME.
  private pendingInputs: I[] = [];
  private pendingSentAt = new Float64Array(0);
  private nextSeq = 1;
  private ackedSeq = 0;
  private beforeReconcile: P | undefined;
  private readonly timers: Timers;
  private readonly random: () => number;
  /** The one repeating timer: pings and the liveness check. */
  private pulseTimer: TimerHandle | undefined;
  private pulseMs = 0;
  private lastPingAt = -Infinity;
  /** Last time anything arrived on the current link, ms. */
  private lastHeardAt = 0;
  /** When the link dropped, ms (NaN while not reconnecting). */
  private droppedAt = Number.NaN;
  private attempts = 0;
  private retryTimer: TimerHandle | undefined;
  /** PING period and the silence that declares a link dead, ms (0: never), resolved once. */
  private readonly pingIntervalMs: number;
  private readonly livenessTimeoutMs: number;
  /** The caller's resume token for the first JOIN, until used or refused. */
  private initialResume: string | undefined;
  /** The newest token from `refreshToken`: later JOINs (resumes) present it instead of a stale `token` string. */
  private freshToken: string | undefined;
  /** When the session's token expires, ms on the client clock (NaN: not known; the server tells ahead). */
  private tokenExpiresAt = Number.NaN;
  /** Retries of the current token refresh so far, and the timer of the next. */
  private refreshRetries = 0;
  private refreshTimer: TimerHandle | undefined;
  /** Where the next first JOIN goes and the seat it claims: the options', then each move's ticket. */
  private url: string;
  private reservation: string | undefined;
  /** Finds a new seat when the node goes away; undefined when `matchmake` is off. */
  private readonly follower: SeatFollower | undefined;
  /** The node of the seat: WELCOME's `node`, else the matchmade URL's `?node=`, else the ticket's. */
  private seatNode: string | undefined;
  /** The seat a move left, from its start until the new WELCOME. */
  private movedFrom: SeatPlace | undefined;
  /** Since the drop: attempts in a row that never opened a socket, and whether any did. */
  private unopenedAttempts = 0;
  private anyAttemptOpened = false;
  private linkOpened = false;
  /** A drain's move failed while the old link played on: its close ends the client. */
  private moveAbandoned = false;
  /**
   * The room moved to another node (NOTICE 'move'): where to resume, and since when; cleared by
   * the resumed WELCOME there. `node` goes in `?node=` when set.
   */
  private roomMove: { to: SeatPlace; url: string; node: string | undefined; startedAt: number } | undefined;

  constructor(options: TickwireClientOptions<S, I, P>) {
    super();
    this.options = options;
    this.game = options.game;
    this.clock = options.clock ?? monotonicClock;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.initialResume = options.resumeToken;
    this.pingIntervalMs = options.pingIntervalMs ?? 1000;
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? 4000;
    this.codec = new DeltaCodec(options.game.entitySchema);
    const everyone = everyoneSchema(options.game.entitySchema);
    this.globalsCodec = everyone ? new DeltaCodec(everyone) : null;
    this.globals = everyone ? new EntityTable(everyone) : null;
    this.globalsScratch = everyone ? new EntityTable(everyone) : null;
    this.latest = new EntityTable(options.game.entitySchema);
    this.buffer = new SnapshotBuffer(options.game.entitySchema);
    const kinds = compileSchema(options.game.entitySchema).kinds;
    this.xyFields = new Int16Array(kinds.length * 2);
    kinds.forEach((k, i) => {
      this.xyFields[i * 2] = k.xField >= 0 && k.yField >= 0 ? k.xField : -1;
      this.xyFields[i * 2 + 1] = k.yField;
    });
    this.url = options.url;
    this.reservation = options.reservation;
    this.seatNode = nodeParamOf(options.url);
    const follow = options.matchmake ?? (options.reservation !== undefined ? {} : false);
    if (follow)
      this.follower = new SeatFollower(
        {
          roomType: options.roomType ?? this.game.name,
          token: () => this.joinToken(),
          takeSeat: (ticket) => this.takeSeat(ticket),
          giveUp: (code, reason) => {
            // A drain's move found nothing while the old seat still plays: play on until the
            // node's own close ends the client, as without a follower.
            if (this.state === ClientState.Open && this.socket) this.moveAbandoned = true;
            else this.finish(code, reason);
          },
          onMoving: ({ cause, reason }) => {
            this.movedFrom = this.seatPlace();
            this.emit('moving', { cause, reason, from: this.movedFrom });
          },
          onMoveFailed: (e) => this.emit('moveFailed', e),
        },
        options.url,
        follow,
        this.timers,
        this.random,
        () => this.clock.now(),
      );
    const r = options.inputRedundancy ?? MAX_INPUTS_PER_MESSAGE;
    if (!(r >= 1 && r <= MAX_INPUTS_PER_MESSAGE)) throw new RangeError(`inputRedundancy must be 1-${MAX_INPUTS_PER_MESSAGE}, got ${r}`);
    const resendMs = options.changedInputResendMs ?? DEFAULT_CHANGED_INPUT_RESEND_MS;
    if (!(resendMs >= 0 && resendMs <= 1000)) throw new RangeError(`changedInputResendMs must be 0-1000, got ${resendMs}`);
    this.lastInputBytes = new Uint8Array(this.game.input.byteLength);
    this.sendPolicy = new InputSendPolicy(this.game.input.byteLength);
  }

  get playerId(): number {
    return this.welcome?.playerId ?? 0;
  }

  /** In a room with a live link: inputs go out. */
  get isOpen(): boolean {
    return this.state === ClientState.Open && this.socket?.readyState === 1;
  }

  /** True when `playerId` is in the room but its link is down (its seat held for a resume). */
  isDetached(playerId: number): boolean {
    return this.detachedPlayers.includes(playerId);
  }

  /** The tick of the newest input sent (0 before the first): the predicted player is as of its end. */
  get lastInputTick(): number {
    return this.nextSeq - 1;
  }

  /** Newest input seq the server has applied. */
  get lastAckedSeq(): number {
    return this.ackedSeq;
  }

  /**
   * When input `seq` was sent, ms on the client's clock; NaN if it was never sent or its slot
   * has been reused. Every input acknowledged by the newest snapshot is still there, so a caller
   * can time each one (one snapshot often acknowledges several).
   */
  inputSentAt(seq: number): number {
    if (seq <= 0 || seq >= this.nextSeq || this.nextSeq - seq > this.pendingCapacity) return Number.NaN;
    return this.pendingSentAt[seq % this.pendingCapacity];
  }

  /** Size of the pending-input ring (0 before WELCOME). */
  private get pendingCapacity(): number {
    return this.pendingSentAt.length;
  }

  /** Inputs sent but not yet applied by the server. */
  get pendingCount(): number {
    return this.nextSeq - 1 - this.ackedSeq;
  }

  /**
   * Open the link and join; resolves with the WELCOME, rejects (with `code` and `reason`) if
   * the link closes first. The first connection is not retried: the caller decides.
   */
  connect(): Promise<WelcomeMessage> {
    if (this.state !== ClientState.Idle)
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
    this.state = ClientState.Connecting;
    this.openLink();
    return promise;
  }

  /** A new link; its events are ignored once another link replaces it. */
  private openLink(): void {
    const socket = this.createSocket();
    this.socket = socket;
    this.lastHeardAt = this.clock.now();
    this.linkOpened = false;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.linkOpened = true;
      void this.sendJoin(socket);
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.onMessage(ev.data);
    };
    // `ws` says why a link failed in its error event (e.g. "Unexpected server response: 429",
    // a refusal at the server's front door); the close that follows has no reason of its own.
    let failure = '';
    socket.onclose = (ev) => {
      if (this.socket === socket) this.onLinkClosed(ev.code, ev.reason || failure);
    };
    socket.onerror = (ev) => {
      const message = (ev as { message?: unknown } | null)?.message;
      if (typeof message === 'string') failure = message;
    };
    this.startPulse();
  }

  private createSocket(): WebSocketLike {
    const base: SocketFactory = this.options.connect ?? ((url) => this.transportSocket(url));
    // A resume goes to the node that holds the seat when the server says which (behind a front
    // that routes on ?node=, such as `--workers`).
    let url = this.url;
    const node = this.state === ClientState.Reconnecting ? (this.roomMove ? this.roomMove.node : this.welcome?.node) : undefined;
    if (node !== undefined) url = withQueryParam(url, 'node', node);
    return this.options.network ? this.options.network.wrap(base)(url) : base(url);
  }

  /** A link over the configured transport ('ws', 'webrtc', or 'auto': WebRTC, else WebSocket). */
  private transportSocket(url: string): WebSocketLike {
    const ws = () => {
      const Ctor = (this.options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket) as
        WebSocketConstructor | undefined;
      if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package in Node) or options.connect');
      return new Ctor(url);
    };
    const rtcOptions = this.options.webrtc ?? {};
    const timers = {
      now: () => this.clock.now(),
      setTimeout: (fn: () => void, ms: number) => this.timers.setTimeout(fn, ms),
      clearTimeout: (h: unknown) => this.timers.clearTimeout(h),
    };
    const rtc = () => new WebRtcSocket(url, rtcOptions, timers);
    const kind = this.options.transport ?? 'ws';
    const chose = (choice: TransportChoice) => {
      this.transport = choice.kind;
      this.emit('transport', choice);
    };
    if (kind === 'ws') {
      chose({ kind: 'ws', reason: 'configured' });
      return ws();
    }
    if (kind === 'webrtc') {
      chose({ kind: 'webrtc', reason: 'configured' });
      return rtc();
    }
    return new FallbackSocket(rtc, ws, rtcOptions.timeoutMs ?? 3000, this.timers, chose);
  }

  /** The transport of the current (or last) link: 'ws' or 'webrtc' (undefined before the first). */
  transport: 'ws' | 'webrtc' | undefined;

  private async sendJoin(socket: WebSocketLike): Promise<void> {
    const join: JoinMessage = {
      v: PROTOCOL_VERSION,
      roomType: this.options.roomType ?? this.game.name,
      name: this.options.name,
      codec: this.codec.name,
      inOrder: socket.unreliable !== true,
    };
    let token: string | undefined;
    try {
      token = await this.joinToken();
    } catch (err) {
      // No token, no identity: give up with the reason rather than join as a guest.
      if (this.socket !== socket) return;
      this.socket = undefined;
      socket.close(1000, 'no token');
      this.finish(CloseCode.Unauthenticated, `the token function failed: ${(err as Error).message}`);
      return;
    }
    if (token) join.token = token;
    if (this.state === ClientState.Reconnecting && this.welcome) join.resume = this.welcome.resumeToken;
    else if (this.state === ClientState.Connecting && this.initialResume) join.resume = this.initialResume;
    else if (this.state === ClientState.Connecting && this.reservation) join.reservation = this.reservation;
    if (this.socket === socket && socket.readyState === 1) {
      this.joinSentAt = this.clock.now();
      socket.send(encodeControl(MessageType.Join, join));
    }
  }

  /**
   * The token for a JOIN: a fresh one from `refreshToken` when resuming past the known expiry,
   * else the `token` option (a function is called every time), else the newest refreshed one.
   */
  private async joinToken(): Promise<string | undefined> {
    const refresh = this.refreshSource();
    if (refresh && this.state === ClientState.Reconnecting && this.clock.now() >= this.tokenExpiresAt) {
      const fresh = await refresh();
      if (fresh) {
        this.freshToken = fresh;
        this.tokenExpiresAt = Number.NaN;
      }
    }
    if (this.freshToken) return this.freshToken;
    return typeof this.options.token === 'function' ? this.options.token() : this.options.token;
  }

  /** Where fresh tokens come from: `refreshToken`, else a `token` function, else nowhere. */
  private refreshSource(): (() => Promise<string | undefined> | string | undefined) | undefined {
    const token = this.options.token;
    return this.options.refreshToken ?? (typeof token === 'function' ? token : undefined);
  }

  /**
   * The server's 'token-expiring' notice: get a fresh token from the game and send it
   * (TOKEN_REFRESH). Without one, say so: the server closes with 4014 at the expiry.
   */
  private async refreshSessionToken(secondsLeft: number): Promise<void> {
    this.tokenExpiresAt = this.clock.now() + secondsLeft * 1000;
    const source = this.refreshSource();
    this.emit('tokenExpiring', { secondsLeft, refreshing: source !== undefined });
    if (!source) return;
    let token: string | undefined;
    try {
      token = (await source()) || undefined;
    } catch (err) {
      this.emit('tokenRefreshFailed', { reason: `refreshToken threw: ${(err as Error).message}`, willRetry: false });
      return;
    }
    if (!token) {
      this.emit('tokenRefreshFailed', { reason: 'refreshToken gave no token: sign in again', willRetry: false });
      return;
    }
    // Kept for later resumes even if the link is down now; sent at once when it is up.
    this.freshToken = token;
    this.refreshRetries = 0;
    this.sendRefresh();
  }

  private sendRefresh(): void {
    const socket = this.socket;
    if (!this.freshToken || !socket || socket.readyState !== 1 || this.state !== ClientState.Open) return;
    socket.send(encodeControl(MessageType.TokenRefresh, { token: this.freshToken } satisfies TokenRefreshMessage));
  }

  /** TOKEN_REFRESHED: taken (the session goes on), or not checkable now (retry with backoff). */
  private onTokenRefreshed(m: TokenRefreshedMessage): void {
    const now = this.clock.now();
    if (m.ok) {
      this.tokenExpiresAt = m.secondsLeft === undefined ? Number.NaN : now + m.secondsLeft * 1000;
      this.refreshRetries = 0;
      this.emit('tokenRefreshed', { secondsLeft: m.secondsLeft });
      return;
    }
    const left = this.tokenExpiresAt - now;
    const delayMs = backoffDelayMs(this.refreshRetries, REFRESH_BACKOFF, this.random);
    const willRetry = this.refreshRetries < MAX_REFRESH_RETRIES && !(delayMs >= left);
    this.emit('tokenRefreshFailed', { reason: m.message ?? 'the server could not check the token', willRetry });
    if (!willRetry) return;
    this.refreshRetries++;
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      this.sendRefresh();
    }, delayMs);
  }

  /**
   * Inputs due now on the input clock: call {@link sendInput} this many times, once per tick,
   * and again in {@link msUntilNextInput} ms. The input clock runs a little ahead of the server,
   * steered by how early the server says the inputs arrive (see {@link TickSync}), so each input
   * reaches the server just before the tick it is stamped for. 0 while not in a room. More
   * than `max` due (a stalled tab) skips the oldest (`stats.inputsSkipped`).
   */
  inputsDue(now = this.clock.now(), max = Infinity): number {
    if (!this.isOpen || !this.sync) return 0;
    return this.sync.due(now, max);
  }

  /** Milliseconds until the next input is due on the input clock. */
  msUntilNextInput(now = this.clock.now()): number {
    return this.sync ? this.sync.msUntilDue(now) : 1000 / 30;
  }

  /** The input clock and server clock estimate (undefined before the first WELCOME). */
  get tickSync(): TickSync | undefined {
    return this.sync;
  }

  /**
   * Send one tick's input and predict it locally. Returns its seq, the server tick it is
   * stamped for, or 0 if nothing was sent: not joined, or 4 s of inputs unacknowledged (counted
   * in `stats.inputsWithheld`). Pace calls with {@link inputsDue}; a caller on its own fixed
   * step also works, but then the lead is whatever its clock makes it.
   */
  sendInput(input: I): number {
    const socket = this.socket;
    if (this.state !== ClientState.Open || !socket || socket.readyState !== 1) return 0;
    let seq = this.nextSeq;
    const cap = this.pendingCapacity;
    // The input clock jumped ahead (a stalled tab, a resume): the ticks between were used up by
    // the server repeating the last input, so the replay repeats it too.
    const skip = this.sync ? this.sync.nextTick - seq : 0;
    if (skip > 0) {
      if (skip >= cap) this.ackedSeq = this.sync!.nextTick - 1;
      else
        for (let s = seq; s < seq + skip; s++) {
          this.game.input.copy(this.pendingInputs[(s - 1) % cap], this.pendingInputs[s % cap]);
          this.pendingSentAt[s % cap] = Number.NaN;
        }
      this.stats.inputsSkipped += skip;
      seq = this.nextSeq = this.sync!.nextTick;
    }
    if (seq - 1 - this.ackedSeq >= cap) {
      this.stats.inputsWithheld++;
      return 0;
    }
    this.nextSeq = seq + 1;
    if (this.sync) this.sync.nextTick = this.nextSeq;
    const slot = seq % cap;
    this.game.input.copy(input, this.pendingInputs[slot]);
    this.pendingSentAt[slot] = this.clock.now();
    if (this.sendPolicy.skipsInputs(this.sync ? this.sync.leadReports : 0)) return this.sendSparse(socket, seq, input);
    const redundancy = Math.min(this.options.inputRedundancy ?? MAX_INPUTS_PER_MESSAGE, seq - this.ackedSeq, MAX_INPUTS_PER_MESSAGE);
    const first = seq - redundancy + 1;
    this.writer.reset();
    writeInputHeader(this.writer, Math.max(0, this.latestTick), first, redundancy, this.viewLag16(seq));
    for (let s = first; s <= seq; s++) this.game.input.write(this.writer, this.pendingInputs[s % cap]);
    // Sockets may hold the buffer after send() returns, so hand over a copy, never the scratch.
    const message = this.writer.bytes().slice();
    socket.send(message);
    if (this.inputChanged(message) && socket.unreliable === true) this.resendLater(socket, message);
    this.stats.inputsSent++;
    this.inputSinceSnapshot = true;
    if (this.predicted !== undefined && this.setup) this.game.predictor!.step(this.predicted, input, this.setup);
    return seq;
  }

  /**
   * {@link sendInput} on an in-order link (see InputSendPolicy): the input goes out alone when
   * it changed or a keepalive is due, else the server repeats the last one, as predicted here.
   */
  private sendSparse(socket: WebSocketLike, seq: number, input: I): number {
    const policy = this.sendPolicy;
    this.game.input.write(policy.scratch.reset(), input);
    if (policy.mustSend(seq)) {
      this.writer.reset();
      writeInputHeader(this.writer, Math.max(0, this.latestTick), seq, 1, this.viewLag16(seq));
      this.game.input.write(this.writer, input);
      socket.send(this.writer.bytes().slice());
      policy.sent(seq, this.pendingSentAt[seq % this.pendingCapacity]);
      this.stats.inputsSent++;
      this.inputSinceSnapshot = true;
    }
    if (this.predicted !== undefined && this.setup) this.game.predictor!.step(this.predicted, input, this.setup);
    return seq;
  }

  /**
   * Whether the newest input in `message` (its last bytes) differs from the one sent before it;
   * remembers it for the next call. Compares encodings, so it needs nothing from the game.
   */
  private inputChanged(message: Uint8Array): boolean {
    const last = this.lastInputBytes;
    const at = message.length - last.length;
    let changed = false;
    for (let i = 0; i < last.length; i++) {
      if (message[at + i] !== last[i]) {
        changed = true;
        last[i] = message[at + i];
      }
    }
    return changed;
  }

  /**
   * Send `message` again in `changedInputResendMs`, on the same link. A change sent while one
   * is waiting takes its place: the newer message repeats the older one's unacknowledged inputs.
   */
  private resendLater(socket: WebSocketLike, message: Uint8Array): void {
    const ms = this.options.changedInputResendMs ?? DEFAULT_CHANGED_INPUT_RESEND_MS;
    if (ms <= 0) return;
    this.resendMessage = message;
    this.resendSocket = socket;
    if (this.resendTimer === undefined) this.resendTimer = this.timers.setTimeout(this.resendChanged, ms);
  }

  private readonly resendChanged = (): void => {
    const socket = this.resendSocket;
    const message = this.resendMessage;
    this.resendTimer = undefined;
    this.resendSocket = null;
    this.resendMessage = null;
    // Only on the link it was meant for: after a drop, the resume resends what is pending.
    if (!message || !socket || socket !== this.socket || socket.readyState !== 1) return;
    socket.send(message);
    this.stats.inputsResent++;
  };

  /**
   * Remote entities for a frame drawn at `now`: as of the playback clock (a jitter buffer behind
   * the newest snapshot), interpolated; extrapolated briefly when a snapshot is late. Counts
   * the frame in the smoothness stats (frames without a newer snapshot, extrapolation time,
   * visible jumps). Call once per drawn frame.
   */
  sampleRemote(now: number, out: InterpolatedView): void {
    const playback = this.playback;
    if (!playback?.ready || !this.welcome) {
      out.count = 0;
      return;
    }
    this.checkStall(now);
    const renderTick = playback.renderTick(now);
    this.lastRenderTick = renderTick;
    this.lastRenderAt = now;
    const tickMs = 1000 / this.welcome.tickRate;
    const buffer = this.buffer;
    buffer.sample(renderTick, out, (this.options.maxExtrapolationMs ?? 100) / tickMs);
    const s = this.stats;
    s.frames++;
    if (buffer.mode === SampleMode.Extrapolated || buffer.mode === SampleMode.Held) s.framesWithoutNewer++;
    if (buffer.mode === SampleMode.Extrapolated && !Number.isNaN(this.prevFrameAt)) s.extrapolatedMs += now - this.prevFrameAt;
    this.countJumps(now, out, tickMs);
  }

  /**
   * Compare each remote entity's drawn position with the previous frame's: a move over twice
   * what its motion between the snapshots it is drawn between allows (plus a unit) is a
   * visible jump.
   */
  private countJumps(now: number, out: InterpolatedView, tickMs: number): void {
    const frameTicks = Number.isNaN(this.prevFrameAt) ? 0 : (now - this.prevFrameAt) / tickMs;
    this.prevFrameAt = now;
    if (this.prevIds.length < out.count) {
      this.prevIds = new Uint32Array(out.ids.length);
      this.prevXY = new Float64Array(out.ids.length * 2);
      this.prevSpeed = new Float64Array(out.ids.length);
    }
    const own = this.playerId;
    let p = 0;
    let kept = 0;
    for (let r = 0; r < out.count; r++) {
      const kind = out.kinds[r];
      const fx = this.xyFields[kind * 2];
      if (fx < 0) continue;
      const fy = this.xyFields[kind * 2 + 1];
      const id = out.ids[r];
      const x = out.values[r * out.stride + fx];
      const y = out.values[r * out.stride + fy];
      while (p < this.prevCount && this.prevIds[p] < id) p++;
      if (frameTicks > 0 && id !== own && p < this.prevCount && this.prevIds[p] === id) {
        this.stats.remoteEntityFrames++;
        const moved = Math.hypot(x - this.prevXY[p * 2], y - this.prevXY[p * 2 + 1]);
        // Across a snapshot boundary the motion may change (a stop at a wall): allow either.
        const allowed = 2 * Math.max(out.speeds[r], this.prevSpeed[p]) * frameTicks + 1;
        if (moved > allowed) this.stats.remoteJumps++;
      }
      // Written behind the read position: `kept` ≤ r, and p only moves past ids < id.
      this.prevIds[kept] = id;
      this.prevXY[kept * 2] = x;
      this.prevXY[kept * 2 + 1] = y;
      this.prevSpeed[kept] = out.speeds[r];
      kept++;
    }
    this.prevCount = kept;
  }

  /** A view sized for this game's entities, for {@link sampleRemote}. */
  createView(): InterpolatedView {
    return new InterpolatedView(this.latest.stride);
  }

  /** How far behind the freshest possible snapshot remote entities are drawn now, ms. */
  get interpolationDelayMs(): number {
    return this.playback?.delayMs ?? this.options.interpolationDelayMs ?? 100;
  }

  /** The playback clock (undefined before the first WELCOME): its delay, jitter, loss and rate. */
  get playbackClock(): PlaybackClock | undefined {
    return this.playback;
  }

  /** The server's estimated current tick (fractional, from pongs), or -1 before the first pong. */
  serverTick(now = this.clock.now()): number {
    return this.sync ? this.sync.serverTickAt(now) : -1;
  }

  ping(): void {
    if (this.socket?.readyState === 1) {
      this.lastPingAt = this.clock.now();
      this.socket.send(encodeControl(MessageType.Ping, { t: this.lastPingAt }));
    }
  }

  /**
   * Leave for good: close the link normally (1000 frees the seat at once). No reconnect
   * follows; `close` is emitted once the link has closed.
   */
  close(code = 1000, reason = 'client closed'): void {
    if (this.state === ClientState.Closed) return;
    const socket = this.socket;
    this.state = ClientState.Closed;
    this.stopTimers();
    // Wait for the link's own close event, so the close frame has gone out before anyone
    // acts on 'close' (a load test that exits at once would otherwise look like a drop).
    if (socket && socket.readyState < 2) socket.close(code, reason);
    else this.finish(code, reason);
  }

  /**
   * Kill the link abruptly, as a network failure would (no close frame where the transport
   * allows it). The client treats it as a drop and resumes. For tests and load bots.
   */
  killLink(): void {
    const socket = this.socket;
    if (!socket || this.state !== ClientState.Open) return;
    this.dropLink(socket, 'link killed by the client');
  }

  /**
   * Give up on `socket` as a dead network would end it: no close frame where the transport
   * can do without (browsers cannot: they send 4000, which the server also takes as a drop),
   * and carry on as after a lost connection (1006): resume, or finish.
   */
  private dropLink(socket: WebSocketLike, reason: string): void {
    this.socket = undefined;
    if (socket.terminate) socket.terminate();
    else socket.close(4000, reason);
    this.onLinkClosed(CloseCode.ConnectionLost, reason);
  }

  /** Send raw bytes, for tests of the server's hostile-input handling. */
  sendRaw(bytes: Uint8Array): void {
    this.socket?.send(bytes);
  }

  private onMessage(data: unknown): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
    this.stats.bytesReceived += bytes.length;
    this.lastHeardAt = this.clock.now();
    const reader = this.reader.reset(bytes);
    try {
      const type = reader.u8();
      if (type === MessageType.Snapshot) this.onSnapshot(reader);
      else if (type === MessageType.Welcome) this.onWelcome(decodeControlBody(reader.rest()) as WelcomeMessage);
      else if (type === MessageType.Globals) this.onGlobals(reader);
      else if (type === MessageType.PlayerJoined) {
        const message = decodeControlBody(reader.rest()) as PlayerJoinedMessage;
        for (const [playerId, name] of message.players) {
          this.rosterSeen?.add(playerId);
          if (this.players.get(playerId) === name) continue; // already known from the WELCOME
          this.players.set(playerId, name);
          this.emit('playerJoined', { playerId, name });
        }
        if (message.rosterEnd) this.endRosterCheck();
      } else if (type === MessageType.PlayerLeft) {
        for (const playerId of (decodeControlBody(reader.rest()) as PlayerLeftMessage).playerIds) {
          const name = this.players.get(playerId);
          if (name === undefined) continue; // joined and left before we knew of them
          this.players.delete(playerId);
          this.emit('playerLeft', { playerId, name });
        }
      } else if (type === MessageType.Pong) {
        const m = decodeControlBody(reader.rest()) as PongMessage;
        const now = this.clock.now();
        this.stats.lastPingMs = now - m.t;
        this.sync?.onPong(m.t, now, m.tick);
        this.emit('pong', this.stats.lastPingMs);
      } else if (type === MessageType.Error) {
        this.emit('serverError', decodeControlBody(reader.rest()) as ErrorMessage);
      } else if (type === MessageType.Notice) {
        this.onNotice(decodeControlBody(reader.rest()) as NoticeMessage);
      } else if (type === MessageType.TokenRefreshed) {
        this.onTokenRefreshed(decodeControlBody(reader.rest()) as TokenRefreshedMessage);
      } else if (type === MessageType.Chat) {
        const m = decodeControlBody(reader.rest()) as ChatMessage;
        const lines = this.chat.add(m.ch, m.lines);
        // A page says whether older lines remain; so does a history whose first line is our oldest.
        if (m.kind === 'page' || (m.kind === 'history' && this.chat.oldestId(m.ch) === m.lines[0]?.[0]))
          this.chat.more[m.ch] = m.more === true;
        if (lines.length > 0 || m.kind === 'page') this.emit('chat', { ch: m.ch, kind: m.kind, lines });
      } else if (type === MessageType.ChatRejected) {
        this.emit('chatRejected', decodeControlBody(reader.rest()) as ChatRejectedMessage);
      } else if (type === MessageType.Mutes) {
        this.mutes = new Set((decodeControlBody(reader.rest()) as MutesMessage).users);
        this.emit('mutes', [...this.mutes]);
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.close(CloseCode.MalformedMessage, clampCloseReason(`client got a malformed message: ${err.message}`));
    }
  }

  private onNotice(n: NoticeMessage): void {
    if (n.id !== undefined) {
      // A stored notice comes again on every connect until it is read: show it once.
      if (this.noticesSeen.has(n.id)) return;
      this.noticesSeen.add(n.id);
    }
    this.emit('notice', n);
    if (n.kind === 'move' && this.state === ClientState.Open) this.onRoomMoving(n);
    if (n.kind === 'shutdown' && this.state === ClientState.Open) this.follower?.onShutdownNotice(n.message, n.secondsLeft ?? 0);
    if (n.id !== undefined && this.options.autoReadNotices !== false) this.markNoticesRead([n.id]);
    if (n.kind === 'token-expiring') void this.refreshSessionToken(n.secondsLeft ?? 0);
  }

  /** Where the player sits now: WELCOME's node (else the URL's `?node=`) and room. */
  private seatPlace(): SeatPlace {
    return { node: this.welcome?.node ?? this.seatNode, roomId: this.welcome?.roomId ?? '' };
  }

  /**
   * NOTICE 'move': the node drains and our room now runs on `n.node`; the link closes 4016 next,
   * and the client resumes there (not matchmaking: the seat, player and score moved with the room).
   */
  private onRoomMoving(n: NoticeMessage): void {
    if (typeof n.node !== 'string' || !this.welcome) return;
    const url = typeof n.url === 'string' && n.url ? n.url : this.url;
    // Through the same front (no URL of its own), or behind a front that routes on ?node=: name it.
    const routed = !n.url || this.welcome.node !== undefined;
    this.roomMove = {
      to: { node: n.node, roomId: this.welcome.roomId },
      url,
      node: routed ? n.node : undefined,
      startedAt: this.clock.now(),
    };
    this.movedFrom = this.seatPlace();
    this.emit('moving', { cause: 'room-moved', reason: n.message, from: this.movedFrom });
    // The old node has let go of the seat already (the notice comes only once the room runs
    // elsewhere): resume now rather than after its 4016's close handshake. The old link's
    // close, when it comes, is that of a replaced link and is ignored.
    const old = this.socket;
    if (this.state === ClientState.Open && old) {
      this.socket = undefined;
      if (old.readyState < 2) old.close(1000, 'room moved');
      this.resumeMovedRoom(CloseCode.RoomMoved, n.message);
    }
  }

  /** The room moved: resume on its new node at once, through the path of a resume after a drop. */
  private resumeMovedRoom(code: number, reason: string): void {
    const move = this.roomMove!;
    if (this.options.reconnect === false || (this.welcome?.resumeWindowMs ?? 0) <= 0) {
      this.finish(code, reason);
      return;
    }
    this.url = move.url;
    this.state = ClientState.Reconnecting;
    this.sync?.stop();
    this.droppedAt = this.clock.now();
    this.unopenedAttempts = 0;
    this.anyAttemptOpened = false;
    this.stats.drops++;
    this.emit('drop', { code, reason });
    this.attempts = 1;
    this.emit('reconnecting', { attempt: 1, delayMs: 0 });
    this.stats.reconnectAttempts++;
    this.openLink();
  }

  /** Tell the server these stored notifications (NOTICE.id) were shown: they are not sent again. */
  markNoticesRead(ids: number[]): void {
    if (ids.length > 0) this.sendControl(MessageType.NoticeRead, { ids } satisfies NoticeReadMessage);
  }

  /**
   * This player's key in chat: what others `mute` it by (its user id, or `guest:<room>:<player>`).
   * Undefined before the first WELCOME.
   */
  get chatKey(): string | undefined {
    const w = this.welcome;
    return w ? (w.userId ?? `guest:${w.roomId}:${w.playerId}`) : undefined;
  }

  /**
   * Say `text` on `ch` ('room': this room's players; 'lobby': every player on the server).
   * Returns the line's ref, which a `chatRejected` event names; the line itself comes back in a
   * `chat` event, like everyone else's. Throws a RangeError, sending nothing, when the text
   * breaks the rules (empty, over 200 characters, control or bidi characters), or when not open.
   */
  say(ch: ChatChannelName, text: string): number {
    const checked = checkChatText(text);
    if (checked.problem !== undefined) throw new RangeError(`the line ${checked.problem}`);
    const ref = ++this.chatRef >>> 0;
    this.sendControl(MessageType.ChatSend, { ch, text: checked.text, ref } satisfies ChatSendMessage);
    return ref;
  }

  /**
   * Ask for up to `limit` (1-100, default 50) lines of `ch` older than the oldest one held; they
   * come in a `chat` event of kind 'page', and `chat.more[ch]` says whether there are more.
   */
  loadOlderChat(ch: ChatChannelName, limit = 50): void {
    const before = this.chat.oldestId(ch);
    if (before === undefined) return;
    this.sendControl(MessageType.ChatHistory, { ch, before, limit } satisfies ChatHistoryMessage);
  }

  /** Stop (or, with `muted` false, resume) receiving what `userKey` (a line's `from`) says; kept per user when signed in. */
  mute(userKey: string, muted = true): void {
    this.sendControl(MessageType.Mute, { user: userKey, muted } satisfies MuteMessage);
  }

  private sendControl(type: MessageType, body: unknown): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1 || this.state !== ClientState.Open) throw new RangeError('not connected: wait for the WELCOME');
    socket.send(encodeControl(type, body));
  }

  private onWelcome(w: WelcomeMessage): void {
    if (w.codec !== this.codec.name) {
      // Decoding another schema's snapshots would show garbage: refuse instead.
      this.close(CloseCode.ProtocolMismatch, clampCloseReason(`codec mismatch: server ${w.codec}, client ${this.codec.name}`));
      return;
    }
    if (w.interest !== undefined && !isValidCellGeometry(w.interest)) {
      this.close(CloseCode.ProtocolMismatch, 'malformed WELCOME: interest grid');
      return;
    }
    this.cells = w.interest === undefined ? null : new CellDecoder(this.game.entitySchema, w.interest);
    this.sendPolicy.start(w.inputKeepaliveTicks, this.socket?.unreliable !== true);
    // Keep every snapshot a baseline may come from (historyTicks back), plus the newest.
    const keep = Math.ceil((w.historyTicks * w.sendRate) / w.tickRate) + 2;
    if (keep > this.buffer.capacity) this.buffer = new SnapshotBuffer(this.game.entitySchema, keep);
    if (this.state === ClientState.Reconnecting && this.welcome) {
      this.onResumed(w);
      return;
    }
    if (this.state !== ClientState.Connecting) return;
    if (this.welcome && this.welcome.roomId !== w.roomId) this.chat.clearRoom();
    this.welcome = w;
    this.state = ClientState.Open;
    this.setup = { seed: 0, tickRate: w.tickRate };
    this.playback =
      this.options.playback === false
        ? undefined
        : new PlaybackClock(w.tickRate, w.sendRate, { delayMs: this.options.interpolationDelayMs });
    const capacity = Math.ceil(PENDING_SECONDS * w.tickRate);
    this.pendingInputs = Array.from({ length: capacity }, () => this.game.input.create());
    this.pendingSentAt = new Float64Array(capacity);
    for (const [id, name] of w.players) this.players.set(id, name);
    // Inputs are stamped from the tick the input clock starts at. A seat taken back with an
    // earlier client's token continues after the ticks the server used for it.
    this.sync = new TickSync(w.tickRate, this.options.tickSync);
    this.sync.start(this.clock.now(), w.tick, this.joinRoundTrip());
    this.nextSeq = Math.max(this.sync.nextTick, w.resumed ? w.lastSeq + 1 : 1);
    this.sync.nextTick = this.nextSeq;
    this.ackedSeq = this.nextSeq - 1;
    this.initialResume = undefined;
    if (this.pingIntervalMs > 0) this.ping();
    this.emit('welcome', w);
    const move = this.follower?.arrived();
    if (move && this.movedFrom) {
      const to = { node: w.node ?? this.seatNode, roomId: w.roomId };
      this.stats.moves++;
      this.emit('moved', { cause: move.cause, from: this.movedFrom, to, ms: this.clock.now() - move.startedAt });
      this.movedFrom = undefined;
    }
  }

  /**
   * Take the seat a move's matchmaking found: leave the old link (1000: the old seat is let go at
   * once), forget every per-room thing (entities, roster, room chat, prediction, the input clock),
   * and JOIN the new node with the reservation, as a first connect does. The client object, its
   * listeners, its token and its mutes stay.
   */
  private takeSeat(ticket: MatchmakeTicket): void {
    if (this.state === ClientState.Closed) return;
    const old = this.socket;
    this.socket = undefined;
    if (old && old.readyState < 2) old.close(1000, 'moving to another node');
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.resetRoom();
    this.url = ticket.url;
    this.reservation = ticket.reservation;
    this.seatNode = ticket.nodeId;
    this.initialResume = undefined;
    this.state = ClientState.Connecting;
    this.openLink();
  }

  /** Forget the room: what the next WELCOME sets up again. */
  private resetRoom(): void {
    this.sync?.stop();
    this.sync = undefined;
    this.setup = undefined;
    this.playback = undefined;
    this.players.clear();
    this.detachedPlayers.length = 0;
    this.latest.clear();
    this.globals?.clear();
    this.latestTick = -1;
    this.predicted = undefined;
    this.beforeReconcile = undefined;
    this.buffer = new SnapshotBuffer(this.game.entitySchema, this.buffer.capacity);
    this.prevCount = 0;
    this.prevFrameAt = Number.NaN;
    this.lastRenderTick = Number.NaN;
    this.lastRenderAt = Number.NaN;
    this.lastSnapshotAt = Number.NaN;
    this.stallReported = false;
    this.pendingInputs = [];
    this.pendingSentAt = new Float64Array(0);
    this.nextSeq = 1;
    this.ackedSeq = 0;
    this.inputSinceSnapshot = false;
    this.rosterSeen = null;
    this.droppedAt = Number.NaN;
    this.attempts = 0;
  }

  /**
   * The seat is back. Inputs the server never applied are sent again (it applied up to
   * `lastSeq`; its queue drops any it already has), and the roster is brought up to date.
   */
  private onResumed(w: WelcomeMessage): void {
    const downtimeMs = this.clock.now() - this.droppedAt;
    const attempts = this.attempts;
    this.welcome = w;
    this.state = ClientState.Open;
    this.droppedAt = Number.NaN;
    this.attempts = 0;
    this.stats.resumes++;
    // The server used every tick up to lastSeq: our inputs after it are resent (the ones whose
    // ticks have since passed are refused as late), and the input clock is placed afresh.
    this.takeAck(w.lastSeq);
    this.resendPending();
    this.sync?.start(this.clock.now(), w.tick, this.joinRoundTrip());
    const present = new Map(w.players);
    if (w.rosterSize > w.players.length) {
      // The rest of the roster follows in pages: drop the players who left while we were away
      // once the last page is in (see endRosterCheck).
      this.rosterSeen = new Set(present.keys());
    } else {
      for (const [playerId, name] of this.players) {
        if (present.get(playerId) === name) continue;
        this.players.delete(playerId);
        this.emit('playerLeft', { playerId, name });
      }
    }
    for (const [playerId, name] of present) {
      if (this.players.has(playerId)) continue;
      this.players.set(playerId, name);
      this.emit('playerJoined', { playerId, name });
    }
    if (this.pingIntervalMs > 0) this.ping();
    this.emit('welcome', w);
    this.emit('resumed', { attempts, downtimeMs });
    const move = this.roomMove;
    if (move) {
      this.roomMove = undefined;
      this.seatNode = move.to.node;
      this.stats.roomMoves++;
      const from = this.movedFrom ?? { node: undefined, roomId: w.roomId };
      this.movedFrom = undefined;
      this.emit('moved', {
        cause: 'room-moved',
        from,
        to: { node: w.node ?? move.to.node, roomId: w.roomId },
        ms: this.clock.now() - move.startedAt,
      });
    }
  }

  /**
   * Send every unacknowledged input again, oldest first, up to 8 per message. Their send time
   * is now: the outage is `resumed`'s downtime, not an input's round trip.
   */
  private resendPending(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1 || this.pendingCapacity === 0) return;
    const now = this.clock.now();
    for (let s = this.ackedSeq + 1; s < this.nextSeq; s++) this.pendingSentAt[s % this.pendingCapacity] = now;
    for (let first = this.ackedSeq + 1; first < this.nextSeq; first += MAX_INPUTS_PER_MESSAGE) {
      const count = Math.min(MAX_INPUTS_PER_MESSAGE, this.nextSeq - first);
      this.writer.reset();
      writeInputHeader(this.writer, Math.max(0, this.latestTick), first, count, this.viewLag16(first + count - 1));
      for (let s = first; s < first + count; s++) this.game.input.write(this.writer, this.pendingInputs[s % this.pendingCapacity]);
      socket.send(this.writer.bytes().slice());
    }
  }

  /** The resumed roster's last page is in: whoever was not in it has left. */
  private endRosterCheck(): void {
    const seen = this.rosterSeen;
    if (!seen) return;
    this.rosterSeen = null;
    for (const [playerId, name] of this.players) {
      if (seen.has(playerId)) continue;
      this.players.delete(playerId);
      this.emit('playerLeft', { playerId, name });
    }
  }

  /**
   * A snapshot: decode it against the baseline it names (a snapshot we decoded earlier and
   * acknowledged), keep it for interpolation and as a future baseline, reconcile, and
   * acknowledge it. Older or repeated ticks (reordered or duplicated by the transport) are
   * dropped; a delta against a snapshot we no longer hold cannot be decoded and is dropped
   * unacknowledged, so the server falls back to an older baseline or a full snapshot.
   */
  private onSnapshot(reader: ByteReader): void {
    const { tick, baselineTick, ackSeq } = readSnapshotHeader(reader, this.header);
    const now = this.clock.now();
    if (tick <= this.latestTick) {
      this.onOlderSnapshot(reader, tick, baselineTick, now);
      return;
    }
    readDetachedIds(reader, this.scratchDetached);
    if (this.options.decodeEntities !== false) {
      const baseline = baselineTick === 0 ? null : this.buffer.tableAt(baselineTick);
      if (baselineTick !== 0 && baseline === null) {
        this.stats.snapshotsUndecodable++;
        return;
      }
      this.decodeEntities(reader, baseline, this.latest, tick);
      this.buffer.push(tick, this.latest);
    }
    this.stats.snapshots++;
    this.latestTick = tick;
    this.detachedPlayers.length = 0;
    for (let i = 0; i < this.scratchDetached.length; i++) this.detachedPlayers.push(this.scratchDetached[i]);
    this.playback?.observe(tick, now);
    this.noteSnapshotTime(now);
    if (ackSeq > this.ackedSeq && ackSeq < this.nextSeq) {
      const sentAt = this.pendingSentAt[ackSeq % this.pendingCapacity];
      if (!Number.isNaN(sentAt)) this.stats.lastInputRttMs = now - sentAt;
    }
    this.takeAck(ackSeq);
    this.sync?.onLead(this.header.inputLeadMs, now);
    // With nothing pending, the server has used every tick up to this one for us: our clock
    // fell behind (this process stalled), and an input stamped for any of them would come too
    // late. Skip them, and tell the clock how late it was, so its cushion grows to cover such
    // stalls (the server never sees an input that was not sent, so its lead cannot say).
    if (this.pendingCount === 0 && tick >= this.nextSeq) {
      this.sync?.onLead(-(tick - this.nextSeq + 1) * (1000 / this.welcome!.tickRate), now);
      this.takeAck(tick);
    }
    if (this.options.decodeEntities !== false) this.reconcile();
    // INPUT carries the ack; when none went out since the last snapshot, ACK on its own.
    // Thinned on a sparse link (InputSendPolicy): deltas there do not wait for acks.
    if (!this.inputSinceSnapshot && this.sendPolicy.ackDue(now)) {
      this.sendAck(tick);
      this.sendPolicy.ackSent(now);
    }
    this.inputSinceSnapshot = false;
    this.emit('snapshot', tick, ackSeq);
  }

  /**
   * A snapshot older than the newest (reordered on an unreliable channel, or a duplicate): too
   * late to reconcile or acknowledge, but it still fills its place in the interpolation buffer
   * and says how late it came.
   */
  private onOlderSnapshot(reader: ByteReader, tick: number, baselineTick: number, now: number): void {
    if (this.options.decodeEntities === false || tick < this.buffer.oldestTick) return;
    const baseline = baselineTick === 0 ? null : this.buffer.tableAt(baselineTick);
    if (baselineTick !== 0 && baseline === null) return;
    readDetachedIds(reader, this.scratchDetached);
    const table = (this.olderScratch ??= new EntityTable(this.game.entitySchema));
    this.decodeEntities(reader, baseline, table, tick);
    if (!this.buffer.insert(tick, table)) return;
    this.stats.snapshotsReordered++;
    this.playback?.observe(tick, now);
  }

  /** A snapshot's entity body: per-cell chunks with interest management on, else a DeltaCodec body. */
  private decodeEntities(reader: ByteReader, baseline: EntityTable | null, out: EntityTable, tick: number): void {
    if (this.cells !== null) this.cells.decode(reader, baseline, out, tick);
    else this.codec.decode(reader, baseline, out, tick);
  }

  private sendAck(tick: number): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1 || this.state !== ClientState.Open) return;
    this.writer.reset();
    writeAck(this.writer, tick);
    socket.send(this.writer.bytes().slice());
    this.stats.acksSent++;
  }

  /** GLOBALS: apply the delta (or full table) to {@link globals}. */
  private onGlobals(reader: ByteReader): void {
    const { full } = readGlobalsHeader(reader, this.globalsHeader);
    if (!this.globalsCodec || !this.globals || !this.globalsScratch) return;
    this.globalsCodec.decode(reader, full ? null : this.globals, this.globalsScratch, this.globalsHeader.tick);
    this.globals.copyFrom(this.globalsScratch);
  }

  /**
   * The server has used every input tick up to `seq`. Past our newest input (our clock is
   * behind the server's), numbering skips ahead: those ticks are gone.
   */
  private takeAck(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = seq;
    if (seq >= this.nextSeq) {
      // Ticks skipped: never sent, so never timed.
      const cap = this.pendingCapacity;
      for (let s = Math.max(this.nextSeq, seq + 1 - cap); s <= seq && cap > 0; s++) this.pendingSentAt[s % cap] = Number.NaN;
      this.nextSeq = seq + 1;
      if (this.sync && this.sync.nextTick < this.nextSeq) this.sync.nextTick = this.nextSeq;
    }
  }

  /** A snapshot came at `now`: a reported stall is over. */
  private noteSnapshotTime(now: number): void {
    if (this.stallReported) {
      this.stallReported = false;
      this.emit('unstalled', { ms: now - this.lastSnapshotAt });
    }
    this.lastSnapshotAt = now;
  }

  /** Report a stall once when no snapshot has come for `snapshotStallMs`. */
  private checkStall(now: number): void {
    const limit = this.options.snapshotStallMs ?? 1000;
    if (limit <= 0 || this.stallReported || Number.isNaN(this.lastSnapshotAt) || this.state !== ClientState.Open) return;
    if (now - this.lastSnapshotAt < limit) return;
    this.stallReported = true;
    this.stats.snapshotStalls++;
    this.emit('stalled', { ms: now - this.lastSnapshotAt });
  }

  /**
   * How far the drawing of the others lags behind input `seq`, 1/16 ticks: the tick this input
   * is for less the tick the others were last drawn at, advanced by the time since. 0 when
   * nothing was drawn in the last quarter second (a headless client, a hidden tab): the server
   * then does not rewind.
   */
  private viewLag16(seq: number): number {
    const now = this.clock.now();
    if (!(now - this.lastRenderAt <= 250) || !this.welcome) return 0;
    const drawn = this.lastRenderTick + ((now - this.lastRenderAt) * this.welcome.tickRate) / 1000;
    return Math.max(0, (seq - drawn) * 16);
  }

  /** The JOIN → WELCOME round trip of the current link, ms (0 if unknown). */
  private joinRoundTrip(): number {
    const rtt = this.clock.now() - this.joinSentAt;
    return rtt >= 0 ? rtt : 0;
  }

  /** Reset the prediction to the server's state at `ackedSeq`, then replay the newer inputs. */
  private reconcile(): void {
    const predictor = this.game.predictor;
    if (!predictor || !this.setup) return;
    const row = this.latest.indexOf(this.playerId);
    if (row < 0) {
      this.predicted = undefined;
      return;
    }
    const hadPrediction = this.predicted !== undefined;
    const p = (this.predicted ??= predictor.create(this.setup));
    const before = (this.beforeReconcile ??= predictor.create(this.setup));
    predictor.copy(p, before);
    predictor.reset(this.latest, row, p);
    for (let s = this.ackedSeq + 1; s < this.nextSeq; s++) predictor.step(p, this.pendingInputs[s % this.pendingCapacity], this.setup);
    if (hadPrediction && !predictor.equals(p, before)) {
      this.stats.mispredictions++;
      const size = predictor.distance ? predictor.distance(p, before) : 1;
      if (size > 0.5) this.stats.correctionsOverHalfUnit++;
      if (size > this.stats.correctionMax) this.stats.correctionMax = size;
      this.stats.correctionTotal += size;
    }
  }

  /** The current link ended (or was declared dead): resume, retry, or finish. */
  private onLinkClosed(code: number, reason: string): void {
    this.socket = undefined;
    if (this.state === ClientState.Closed) this.finish(code, reason);
    else if (this.state === ClientState.Open && this.roomMove && (code === CloseCode.RoomMoved || this.mayResume(code))) {
      this.resumeMovedRoom(code, reason);
    } else if (this.state === ClientState.Reconnecting && this.roomMove && !RETRYABLE_CLOSE_CODES.has(code) && this.follower) {
      // The new node would not give the seat back: find one through matchmaking instead.
      this.roomMove = undefined;
      this.state = ClientState.Connecting;
      this.stopPulse();
      this.follower.onShutdownNotice(`the moved room could not be resumed: ${code} ${reason}`, 0);
    } else if (
      this.state === ClientState.Open &&
      this.follower &&
      !this.moveAbandoned &&
      (this.follower.moving || code === CloseCode.GoingAway)
    ) {
      // The old link ended while a move looks for a seat (or a node shut down without a drain
      // notice): wait for the new seat instead of closing.
      this.state = ClientState.Connecting;
      this.sync?.stop();
      this.stopPulse();
      if (!this.follower.moving) this.follower.onShutdownNotice(reason || 'server shutting down', 0);
    } else if (this.state === ClientState.Connecting && this.follower?.moving) {
      this.stopPulse();
      this.follower.joinFailed(code, reason);
    } else if (this.state === ClientState.Open) {
      if (!this.mayResume(code)) {
        this.finish(code, reason);
        return;
      }
      this.state = ClientState.Reconnecting;
      this.sync?.stop();
      this.droppedAt = this.clock.now();
      this.attempts = 0;
      this.unopenedAttempts = 0;
      this.anyAttemptOpened = false;
      this.stats.drops++;
      this.emit('drop', { code, reason });
      this.scheduleAttempt();
    } else if (this.state === ClientState.Reconnecting) {
      // An attempt failed. A refusal (bad token, seat gone, shutting down) is final; attempts
      // that never open a socket (connection refused, the proxy's 503) mean the node is gone.
      if (!RETRYABLE_CLOSE_CODES.has(code)) {
        this.giveUp(code, reason);
        return;
      }
      if (this.linkOpened) this.anyAttemptOpened = true;
      this.unopenedAttempts = this.linkOpened ? 0 : this.unopenedAttempts + 1;
      const sinceDrop = this.clock.now() - this.droppedAt;
      if (this.follower?.nodeGone(this.unopenedAttempts, sinceDrop, this.anyAttemptOpened, code, reason)) {
        this.state = ClientState.Connecting;
        this.stopPulse();
      } else this.scheduleAttempt();
    } else if (this.state === ClientState.Connecting && code === CloseCode.ResumeRejected && this.initialResume !== undefined) {
      // The earlier seat is gone (or not ours): join as a new player instead, once.
      this.initialResume = undefined;
      this.openLink();
    } else this.finish(code, reason);
  }

  private mayResume(code: number): boolean {
    return this.options.reconnect !== false && RETRYABLE_CLOSE_CODES.has(code) && (this.welcome?.resumeWindowMs ?? 0) > 0;
  }

  private scheduleAttempt(): void {
    this.stopPulse();
    const left = this.droppedAt + this.welcome!.resumeWindowMs - this.clock.now();
    if (left <= 0) {
      this.giveUp(CloseCode.ResumeRejected, `gave up: the server holds a seat for ${this.welcome!.resumeWindowMs} ms and that has passed`);
      return;
    }
    const backoff = this.options.reconnect || {};
    const delayMs = Math.min(left, backoffDelayMs(this.attempts, backoff, this.random));
    this.attempts++;
    this.emit('reconnecting', { attempt: this.attempts, delayMs });
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state !== ClientState.Reconnecting) return;
      this.stats.reconnectAttempts++;
      this.openLink();
    }, delayMs);
  }

  private giveUp(code: number, reason: string): void {
    this.emit('resumeFailed', { code, reason });
    this.finish(code, reason);
  }

  /** Done for good: stop every timer, forget the link, and emit close (once). */
  private finish(code: number, reason: string): void {
    this.state = ClientState.Closed;
    this.socket = undefined;
    this.stopTimers();
    if (this.closeEvent) return;
    this.closeEvent = { code, reason };
    this.emit('close', this.closeEvent);
  }

  private stopTimers(): void {
    this.stopPulse();
    this.follower?.dispose();
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  // One timer drives pings and the liveness check, whichever is due first.
  private startPulse(): void {
    this.stopPulse();
    const ping = this.pingIntervalMs;
    const liveness = this.livenessTimeoutMs;
    this.pulseMs = Math.min(ping > 0 ? ping : Infinity, liveness > 0 ? liveness / 4 : Infinity);
    if (this.pulseMs !== Infinity) this.pulseTimer = this.timers.setTimeout(this.pulse, this.pulseMs);
  }

  private stopPulse(): void {
    if (this.pulseTimer !== undefined) this.timers.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
  }

  private readonly pulse = (): void => {
    this.pulseTimer = undefined;
    const socket = this.socket;
    if (!socket || this.state === ClientState.Closed) return;
    const now = this.clock.now();
    const liveness = this.livenessTimeoutMs;
    if (liveness > 0 && now - this.lastHeardAt > liveness && (this.state === ClientState.Open || this.state === ClientState.Reconnecting)) {
      // Silent for too long: the link is dead even if the transport has not noticed (a
      // half-open TCP connection can take minutes). Drop it and resume on a new one.
      this.dropLink(socket, `nothing heard for ${liveness} ms`);
      return;
    }
    this.checkStall(now);
    const ping = this.pingIntervalMs;
    if (ping > 0 && this.state === ClientState.Open && now - this.lastPingAt >= ping - 1) this.ping();
    this.pulseTimer = this.timers.setTimeout(this.pulse, this.pulseMs);
  };
}

/** The `node` query parameter of `url` (a matchmade URL behind a front names its node), if any. */
function nodeParamOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('node') ?? undefined;
  } catch {
    return undefined;
  }
}

/** `url` with `key=value` set in its query (replacing one already there). */
function withQueryParam(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
