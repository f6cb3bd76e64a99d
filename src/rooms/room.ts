import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import type { TickInputs } from '../../shared/game/game-definition';
import { ReplayRecorder, type ReplayLog } from '../../shared/game/replay';
import {
  encodeControl,
  ROSTER_PAGE,
  type PlayerJoinedMessage,
  type PlayerLeftMessage,
  type WelcomeMessage,
} from '../../shared/protocol/control-messages';
import { readInputHeader, type InputHeader } from '../../shared/protocol/input-message';
import { leadCode } from '../../shared/protocol/snapshot-message';
import { inputKeepaliveTicks, neutralizeAfterTicks, silenceIsStarved } from './input-keepalive';
import { MessageType } from '../../shared/protocol/message-types';
import { nameKey, uniqueName } from '../../shared/protocol/player-name';
import { writeDetachedIds } from '../../shared/protocol/snapshot-message';
import { OfferResult, TickInputBuffer } from '../input/tick-input-buffer';
import { FixedStepLoop } from '../loop/fixed-step-loop';
import type { ClientReplica } from '../replication/client-replica';
import { GlobalsReplicator } from '../replication/globals-replicator';
import { newReplicationStats, Replicator, type ReplicationStats, type SnapshotFrame } from '../replication/replicator';
import { Delivery, joinParts } from '../transport/transport';
import { newResumeToken } from './resume-token';
import type { ResolvedRoomType } from './room-type';

/**
 * What a room needs from a connected client. Transport-agnostic: the session layer implements
 * it over any transport, and so does an in-memory client in tests.
 */
export interface RoomClient {
  /**
   * Send one whole message. The room hands over bytes it never touches again, because socket
   * libraries (ws included) queue the caller's buffer rather than copying it. Snapshots go
   * {@link Delivery.Unreliable}; everything else reliable and in order (the default).
   */
  send(bytes: Uint8Array, delivery?: Delivery): void;
  /**
   * Send one message as `head` then a `body` shared with other clients, never copied or
   * changed (see ServerTransport.sendParts). Optional: without it the room joins the two.
   */
  sendParts?(head: Uint8Array, body: Uint8Array, delivery: Delivery): void;
  /** Bytes accepted by `send` but not yet written to the network. */
  readonly bufferedAmount: number;
  /**
   * Every message sent while this link lives arrives, in order (a WebSocket; not WebRTC's
   * datagrams). Then a budget-trimmed snapshot may be encoded against the one sent before it,
   * acknowledged or not (see SharedTrim). Optional: absent is false.
   */
  readonly inOrder?: boolean;
  close(code: number, reason: string): void;
}

/** Who the player is, when the server authenticates players (see the auth options). */
export interface PlayerIdentity {
  /** The token's `sub`: a stable user id. */
  userId: string;
  /** Every verified claim of the token. */
  claims: Readonly<Record<string, unknown>>;
}

/** A room's running counters; /health adds them up over live and disposed rooms. */
export interface RoomStats extends ReplicationStats {
  /** Snapshot messages sent. */
  snapshotsSent: number;
  /** Snapshots not sent because the client's link was backed up. */
  snapshotsSkipped: number;
  /** Snapshot bytes sent. */
  bytesSent: number;
  /** Player-ticks with no input for them: clients sending late or not at all. */
  inputsStarved: number;
  /** Inputs that arrived after their tick was simulated (a repeat stood in for each). */
  inputsLate: number;
  /** Inputs stamped for a tick beyond the input buffer's reach, dropped. */
  inputsTooEarly: number;
  /** Players whose link dropped with the seat held. */
  drops: number;
  /** Seats taken back on a new link (resumes and identity takeovers). */
  resumes: number;
}

export function newRoomStats(): RoomStats {
  return {
    snapshotsSent: 0,
    snapshotsSkipped: 0,
    bytesSent: 0,
    inputsStarved: 0,
    inputsLate: 0,
    inputsTooEarly: 0,
    drops: 0,
    resumes: 0,
    ...newReplicationStats(),
  };
}

/** The client of a seat whose link has dropped: sends go nowhere until the player resumes. */
const DETACHED: RoomClient = {
  send() {},
  bufferedAmount: 0,
  close() {},
};

/** A player in a room: its client, its input buffer and its replication bookkeeping. */
export class PlayerSlot<I> {
  /** The player's link; a no-op client while detached. Swapped on resume. */
  client: RoomClient;
  /** False while the link is down and the seat is held for a resume. */
  connected = true;
  /** When the link dropped, ms on the server clock (NaN while connected). */
  detachedAt = Number.NaN;
  /** The close code of the drop (0 while connected). */
  dropCode = 0;
  /** Presented once in JOIN.resume to take this seat back; rotated on every (re)attach. */
  resumeToken: string = newResumeToken();
  /** The authenticated identity, or undefined for a guest. */
  identity: PlayerIdentity | undefined;
  /** The input applied in the latest step (repeated when its tick's input is missing). */
  readonly current: I;
  /** Inputs by the tick they are stamped for. */
  readonly inputs: TickInputBuffer<I>;
  /**
   * Newest tick whose input slot was used for this player: its own input, or a repeat when it
   * came late (a late input is then never applied). The client reconciles from it. 0 until
   * the player's first input.
   */
  lastProcessedSeq = 0;
  /** Least lead of the inputs received since this player's last snapshot, ms (NaN: none). */
  inputLeadMs = Number.NaN;
  /** The last lead reported to this player, ms (NaN before the first): its input cushion. */
  lastInputLeadMs = Number.NaN;
  /** The applied input's rewind for lag compensation, 1/16 ticks, capped (see TickInputs.rewindTicks). */
  rewind16 = 0;
  /** Newest snapshot tick the client acknowledged that was sent to it (0: none yet). */
  ackTick = 0;
  /**
   * Acks of ticks before this are not this room's (0: all are): a seat that moved here holds the
   * old node's snapshots up to the move's tick, which this node's history also names.
   */
  acksFrom = 0;
  /** What the server knows of the client's copy of the world: sent snapshots, acks, budget. */
  replica!: ClientReplica;
  /** Roster entries still to page to this client after its WELCOME (see ROSTER_PAGE). */
  rosterQueue: PlayerSlot<I>[] | null = null;
  /** Ticks that had no new input from this player. */
  starvedTicks = 0;
  /** Consecutive ticks without a new input. */
  starvedStreak = 0;
  /** Snapshots not sent because the client's socket was backed up. */
  snapshotsSkipped = 0;

  /** The authenticated user id (the token's `sub`), or undefined for a guest. */
  get userId(): string | undefined {
    return this.identity?.userId;
  }

  constructor(
    readonly id: number,
    readonly name: string,
    client: RoomClient,
    inputs: TickInputBuffer<I>,
    current: I,
    readonly neutral: I,
  ) {
    this.client = client;
    this.inputs = inputs;
    this.current = current;
  }
}

export interface RoomOptions {
  /** Skip a client's snapshot while more than this many bytes are queued on its socket (default 64 KiB). */
  maxBufferedBytes?: number;
  /** The node id WELCOME names for routing resumes (`--workers`, or a front that routes on `?node=`). */
  nodeRoute?: () => string | undefined;
  /**
   * A room moved here from another node (see room-move.ts): its seed and its decoded state, in
   * place of a new state; onCreate does not run (the room was created on the first node).
   */
  restore?: { seed: number; state: unknown };
}

/**
 * One running game instance: its state, its players and its fixed-step loop.
 *
 * Each step: take each player's input stamped for this tick (the previous input repeats if it
 * has not come), run the game's step, and every `tickRate/sendRate` steps send each player a
 * snapshot against the baseline it acknowledged.
 */
export class Room<S = unknown, I = unknown, P = unknown> {
  readonly state: S;
  /** Players in join order. */
  readonly players: PlayerSlot<I>[] = [];
  readonly seed: number;
  readonly loop: FixedStepLoop;
  disposed = false;
  readonly stats: RoomStats = newRoomStats();
  /** Players whose link is down and whose seat is held. */
  detachedCount = 0;
  private readonly byId = new Map<number, PlayerSlot<I>>();
  private readonly inputs: TickInputs<I>;
  /** Snapshot history, per-client baselines, interest and budget. */
  readonly replicator: Replicator;
  private readonly globals: GlobalsReplicator | null;
  /** Sends between GLOBALS updates, and the countdown to the next. */
  private readonly globalsEvery: number;
  private globalsCountdown = 0;
  private readonly frame: SnapshotFrame = { head: new Uint8Array(0), body: null, length: 0 };
  /** The room type's rewind cap, 1/16 ticks. */
  private readonly maxRewind16: number;
  /** Scratch for the room type's viewCenter hook. */
  private readonly center = { x: 0, y: 0 };
  private readonly inputHeader: InputHeader = { ackTick: 0, firstSeq: 0, count: 0, viewLag16: 0 };
  private readonly maxBufferedBytes: number;
  /** The next player id to try (see allocatePlayerId); travels with a moved room. */
  nextPlayerId = 1;
  /**
   * True while the room is being handed to another node: it does not tick (its state at this
   * tick is what travels), and is forgotten here once the other node has it.
   */
  frozen = false;
  /**
   * A room that moved here waits for the players who were connected on the old node, until they
   * have all resumed or until `holdUntil` (ms on the server clock): it does not tick meanwhile,
   * so the inputs they re-send for the ticks after the move are not late. Null: not held.
   */
  holdFor: Set<number> | null = null;
  holdUntil = Number.NaN;
  private sendAccumulator = 0;
  private recorder: ReplayRecorder<S, I> | undefined;
  // Roster changes since the last tick, announced together at the start of the next one.
  private joinedSinceTick: [number, string][] = [];
  private leftSinceTick: number[] = [];
  /** Names in use, by {@link nameKey}. */
  private readonly nameKeys = new Set<string>();
  /** Detached player ids, ascending; rebuilt when a player drops or comes back. */
  private detachedIds: number[] = [];
  /**
   * The detached list as it opens every snapshot body, encoded when the list changes (a drop,
   * a resume, a leave), not at every send.
   */
  private detachedBytes: Uint8Array = Uint8Array.of(0);

  private readonly nodeRoute: (() => string | undefined) | undefined;

  constructor(
    readonly id: string,
    readonly type: ResolvedRoomType<S, I, P>,
    options: RoomOptions = {},
  ) {
    const restore = options.restore;
    this.seed = restore ? restore.seed : type.seed ? type.seed() | 0 : (Math.random() * 0x7fffffff) | 0;
    this.state = restore ? (restore.state as S) : type.game.createState({ seed: this.seed, tickRate: type.tickRate });
    this.replicator = new Replicator(type.game.entitySchema, type.tickRate, type.sendRate, type.replication, this.stats);
    this.globals = GlobalsReplicator.for(type.game.entitySchema);
    // Counted in seals: every tick when sends are staggered, every send otherwise.
    const seals = this.replicator.staggerInterval > 1 ? type.tickRate : type.sendRate;
    this.globalsEvery = Math.max(1, Math.round(seals / (type.globalsRate ?? 2)));
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024;
    this.nodeRoute = options.nodeRoute;
    // After a stall the room catches up every tick it owes, up to a second's worth, five a
    // call: its players' inputs are stamped for those ticks and wait in their buffers.
    this.loop = new FixedStepLoop({ stepMs: 1000 / type.tickRate, maxCatchUpSteps: 5, maxBacklogSteps: type.tickRate }, () => this.step());
    const byId = this.byId;
    this.inputs = {
      get: (playerId) => byId.get(playerId)?.current,
      rewindTicks: (playerId) => (byId.get(playerId)?.rewind16 ?? 0) / 16,
    };
    this.maxRewind16 = Math.floor(((type.maxRewindMs ?? 200) * type.tickRate * 16) / 1000);
    if (restore) return;
    if (type.recordReplays) this.startRecording();
    type.onCreate?.(this);
  }

  /** True while the room waits for its moved players (see {@link holdFor}). */
  isHeld(now: number): boolean {
    if (this.holdFor === null) return false;
    if (this.holdFor.size > 0 && now < this.holdUntil) return true;
    this.holdFor = null;
    return false;
  }

  /**
   * Seat a player that came with a moved room (room-move.ts), already in the game state: no
   * WELCOME (it resumes with its token), no roster news (the others resume too and get the
   * whole roster in their WELCOME).
   */
  restoreSeat(slot: PlayerSlot<I>): void {
    if (this.byId.has(slot.id)) throw new Error(`room ${this.id}: player ${slot.id} is seated twice`);
    slot.replica = this.replicator.createReplica();
    this.players.push(slot);
    this.byId.set(slot.id, slot);
    this.nameKeys.add(nameKey(slot.name));
    if (!slot.connected) this.detachedCount++;
    this.rebuildDetachedIds();
  }

  get tick(): number {
    return this.type.game.tickOf(this.state);
  }

  get isFull(): boolean {
    return this.players.length >= this.type.maxPlayers;
  }

  getPlayer(playerId: number): PlayerSlot<I> | undefined {
    return this.byId.get(playerId);
  }

  /**
   * Record every join, leave and applied input (see {@link ReplayRecorder}); `stopRecording()`
   * returns the log. A replay rebuilds the state from the seed, so recording must begin before
   * the first tick and the first player: set `recordReplays` on the room type to record every
   * room from its creation, or call this on a room nobody has joined yet.
   */
  startRecording(): ReplayRecorder<S, I> {
    if (this.tick !== 0 || this.players.length > 0) {
      throw new Error(
        `room ${this.id} is already running (tick ${this.tick}, ${this.players.length} players): a replay must start from its creation; set recordReplays on the room type`,
      );
    }
    this.recorder = new ReplayRecorder(this.type.game, this.seed, this.type.tickRate);
    return this.recorder;
  }

  /** Stop recording and return the log, or undefined if nothing was recording. */
  stopRecording(): ReplayLog | undefined {
    const log = this.recorder?.finish(this.state);
    this.recorder = undefined;
    return log;
  }

  get recording(): boolean {
    return this.recorder !== undefined;
  }

  /** Add a player: game state first, then WELCOME to them and PLAYER_JOINED to everyone else. */
  join(client: RoomClient, requestedName: string, identity?: PlayerIdentity): PlayerSlot<I> {
    if (this.isFull) throw new Error(`room ${this.id} is full`);
    const { game } = this.type;
    const id = this.allocatePlayerId();
    // Two players never share a name in a room: a taken one becomes "name 2", "name 3"...
    const name = uniqueName(requestedName, (key) => this.nameKeys.has(key));
    this.nameKeys.add(nameKey(name));
    const slot = new PlayerSlot(
      id,
      name,
      client,
      new TickInputBuffer(game.input, this.type.inputBufferTicks),
      game.input.create(),
      game.input.create(),
    );
    slot.identity = identity;
    slot.replica = this.replicator.createReplica();
    game.addPlayer(this.state, id, name);
    this.players.push(slot);
    this.byId.set(id, slot);
    this.recorder?.join(this.tick, id, name);
    client.send(this.welcomeFor(slot, false));
    if (this.globals) client.send(this.globals.full());
    this.joinedSinceTick.push([id, name]);
    this.type.onJoin?.(this, slot);
    return slot;
  }

  /**
   * The player's link dropped: keep the seat, entity and score for the resume window. Inputs
   * already queued still play out; then the player's input goes neutral (or what the room
   * type's `onDetachedInput` writes). Everyone sees the player as detached in snapshots.
   */
  detach(slot: PlayerSlot<I>, code: number, now: number): void {
    if (!slot.connected || this.byId.get(slot.id) !== slot) return;
    slot.connected = false;
    slot.client = DETACHED;
    slot.detachedAt = now;
    slot.dropCode = code;
    slot.starvedStreak = 0;
    this.detachedCount++;
    this.stats.drops++;
    this.rebuildDetachedIds();
    this.type.onDrop?.(this, slot, code);
  }

  /**
   * Give a seat a new link: a resume after a drop, or a takeover of a live seat (the caller
   * closes the old link). Rotates the resume token, sends WELCOME (resumed) and a snapshot at
   * once, so the player sees the world without waiting for the next send tick.
   */
  reattach(slot: PlayerSlot<I>, client: RoomClient): void {
    const wasDetached = !slot.connected;
    slot.client = client;
    slot.resumeToken = newResumeToken();
    if (wasDetached) {
      slot.connected = true;
      slot.detachedAt = Number.NaN;
      slot.dropCode = 0;
      slot.starvedStreak = 0;
      this.detachedCount--;
      this.rebuildDetachedIds();
    }
    this.stats.resumes++;
    this.holdFor?.delete(slot.id);
    // What went out on the old link may never have arrived.
    slot.replica.newLink();
    client.send(this.welcomeFor(slot, true));
    if (this.globals) client.send(this.globals.full());
    // Sealed afresh: the detached list has just changed.
    this.sealSnapshot();
    this.sendSnapshot(slot);
    this.type.onResume?.(this, slot);
  }

  /** True when the player is in the room and its link is up. */
  isConnected(playerId: number): boolean {
    return this.byId.get(playerId)?.connected === true;
  }

  private welcomeFor(slot: PlayerSlot<I>, resumed: boolean): Uint8Array {
    // A big room's roster goes out in pages after the WELCOME (one per tick), not all at once.
    const firstPage = this.players.length <= ROSTER_PAGE ? this.players : this.players.slice(0, ROSTER_PAGE);
    slot.rosterQueue = this.players.length > ROSTER_PAGE ? this.players.slice(ROSTER_PAGE) : null;
    const welcome: WelcomeMessage = {
      playerId: slot.id,
      roomId: this.id,
      roomType: this.type.name,
      tickRate: this.type.tickRate,
      sendRate: this.type.sendRate,
      tick: this.tick,
      players: firstPage.map((p) => [p.id, p.name]),
      rosterSize: this.players.length,
      codec: this.replicator.codec.name,
      historyTicks: this.replicator.historyTicks,
      resumeToken: slot.resumeToken,
      resumeWindowMs: this.type.resumeWindowMs,
      resumed,
      lastSeq: slot.lastProcessedSeq,
      userId: slot.userId ?? null,
      inputKeepaliveTicks: this.inputKeepalive(slot),
    };
    const node = this.nodeRoute?.();
    if (node !== undefined) welcome.node = node;
    const grid = this.replicator.interestGeometry;
    if (grid !== null) welcome.interest = grid;
    return encodeControl(MessageType.Welcome, welcome);
  }

  private rebuildDetachedIds(): void {
    const ids: number[] = [];
    for (const p of this.players) if (!p.connected) ids.push(p.id);
    this.detachedIds = ids.sort((a, b) => a - b);
    const w = new ByteWriter(16);
    writeDetachedIds(w, this.detachedIds);
    this.detachedBytes = w.bytes();
  }

  /** Remove a player (its client is not closed here: the caller owns the connection). */
  leave(slot: PlayerSlot<I>): void {
    if (this.byId.get(slot.id) !== slot) return;
    this.byId.delete(slot.id);
    this.players.splice(this.players.indexOf(slot), 1);
    slot.replica.clear();
    slot.rosterQueue = null;
    this.nameKeys.delete(nameKey(slot.name));
    if (!slot.connected) {
      this.detachedCount--;
      this.rebuildDetachedIds();
    }
    if (this.disposed) return;
    this.type.onLeaving?.(this, slot);
    this.type.game.removePlayer(this.state, slot.id);
    this.recorder?.leave(this.tick, slot.id);
    const pending = this.joinedSinceTick.findIndex((j) => j[0] === slot.id);
    if (pending >= 0) this.joinedSinceTick.splice(pending, 1);
    this.leftSinceTick.push(slot.id);
    this.type.onLeave?.(this, slot);
  }

  /**
   * Buffer the inputs of one INPUT message (reader just past the type byte), each for the tick
   * it is stamped with, and note how early the newest arrived: `now` is the arrival time on the
   * room's clock (default: the latest advance). Throws WireError on a malformed message; the
   * caller closes that client.
   */
  acceptInputs(slot: PlayerSlot<I>, reader: ByteReader, now = Number.NaN): void {
    const h = readInputHeader(reader, this.type.game.input.byteLength, this.inputHeader);
    if (h.ackTick > slot.ackTick) this.acknowledge(slot, h.ackTick);
    const current = this.tick;
    // Each input's lead, on its first arrival (resent copies are redundancy, not news): the
    // time left before its tick is simulated. A room running behind (after a stall) runs its
    // next tick at once, not at its scheduled time.
    const at = Number.isNaN(now) ? this.loop.nextStepAt - this.loop.msUntilNextStep() : now;
    const untilNext = Math.max(0, this.loop.nextStepAt - at);
    for (let i = 0; i < h.count; i++) {
      const tick = h.firstSeq + i;
      // The message's view lag holds for each of its inputs: an older one was made when both
      // the input clock and the drawing were that many ticks earlier.
      const result = slot.inputs.offer(tick, reader, current, h.viewLag16);
      if (result === OfferResult.Duplicate) continue;
      if (result === OfferResult.TooEarly) this.stats.inputsTooEarly++;
      else {
        if (result === OfferResult.Late) this.stats.inputsLate++;
        const lead = untilNext + (tick - current - 1) * this.loop.stepMs;
        if (!(lead >= slot.inputLeadMs)) slot.inputLeadMs = lead;
      }
    }
  }

  /** The room's tick at `now` on its clock, fractional: for PONG, so clients can sync to it. */
  tickAt(now: number): number {
    const into = 1 - (this.loop.nextStepAt - now) / this.loop.stepMs;
    return this.tick + Math.min(1, Math.max(0, into));
  }

  /**
   * The client decoded snapshot `tick` (from an ACK or an INPUT): its next snapshot may be a
   * delta against it, if we really sent it that tick.
   */
  acknowledge(slot: PlayerSlot<I>, tick: number): void {
    if (tick < slot.acksFrom) return;
    if (this.replicator.ack(slot.replica, tick)) slot.ackTick = tick;
  }

  /** Run the steps due at `now` (ms on the server's clock). */
  advance(now: number): number {
    return this.loop.advance(now);
  }

  /** One simulation tick; sends a snapshot when the send rate says so. */
  step(): void {
    const started = performance.now();
    this.runTick();
    const ms = performance.now() - started;
    // A running mean over about a second of ticks, for the monitor.
    this.tickMs += (ms - this.tickMs) * 0.05;
    this.tickTimer?.observe(ms / 1000);
  }

  /** Recent tick duration, ms (a running mean over about 20 ticks). */
  tickMs = 0;

  /**
   * Where each tick's duration goes (the server's tick-duration histogram for this room type),
   * in seconds; undefined: not timed.
   */
  tickTimer: { observe(seconds: number): void } | undefined;

  private runTick(): void {
    const { game, tickRate, sendRate } = this.type;
    const tick = this.tick;
    if (this.joinedSinceTick.length > 0 || this.leftSinceTick.length > 0) this.announceRoster();
    this.pageRosters();
    const target = tick + 1;
    for (let i = 0; i < this.players.length; i++) {
      const slot = this.players[i];
      // The tick's input slot is used now, whether its input came or not: a late one is then
      // refused, never applied twice, and the client's replay starts after this tick.
      if (slot.inputs.newestTick !== 0) slot.lastProcessedSeq = target;
      if (slot.inputs.take(target, slot.current)) {
        slot.starvedStreak = 0;
        slot.rewind16 = Math.min(slot.inputs.takenViewLag16, this.maxRewind16);
      } else if (!slot.connected) {
        // Detached, its buffered inputs played out: neutral, or what the room type decides.
        if (this.type.onDetachedInput) this.type.onDetachedInput(this, slot, slot.current);
        else if (slot.starvedStreak++ === 0) this.neutralize(slot);
      } else {
        // An in-order client skips unchanged inputs up to its keepalive: starved only past it.
        const keepalive = this.inputKeepalive(slot);
        if (silenceIsStarved(++slot.starvedStreak, keepalive)) {
          slot.starvedTicks++;
          this.stats.inputsStarved++;
        }
        // A late input repeats the last one (movement stays smooth through jitter); a player
        // silent for longer, such as a hidden browser tab, stops instead of walking on.
        if (slot.starvedStreak === neutralizeAfterTicks(this.type.repeatInputTicks, keepalive)) this.neutralize(slot);
      }
      this.recorder?.input(tick, slot.id, slot.current, slot.rewind16);
    }
    game.step(this.state, this.inputs);
    this.type.onTick?.(this);
    const stagger = this.replicator.staggerInterval;
    if (stagger > 1) {
      // Staggered sends: every tick, the players whose turn it is (id ≡ tick mod interval).
      this.broadcastSnapshot(stagger, this.tick % stagger);
      return;
    }
    this.sendAccumulator += sendRate;
    if (this.sendAccumulator >= tickRate) {
      this.sendAccumulator -= tickRate;
      this.broadcastSnapshot(1, 0);
    }
  }

  /**
   * Ticks `slot`'s client may go without an INPUT while its input is unchanged (WELCOME says it):
   * see input-keepalive.ts. 1 (every tick) on a link not in order, and with interest on, whose
   * deltas are against the acknowledged baseline: INPUTs carry the acks, and acks a keepalive
   * apart would make those deltas bigger and split clients over more baselines.
   */
  private inputKeepalive(slot: PlayerSlot<I>): number {
    if (slot.client.inOrder !== true || this.replicator.interestGeometry !== null) return 1;
    return inputKeepaliveTicks(this.type.repeatInputTicks);
  }

  private neutralize(slot: PlayerSlot<I>): void {
    const input = this.type.game.input;
    if (input.neutralize) input.neutralize(slot.current);
    else input.copy(slot.neutral, slot.current);
  }

  /** Write this tick's entities into the replication history, checked and quantized. */
  private sealSnapshot(): void {
    const table = this.replicator.begin(this.tick);
    this.type.game.writeEntities(this.state, table);
    this.replicator.seal(this.detachedBytes);
  }

  /**
   * Store the tick's entities once; give each player whose id ≡ `phase` (mod `every`) its
   * snapshot against its own baseline.
   */
  private broadcastSnapshot(every: number, phase: number): void {
    this.sealSnapshot();
    if (this.globals && --this.globalsCountdown <= 0) {
      this.globalsCountdown = this.globalsEvery;
      const bytes = this.globals.update(this.replicator.current!, this.tick);
      if (bytes) for (const p of this.players) if (p.connected) p.client.send(bytes);
    }
    for (let i = 0; i < this.players.length; i++) {
      const slot = this.players[i];
      if (!slot.connected || slot.id % every !== phase) continue;
      // A backed-up socket gets no stale state piled on; the next snapshot supersedes this one.
      if (slot.client.bufferedAmount > this.maxBufferedBytes) {
        slot.snapshotsSkipped++;
        this.stats.snapshotsSkipped++;
        continue;
      }
      this.sendSnapshot(slot);
    }
  }

  private sendSnapshot(slot: PlayerSlot<I>): void {
    const hook = this.type.viewCenter;
    const replica = slot.replica;
    replica.centerFromHook = hook !== undefined && hook(this, slot, this.center);
    if (replica.centerFromHook) {
      replica.centerX = this.center.x;
      replica.centerY = this.center.y;
      replica.hasCenter = true;
    }
    replica.inOrder = slot.client.inOrder === true;
    replica.inOrderFrom = slot.acksFrom;
    const frame = this.replicator.frameFor(replica, slot.id, slot.lastProcessedSeq, leadCode(slot.inputLeadMs), this.frame);
    if (!Number.isNaN(slot.inputLeadMs)) slot.lastInputLeadMs = slot.inputLeadMs;
    slot.inputLeadMs = Number.NaN;
    const client = slot.client;
    if (frame.body === null) client.send(frame.head, Delivery.Unreliable);
    else if (client.sendParts) client.sendParts(frame.head, frame.body, Delivery.Unreliable);
    else client.send(joinParts(frame.head, frame.body), Delivery.Unreliable);
    this.stats.snapshotsSent++;
    this.stats.bytesSent += frame.length;
  }

  /** Send each client that joined a big room its next roster page (players still present). */
  private pageRosters(): void {
    for (let i = 0; i < this.players.length; i++) {
      const slot = this.players[i];
      const queue = slot.rosterQueue;
      if (queue === null) continue;
      const page: [number, string][] = [];
      while (page.length < ROSTER_PAGE && queue.length > 0) {
        const p = queue.pop()!;
        if (this.byId.get(p.id) === p) page.push([p.id, p.name]);
      }
      const message: PlayerJoinedMessage = { players: page };
      if (queue.length === 0) {
        slot.rosterQueue = null;
        message.rosterEnd = true;
      }
      if (slot.connected) slot.client.send(encodeControl(MessageType.PlayerJoined, message));
    }
  }

  /** Tell everyone who joined and left since the last tick: one message each, same bytes for all. */
  private announceRoster(): void {
    if (this.joinedSinceTick.length > 0)
      this.broadcastControl(MessageType.PlayerJoined, { players: this.joinedSinceTick } satisfies PlayerJoinedMessage);
    if (this.leftSinceTick.length > 0)
      this.broadcastControl(MessageType.PlayerLeft, { playerIds: this.leftSinceTick } satisfies PlayerLeftMessage);
    this.joinedSinceTick = [];
    this.leftSinceTick = [];
  }

  /** Send one control message to every player: encoded once, the same bytes for all. */
  broadcastControl(type: MessageType, body: unknown): void {
    if (this.players.length === 0) return;
    const bytes = encodeControl(type, body);
    for (const p of this.players) if (p.connected) p.client.send(bytes);
  }

  /** Dispose: close any remaining clients with `code`/`reason`, then the onDispose hook. */
  dispose(code: number, reason: string): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.players.slice()) p.client.close(code, reason);
    this.type.onDispose?.(this);
  }

  private allocatePlayerId(): number {
    // Ids are u16 and unique among present players; they wrap after 65535 joins. An id whose
    // leave is not yet announced stays taken until the next tick: reused at once, the tick's
    // PLAYER_JOINED would name it before the PLAYER_LEFT that removes it, and clients would drop
    // the newcomer. Only a room of 65535 players with churn in one tick runs out of such ids;
    // then an unannounced id is reused and its stale PLAYER_LEFT is withdrawn instead.
    for (let tries = 0; tries < 0xffff; tries++) {
      const id = this.nextPlayerId;
      this.nextPlayerId = id >= 0xffff ? 1 : id + 1;
      if (!this.byId.has(id) && !this.leftSinceTick.includes(id)) return id;
    }
    return this.leftSinceTick.shift()!;
  }
}
