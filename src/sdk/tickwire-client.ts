import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError } from '../../shared/binary/wire-error';
import type { GameDefinition, GameSetup } from '../../shared/game/game-definition';
import { decodeControlBody, encodeControl, type ErrorMessage, type JoinMessage, type PlayerJoinedMessage, type PlayerLeftMessage, type PongMessage, type RosterEntry, type WelcomeMessage } from '../../shared/protocol/control-messages';
import { MAX_INPUTS_PER_MESSAGE, writeInputHeader } from '../../shared/protocol/input-message';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { clampCloseReason, CloseCode } from '../../shared/protocol/close-codes';
import { readSnapshotHeader, type SnapshotHeader } from '../../shared/protocol/snapshot-message';
import { EntityTable } from '../../shared/replication/entity-table';
import { FullSnapshotCodec } from '../../shared/replication/full-snapshot-codec';
import type { SnapshotCodec } from '../../shared/replication/snapshot-codec';
import { monotonicClock, type Clock } from '../loop/clock';
import { Emitter } from './emitter';
import { ServerTickEstimator } from './server-tick-estimator';
import { InterpolatedView, SnapshotBuffer } from './snapshot-buffer';

/** The subset of the WebSocket API the client uses: the browser's and `ws`'s both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

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
  /** Time source (default performance.now). */
  clock?: Clock;
  /**
   * Decode snapshot bodies (default true). Headless load bots that never look at entities turn
   * this off and only read the header (tick, acked input): far less CPU per bot.
   */
  decodeEntities?: boolean;
  /** Inputs carried per INPUT message, newest last (default 1; more tolerates loss). 1-8. */
  inputRedundancy?: number;
  /** How far behind the server remote entities are drawn, ms (default: 2 snapshot intervals). */
  interpolationDelayMs?: number;
  /** Send a PING this often to measure round-trip time, ms (default 1000; 0 = never). */
  pingIntervalMs?: number;
  /** Snapshot codec; must match the server's room type (default: the full codec). */
  codec?: SnapshotCodec;
}

export interface ClientEvents {
  welcome: [WelcomeMessage];
  /** A snapshot was applied: (tick, ackSeq). */
  snapshot: [number, number];
  playerJoined: [RosterEntry];
  playerLeft: [RosterEntry];
  /** Round-trip time from a PING, ms. */
  pong: [number];
  /** The server sent ERROR (it closes right after). */
  serverError: [ErrorMessage];
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
  /** Times prediction disagreed with the server by any amount. */
  mispredictions: number;
  /** sendInput calls refused because 4 s of inputs were already unacknowledged. */
  inputsWithheld: number;
}

/**
 * Unacknowledged inputs kept for reconciliation, in seconds of ticks (4 s: 120 at 30 Hz, 512
 * at 128 Hz). A client with this many unacknowledged stops sending until acks catch up: the
 * server could not use them (its queue holds a few ticks), and replaying overwritten slots
 * would mispredict on every snapshot.
 */
const PENDING_SECONDS = 4;

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
  readonly stats: ClientStats = { snapshots: 0, bytesReceived: 0, inputsSent: 0, lastInputRttMs: -1, lastPingMs: -1, mispredictions: 0, inputsWithheld: 0 };
  /** Present players: id → name. */
  readonly players = new Map<number, string>();
  /** The newest snapshot's entities (only when decodeEntities). */
  readonly latest: EntityTable;
  latestTick = -1;
  /** The predicted local player, when the game has a predictor and the player is in a snapshot. */
  predicted: P | undefined;
  welcome: WelcomeMessage | undefined;
  closeEvent: { code: number; reason: string } | undefined;
  private socket: WebSocketLike | undefined;
  private readonly options: TickwireClientOptions<S, I, P>;
  private readonly clock: Clock;
  private readonly codec: SnapshotCodec;
  private readonly reader = new ByteReader();
  private readonly writer = new ByteWriter(64);
  private readonly header: SnapshotHeader = { tick: 0, ackSeq: 0 };
  private readonly buffer: SnapshotBuffer;
  private estimator: ServerTickEstimator | undefined;
  private setup: GameSetup | undefined;
  // Unacknowledged inputs, a ring indexed by seq % pendingCapacity, sized at WELCOME.
  private pendingInputs: I[] = [];
  private pendingSentAt = new Float64Array(0);
  private nextSeq = 1;
  private ackedSeq = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private beforeReconcile: P | undefined;

  constructor(options: TickwireClientOptions<S, I, P>) {
    super();
    this.options = options;
    this.game = options.game;
    this.clock = options.clock ?? monotonicClock;
    this.codec = options.codec ?? new FullSnapshotCodec(options.game.entitySchema);
    this.latest = new EntityTable(options.game.entitySchema);
    this.buffer = new SnapshotBuffer(options.game.entitySchema);
    const r = options.inputRedundancy ?? 1;
    if (!(r >= 1 && r <= MAX_INPUTS_PER_MESSAGE)) throw new RangeError(`inputRedundancy must be 1-${MAX_INPUTS_PER_MESSAGE}, got ${r}`);
  }

  get playerId(): number {
    return this.welcome?.playerId ?? 0;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === 1 && this.welcome !== undefined;
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

  /** Open the socket and join; resolves with the WELCOME, rejects if closed first. */
  connect(): Promise<WelcomeMessage> {
    if (this.socket) throw new Error('connect() was already called on this client: make a new TickwireClient to reconnect');
    const Ctor = (this.options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket) as WebSocketConstructor | undefined;
    if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package in Node)');
    const socket = new Ctor(this.options.url);
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    return new Promise((resolve, reject) => {
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
      socket.onopen = () => {
        const join: JoinMessage = { v: PROTOCOL_VERSION, roomType: this.options.roomType ?? this.game.name, name: this.options.name };
        socket.send(encodeControl(MessageType.Join, join));
      };
      socket.onmessage = (ev) => this.onMessage(ev.data);
      socket.onclose = (ev) => this.onClose(ev.code, ev.reason);
      socket.onerror = () => {
        /* the close event that follows carries the code */
      };
    });
  }

  /**
   * Send one tick's input and predict it locally. Returns its seq, or 0 if nothing was sent:
   * not joined, or 4 s of inputs unacknowledged (counted in `stats.inputsWithheld`). Call once
   * per simulation tick (1/tickRate s): the server applies one input per player per tick.
   */
  sendInput(input: I): number {
    const socket = this.socket;
    if (!socket || !this.welcome || socket.readyState !== 1) return 0;
    if (this.pendingCount >= this.pendingCapacity) {
      this.stats.inputsWithheld++;
      return 0;
    }
    const seq = this.nextSeq++;
    const slot = seq % this.pendingCapacity;
    this.game.input.copy(input, this.pendingInputs[slot]);
    this.pendingSentAt[slot] = this.clock.now();
    const redundancy = Math.min(this.options.inputRedundancy ?? 1, seq - this.ackedSeq, MAX_INPUTS_PER_MESSAGE);
    const first = seq - redundancy + 1;
    this.writer.reset();
    writeInputHeader(this.writer, Math.max(0, this.latestTick), first, redundancy);
    for (let s = first; s <= seq; s++) this.game.input.write(this.writer, this.pendingInputs[s % this.pendingCapacity]);
    // Sockets may hold the buffer after send() returns, so hand over a copy, never the scratch.
    socket.send(this.writer.bytes().slice());
    this.stats.inputsSent++;
    if (this.predicted !== undefined && this.setup) this.game.predictor!.step(this.predicted, input, this.setup);
    return seq;
  }

  /** Entities as of (estimated server time − interpolation delay), interpolated. */
  sampleRemote(now: number, out: InterpolatedView): void {
    if (!this.estimator?.ready || !this.welcome) {
      out.count = 0;
      return;
    }
    const delayTicks = (this.interpolationDelayMs * this.welcome.tickRate) / 1000;
    this.buffer.sample(this.estimator.tickAt(now) - delayTicks, out);
  }

  /** A view sized for this game's entities, for {@link sampleRemote}. */
  createView(): InterpolatedView {
    return new InterpolatedView(this.latest.stride);
  }

  get interpolationDelayMs(): number {
    if (this.options.interpolationDelayMs !== undefined) return this.options.interpolationDelayMs;
    return this.welcome ? (2 * 1000) / this.welcome.sendRate : 100;
  }

  /** The server's estimated current tick (fractional), or -1 before the first snapshot. */
  serverTick(now = this.clock.now()): number {
    return this.estimator?.ready ? this.estimator.tickAt(now) : -1;
  }

  ping(): void {
    if (this.socket?.readyState === 1) this.socket.send(encodeControl(MessageType.Ping, { t: this.clock.now() }));
  }

  /** Leave: close the socket normally. */
  close(code = 1000, reason = 'client closed'): void {
    this.stopPings();
    this.socket?.close(code, reason);
  }

  /** Send raw bytes, for tests of the server's hostile-input handling. */
  sendRaw(bytes: Uint8Array): void {
    this.socket?.send(bytes);
  }

  private onMessage(data: unknown): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
    this.stats.bytesReceived += bytes.length;
    const reader = this.reader.reset(bytes);
    try {
      const type = reader.u8();
      if (type === MessageType.Snapshot) this.onSnapshot(reader);
      else if (type === MessageType.Welcome) this.onWelcome(decodeControlBody(reader.rest()) as WelcomeMessage);
      else if (type === MessageType.PlayerJoined) {
        for (const [playerId, name] of (decodeControlBody(reader.rest()) as PlayerJoinedMessage).players) {
          if (this.players.get(playerId) === name) continue; // already known from the WELCOME
          this.players.set(playerId, name);
          this.emit('playerJoined', { playerId, name });
        }
      } else if (type === MessageType.PlayerLeft) {
        for (const playerId of (decodeControlBody(reader.rest()) as PlayerLeftMessage).playerIds) {
          const name = this.players.get(playerId);
          if (name === undefined) continue; // joined and left before we knew of them
          this.players.delete(playerId);
          this.emit('playerLeft', { playerId, name });
        }
      } else if (type === MessageType.Pong) {
        const m = decodeControlBody(reader.rest()) as PongMessage;
        this.stats.lastPingMs = this.clock.now() - m.t;
        this.emit('pong', this.stats.lastPingMs);
      } else if (type === MessageType.Error) {
        this.emit('serverError', decodeControlBody(reader.rest()) as ErrorMessage);
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.close(CloseCode.MalformedMessage, clampCloseReason(`client got a malformed message: ${err.message}`));
    }
  }

  private onWelcome(w: WelcomeMessage): void {
    this.welcome = w;
    this.setup = { seed: 0, tickRate: w.tickRate };
    this.estimator = new ServerTickEstimator(1000 / w.tickRate);
    const capacity = Math.ceil(PENDING_SECONDS * w.tickRate);
    this.pendingInputs = Array.from({ length: capacity }, () => this.game.input.create());
    this.pendingSentAt = new Float64Array(capacity);
    for (const [id, name] of w.players) this.players.set(id, name);
    const interval = this.options.pingIntervalMs ?? 1000;
    if (interval > 0) {
      this.ping();
      this.pingTimer = setInterval(() => this.ping(), interval);
    }
    this.emit('welcome', w);
  }

  private onSnapshot(reader: ByteReader): void {
    const { tick, ackSeq } = readSnapshotHeader(reader, this.header);
    const now = this.clock.now();
    if (tick <= this.latestTick) return; // stale (possible over unordered transports)
    this.stats.snapshots++;
    this.latestTick = tick;
    this.estimator?.observe(tick, now);
    if (ackSeq > this.ackedSeq && ackSeq < this.nextSeq) {
      this.stats.lastInputRttMs = now - this.pendingSentAt[ackSeq % this.pendingCapacity];
      this.ackedSeq = ackSeq;
    }
    if (this.options.decodeEntities === false) {
      this.emit('snapshot', tick, ackSeq);
      return;
    }
    this.codec.decode(reader, null, this.latest);
    reader.expectEnd('snapshot');
    this.buffer.push(tick, this.latest);
    this.reconcile();
    this.emit('snapshot', tick, ackSeq);
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
    if (hadPrediction && !predictor.equals(p, before)) this.stats.mispredictions++;
  }

  private onClose(code: number, reason: string): void {
    this.stopPings();
    this.closeEvent = { code, reason };
    this.emit('close', this.closeEvent);
  }

  private stopPings(): void {
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}
