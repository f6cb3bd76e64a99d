import type { GameDefinition } from '../../../shared/game/game-definition';
import type { BackoffOptions } from '../backoff';
import type { NetworkSimulator } from '../network-simulator';
import type { FollowOptions } from '../seat-follower';
import type { SocketFactory, WebSocketConstructor } from '../socket-like';
import type { TickSyncOptions } from '../tick-sync';
import type { WebRtcClientOptions } from '../webrtc-socket';
import type { Clock } from '../../loop/clock';
import type { Timers } from '../../loop/timers';

/** Auto-reconnect settings; `false` turns it off (a drop then closes the client). */
export type ReconnectOptions = BackoffOptions;

/** Everything a {@link TickwireClient} is made with; only `url`, `game` and `name` are required. */
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
