import { ByteWriter } from '../../../shared/binary/byte-writer';
import type { WelcomeMessage } from '../../../shared/protocol/control-messages';
import { MAX_INPUTS_PER_MESSAGE, writeInputHeader } from '../../../shared/protocol/input-message';
import { writeAck } from '../../../shared/protocol/ack-message';
import { ClientState } from '../client-state';
import type { WebSocketLike } from '../socket-like';
import type { ClientCore } from './client-core';

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
 * The way up: numbers each input by the tick it is for (the input clock), keeps the
 * unacknowledged ones in a ring for replay and resends, writes INPUT messages that repeat up to
 * `inputRedundancy` of them, sends a changed input twice on a lossy link, takes the server's
 * acknowledgements, and sends a standalone ACK when a snapshot came and no INPUT carried its ack.
 */
export class InputPipeline<S, I, P> {
  /** An INPUT (which carries the ack) went out since the last snapshot. */
  inputSinceSnapshot = false;
  // Unacknowledged inputs, a ring indexed by seq % pendingCapacity, sized at WELCOME.
  pendingInputs: I[] = [];
  pendingSentAt = new Float64Array(0);
  nextSeq = 1;
  ackedSeq = 0;
  /** The newest input sent, as encoded: a new one that differs is a change (see changedInputResendMs). */
  private readonly lastInputBytes: Uint8Array;
  /** The INPUT message to send again when the resend timer fires, and the link it was meant for. */
  private resendMessage: Uint8Array | null = null;
  private resendSocket: WebSocketLike | null = null;
  private resendTimer: unknown = undefined;
  /** Scratch for INPUT and ACK messages; each send hands the socket a copy. */
  private readonly writer = new ByteWriter(64);

  constructor(private readonly core: ClientCore<S, I, P>) {
    const options = core.options;
    const r = options.inputRedundancy ?? MAX_INPUTS_PER_MESSAGE;
    if (!(r >= 1 && r <= MAX_INPUTS_PER_MESSAGE)) throw new RangeError(`inputRedundancy must be 1-${MAX_INPUTS_PER_MESSAGE}, got ${r}`);
    const resendMs = options.changedInputResendMs ?? DEFAULT_CHANGED_INPUT_RESEND_MS;
    if (!(resendMs >= 0 && resendMs <= 1000)) throw new RangeError(`changedInputResendMs must be 0-1000, got ${resendMs}`);
    this.lastInputBytes = new Uint8Array(core.game.input.byteLength);
  }

  /** Size of the pending-input ring (0 before WELCOME). */
  get pendingCapacity(): number {
    return this.pendingSentAt.length;
  }

  /** Inputs sent but not yet applied by the server. */
  get pendingCount(): number {
    return this.nextSeq - 1 - this.ackedSeq;
  }

  /** When input `seq` was sent, ms; NaN if it was never sent or its slot has been reused. */
  inputSentAt(seq: number): number {
    if (seq <= 0 || seq >= this.nextSeq || this.nextSeq - seq > this.pendingCapacity) return Number.NaN;
    return this.pendingSentAt[seq % this.pendingCapacity];
  }

  /**
   * A first WELCOME: size the ring for its tick rate and number inputs from the tick the input
   * clock starts at. A seat taken back with an earlier client's token continues after the
   * ticks the server used for it.
   */
  start(w: WelcomeMessage): void {
    const capacity = Math.ceil(PENDING_SECONDS * w.tickRate);
    this.pendingInputs = Array.from({ length: capacity }, () => this.core.game.input.create());
    this.pendingSentAt = new Float64Array(capacity);
    const sync = this.core.sync!;
    this.nextSeq = Math.max(sync.nextTick, w.resumed ? w.lastSeq + 1 : 1);
    sync.nextTick = this.nextSeq;
    this.ackedSeq = this.nextSeq - 1;
  }

  /** Forget the room's inputs: the next WELCOME starts numbering afresh. */
  reset(): void {
    this.pendingInputs = [];
    this.pendingSentAt = new Float64Array(0);
    this.nextSeq = 1;
    this.ackedSeq = 0;
    this.inputSinceSnapshot = false;
  }

  /**
   * Send one tick's input and predict it locally. Returns its seq, the server tick it is
   * stamped for, or 0 if nothing was sent: not joined, or 4 s of inputs unacknowledged (counted
   * in `stats.inputsWithheld`).
   */
  sendInput(input: I): number {
    const core = this.core;
    const socket = core.socket;
    if (core.state !== ClientState.Open || !socket || socket.readyState !== 1) return 0;
    let seq = this.nextSeq;
    const cap = this.pendingCapacity;
    const sync = core.sync;
    const game = core.game;
    // The input clock jumped ahead (a stalled tab, a resume): the ticks between were used up by
    // the server repeating the last input, so the replay repeats it too.
    const skip = sync ? sync.nextTick - seq : 0;
    if (skip > 0) {
      if (skip >= cap) this.ackedSeq = sync!.nextTick - 1;
      else
        for (let s = seq; s < seq + skip; s++) {
          game.input.copy(this.pendingInputs[(s - 1) % cap], this.pendingInputs[s % cap]);
          this.pendingSentAt[s % cap] = Number.NaN;
        }
      core.stats.inputsSkipped += skip;
      seq = this.nextSeq = sync!.nextTick;
    }
    if (seq - 1 - this.ackedSeq >= cap) {
      core.stats.inputsWithheld++;
      return 0;
    }
    this.nextSeq = seq + 1;
    if (sync) sync.nextTick = this.nextSeq;
    const slot = seq % cap;
    game.input.copy(input, this.pendingInputs[slot]);
    this.pendingSentAt[slot] = core.clock.now();
    const redundancy = Math.min(core.options.inputRedundancy ?? MAX_INPUTS_PER_MESSAGE, seq - this.ackedSeq, MAX_INPUTS_PER_MESSAGE);
    const first = seq - redundancy + 1;
    this.writer.reset();
    writeInputHeader(this.writer, Math.max(0, core.receiver.latestTick), first, redundancy, core.sampler.viewLag16(seq));
    for (let s = first; s <= seq; s++) game.input.write(this.writer, this.pendingInputs[s % cap]);
    // Sockets may hold the buffer after send() returns, so hand over a copy, never the scratch.
    const message = this.writer.bytes().slice();
    socket.send(message);
    if (this.inputChanged(message) && socket.unreliable === true) this.resendLater(socket, message);
    core.stats.inputsSent++;
    this.inputSinceSnapshot = true;
    if (core.predicted !== undefined && core.setup) game.predictor!.step(core.predicted, input, core.setup);
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
    const ms = this.core.options.changedInputResendMs ?? DEFAULT_CHANGED_INPUT_RESEND_MS;
    if (ms <= 0) return;
    this.resendMessage = message;
    this.resendSocket = socket;
    if (this.resendTimer === undefined) this.resendTimer = this.core.timers.setTimeout(this.resendChanged, ms);
  }

  private readonly resendChanged = (): void => {
    const socket = this.resendSocket;
    const message = this.resendMessage;
    this.resendTimer = undefined;
    this.resendSocket = null;
    this.resendMessage = null;
    // Only on the link it was meant for: after a drop, the resume resends what is pending.
    if (!message || !socket || socket !== this.core.socket || socket.readyState !== 1) return;
    socket.send(message);
    this.core.stats.inputsResent++;
  };

  /**
   * Send every unacknowledged input again, oldest first, up to 8 per message. Their send time
   * is now: the outage is `resumed`'s downtime, not an input's round trip.
   */
  resendPending(): void {
    const core = this.core;
    const socket = core.socket;
    if (!socket || socket.readyState !== 1 || this.pendingCapacity === 0) return;
    const now = core.clock.now();
    for (let s = this.ackedSeq + 1; s < this.nextSeq; s++) this.pendingSentAt[s % this.pendingCapacity] = now;
    for (let first = this.ackedSeq + 1; first < this.nextSeq; first += MAX_INPUTS_PER_MESSAGE) {
      const count = Math.min(MAX_INPUTS_PER_MESSAGE, this.nextSeq - first);
      this.writer.reset();
      writeInputHeader(this.writer, Math.max(0, core.receiver.latestTick), first, count, core.sampler.viewLag16(first + count - 1));
      for (let s = first; s < first + count; s++) core.game.input.write(this.writer, this.pendingInputs[s % this.pendingCapacity]);
      socket.send(this.writer.bytes().slice());
    }
  }

  /** A standalone ACK of snapshot `tick`, for when no INPUT (which carries the ack) went out since the last. */
  sendAck(tick: number): void {
    const core = this.core;
    const socket = core.socket;
    if (!socket || socket.readyState !== 1 || core.state !== ClientState.Open) return;
    this.writer.reset();
    writeAck(this.writer, tick);
    socket.send(this.writer.bytes().slice());
    core.stats.acksSent++;
  }

  /**
   * The server has used every input tick up to `seq`. Past our newest input (our clock is
   * behind the server's), numbering skips ahead: those ticks are gone.
   */
  takeAck(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = seq;
    if (seq >= this.nextSeq) {
      // Ticks skipped: never sent, so never timed.
      const cap = this.pendingCapacity;
      for (let s = Math.max(this.nextSeq, seq + 1 - cap); s <= seq && cap > 0; s++) this.pendingSentAt[s % cap] = Number.NaN;
      this.nextSeq = seq + 1;
      const sync = this.core.sync;
      if (sync && sync.nextTick < this.nextSeq) sync.nextTick = this.nextSeq;
    }
  }
}
