import type { ByteReader } from '../../shared/binary/byte-reader';
import type { TickInputs } from '../../shared/game/game-definition';
import { ReplayRecorder, type ReplayLog } from '../../shared/game/replay';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { TickInputBuffer } from '../input/tick-input-buffer';
import { FixedStepLoop } from '../loop/fixed-step-loop';
import { Replicator } from '../replication/replicator';
import { PlayerSlot } from './player-slot';
import { newResumeToken } from './resume-token';
import { DETACHED_CLIENT, type PlayerIdentity, type RoomClient } from './room-client';
import { RoomInputs } from './room-inputs';
import { RoomRoster } from './room-roster';
import { RoomSnapshots } from './room-snapshots';
import { encodeWelcome } from './room-welcome';
import { newRoomStats, type RoomStats } from './room-stats';
import type { ResolvedRoomType } from './room-type';

// The room's parts, one job per file; importers of './room' keep finding them here.
export { PlayerSlot } from './player-slot';
export type { PlayerIdentity, RoomClient } from './room-client';
export { newRoomStats, type RoomStats } from './room-stats';

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
  readonly players: PlayerSlot<I>[];
  readonly seed: number;
  readonly loop: FixedStepLoop;
  disposed = false;
  readonly stats: RoomStats = newRoomStats();
  /** Players whose link is down and whose seat is held. */
  detachedCount = 0;
  /** Who is here: players by id, names, ids, the detached list and roster news. */
  private readonly roster: RoomRoster<I>;
  /** What the game's step reads: each player's applied input and rewind. */
  private readonly inputs: TickInputs<I>;
  /** Snapshot history, per-client baselines, interest and budget. */
  readonly replicator: Replicator;
  /** Seals each tick and sends the snapshots and GLOBALS. */
  private readonly snapshots: RoomSnapshots<S, I, P>;
  /** Takes INPUT messages into the players' input buffers. */
  private readonly intake: RoomInputs<S, I, P>;
  /** The room type's rewind cap, 1/16 ticks. */
  private readonly maxRewind16: number;
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

  private readonly nodeRoute: (() => string | undefined) | undefined;

  constructor(
    readonly id: string,
    readonly type: ResolvedRoomType<S, I, P>,
    options: RoomOptions = {},
  ) {
    const restore = options.restore;
    this.seed = restore ? restore.seed : type.seed ? type.seed() | 0 : (Math.random() * 0x7fffffff) | 0;
    this.state = restore ? (restore.state as S) : type.game.createState({ seed: this.seed, tickRate: type.tickRate });
    this.roster = new RoomRoster(this);
    this.players = this.roster.players;
    this.replicator = new Replicator(type.game.entitySchema, type.tickRate, type.sendRate, type.replication, this.stats);
    this.snapshots = new RoomSnapshots(this, this.replicator, this.roster, options.maxBufferedBytes ?? 64 * 1024);
    this.intake = new RoomInputs(this);
    this.nodeRoute = options.nodeRoute;
    // After a stall the room catches up every tick it owes, up to a second's worth, five a
    // call: its players' inputs are stamped for those ticks and wait in their buffers.
    this.loop = new FixedStepLoop({ stepMs: 1000 / type.tickRate, maxCatchUpSteps: 5, maxBacklogSteps: type.tickRate }, () => this.step());
    const roster = this.roster;
    this.inputs = {
      get: (playerId) => roster.get(playerId)?.current,
      rewindTicks: (playerId) => (roster.get(playerId)?.rewind16 ?? 0) / 16,
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
    if (this.roster.get(slot.id) !== undefined) throw new Error(`room ${this.id}: player ${slot.id} is seated twice`);
    slot.replica = this.replicator.createReplica();
    this.roster.restore(slot);
    if (!slot.connected) this.detachedCount++;
    this.roster.rebuildDetachedIds();
  }

  get tick(): number {
    return this.type.game.tickOf(this.state);
  }

  get isFull(): boolean {
    return this.players.length >= this.type.maxPlayers;
  }

  getPlayer(playerId: number): PlayerSlot<I> | undefined {
    return this.roster.get(playerId);
  }

  /** The next player id to try; travels with a moved room (see room-move.ts). */
  get nextPlayerId(): number {
    return this.roster.nextPlayerId;
  }

  set nextPlayerId(id: number) {
    this.roster.nextPlayerId = id;
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
    const id = this.roster.allocatePlayerId();
    // Two players never share a name in a room: a taken one becomes "name 2", "name 3"...
    const name = this.roster.takeName(requestedName);
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
    slot.replica.inOrder = client.inOrder === true;
    game.addPlayer(this.state, id, name);
    this.roster.add(slot);
    this.recorder?.join(this.tick, id, name);
    client.send(this.welcomeFor(slot, false));
    this.snapshots.sendGlobals(client);
    this.type.onJoin?.(this, slot);
    return slot;
  }

  /**
   * The player's link dropped: keep the seat, entity and score for the resume window. Inputs
   * already queued still play out; then the player's input goes neutral (or what the room
   * type's `onDetachedInput` writes). Everyone sees the player as detached in snapshots.
   */
  detach(slot: PlayerSlot<I>, code: number, now: number): void {
    if (!slot.connected || !this.roster.seats(slot)) return;
    slot.connected = false;
    slot.client = DETACHED_CLIENT;
    slot.detachedAt = now;
    slot.dropCode = code;
    slot.starvedStreak = 0;
    this.detachedCount++;
    this.stats.drops++;
    this.roster.rebuildDetachedIds();
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
      this.roster.rebuildDetachedIds();
    }
    this.stats.resumes++;
    this.holdFor?.delete(slot.id);
    // What went out on the old link may never have arrived.
    slot.replica.newLink(client.inOrder === true);
    client.send(this.welcomeFor(slot, true));
    this.snapshots.sendGlobals(client);
    // Sealed afresh: the detached list has just changed.
    this.snapshots.seal();
    this.snapshots.sendTo(slot);
    this.type.onResume?.(this, slot);
  }

  /** True when the player is in the room and its link is up. */
  isConnected(playerId: number): boolean {
    return this.roster.get(playerId)?.connected === true;
  }

  private welcomeFor(slot: PlayerSlot<I>, resumed: boolean): Uint8Array {
    return encodeWelcome(this, slot, resumed, this.roster.welcomePage(slot), this.nodeRoute?.());
  }

  /** Remove a player (its client is not closed here: the caller owns the connection). */
  leave(slot: PlayerSlot<I>): void {
    if (!this.roster.seats(slot)) return;
    this.roster.remove(slot);
    slot.replica.clear();
    if (!slot.connected) {
      this.detachedCount--;
      this.roster.rebuildDetachedIds();
    }
    if (this.disposed) return;
    this.type.onLeaving?.(this, slot);
    this.type.game.removePlayer(this.state, slot.id);
    this.recorder?.leave(this.tick, slot.id);
    this.roster.announceLeft(slot.id);
    this.type.onLeave?.(this, slot);
  }

  /**
   * Buffer the inputs of one INPUT message (reader just past the type byte), each for the tick
   * it is stamped with, and note how early the newest arrived: `now` is the arrival time on the
   * room's clock (default: the latest advance). Throws WireError on a malformed message; the
   * caller closes that client.
   */
  acceptInputs(slot: PlayerSlot<I>, reader: ByteReader, now = Number.NaN): void {
    this.intake.accept(slot, reader, now);
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
    this.roster.tellNews();
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
        slot.starvedTicks++;
        this.stats.inputsStarved++;
        // A late input repeats the last one (movement stays smooth through jitter); a player
        // silent for longer, such as a hidden browser tab, stops instead of walking on.
        if (++slot.starvedStreak === this.type.repeatInputTicks + 1) this.neutralize(slot);
      }
      this.recorder?.input(tick, slot.id, slot.current, slot.rewind16);
    }
    game.step(this.state, this.inputs);
    this.type.onTick?.(this);
    const stagger = this.replicator.staggerInterval;
    if (stagger > 1) {
      // Staggered sends: every tick, the players whose turn it is (id ≡ tick mod interval).
      this.snapshots.broadcast(stagger, this.tick % stagger);
      return;
    }
    this.sendAccumulator += sendRate;
    if (this.sendAccumulator >= tickRate) {
      this.sendAccumulator -= tickRate;
      this.snapshots.broadcast(1, 0);
    }
  }

  private neutralize(slot: PlayerSlot<I>): void {
    const input = this.type.game.input;
    if (input.neutralize) input.neutralize(slot.current);
    else input.copy(slot.neutral, slot.current);
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
}
