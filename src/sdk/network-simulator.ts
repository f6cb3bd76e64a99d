import { nextU32, type RngState } from '../../shared/math/prng';
import { MessageType } from '../../shared/protocol/message-types';
import { monotonicClock, type Clock } from '../loop/clock';
import { realTimers, type Timers } from '../loop/timers';
import { SocketHandlers, type SocketFactory, type WebSocketLike } from './socket-like';

/** One direction of a simulated link. Every field defaults to 0 (a perfect link). */
export interface LinkConditions {
  /** Added one-way delay, ms. */
  latencyMs?: number;
  /** Each message's delay varies uniformly within ± this, ms (never below 0 in all). */
  jitterMs?: number;
  /** Share of messages lost, 0..1 (see {@link NetworkSimulatorOptions.ordered} for what a loss costs). */
  loss?: number;
  /** Share of messages delivered twice, 0..1 (unordered only: TCP never duplicates). */
  duplicate?: number;
  /**
   * Share of messages held back by an extra `jitterMs` to 2 × `latencyMs` so later ones overtake
   * them, 0..1 (unordered only).
   */
  reorder?: number;
}

export interface NetworkSimulatorOptions {
  /** Client → server. */
  up?: LinkConditions;
  /** Server → client. */
  down?: LinkConditions;
  /**
   * True (default): the link is a WebSocket over TCP. Nothing is ever lost, duplicated or
   * reordered; a lost packet is retransmitted one round trip later (fast retransmit), and
   * everything behind it waits (head-of-line blocking). False: an unreliable channel (WebRTC):
   * snapshots (down) and inputs and acks (up) are lost, duplicated and reordered as set; every
   * other message stays reliable and in order.
   */
  ordered?: boolean;
  /** Seed of the PRNG that draws every delay, loss and duplicate (default 1): runs repeat exactly. */
  seed?: number;
  /** Time source and timers (default the host's); tests pass a ManualScheduler for both. */
  clock?: Clock;
  timers?: Timers;
}

/** Counters per direction. */
export interface LinkCounters {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Losses a TCP link made up for by retransmitting (ordered only). */
  retransmitted: number;
}

/** Messages that an unreliable channel may lose: snapshots down, inputs and acks up. */
function isUnreliable(bytes: Uint8Array): boolean {
  const t = bytes[0];
  return t === MessageType.Snapshot || t === MessageType.Input || t === MessageType.Ack;
}

/**
 * A bad network between the SDK and the server, inside the client: latency, jitter, loss,
 * duplication, reordering and stalls, each direction on its own, from a seeded PRNG. It wraps
 * the client's socket factory, so the demo (sliders), the bots (`--latency --jitter --loss`)
 * and the tests (a ManualScheduler: exact and instant) all run the real client and server
 * through the same conditions.
 *
 * ```ts
 * const net = new NetworkSimulator({ up: { latencyMs: 75, jitterMs: 20 }, down: { latencyMs: 75, jitterMs: 20 } });
 * const client = new TickwireClient({ url, game, name, connect: net.wrap((url) => new WebSocket(url)) });
 * net.stall(500); // nothing gets through for half a second, then everything held arrives
 * ```
 */
export class NetworkSimulator {
  up: LinkConditions;
  down: LinkConditions;
  readonly ordered: boolean;
  readonly counters: { up: LinkCounters; down: LinkCounters } = { up: newCounters(), down: newCounters() };
  private readonly rng: RngState;
  private readonly clock: Clock;
  private readonly timers: Timers;
  /** Nothing is delivered before these times, ms (stalls), per direction. */
  private stalledUntil = { up: -Infinity, down: -Infinity };
  /** The current latency spike per direction. */
  private spikes = { up: { until: -Infinity, extraMs: 0 }, down: { until: -Infinity, extraMs: 0 } };

  constructor(options: NetworkSimulatorOptions = {}) {
    this.up = { ...options.up };
    this.down = { ...options.down };
    this.ordered = options.ordered ?? true;
    this.rng = { rng: (options.seed ?? 1) | 0 };
    this.clock = options.clock ?? monotonicClock;
    this.timers = options.timers ?? realTimers;
  }

  /** Change the conditions from now on (messages already in flight keep their times). */
  set(conditions: { up?: LinkConditions; down?: LinkConditions }): void {
    if (conditions.up) this.up = { ...conditions.up };
    if (conditions.down) this.down = { ...conditions.down };
  }

  /**
   * Let nothing through for `ms` (both ways, or one): messages in flight and sent meanwhile
   * arrive together, in order, when it ends, as after a route flap or a Wi-Fi hiccup.
   */
  stall(ms: number, direction: 'up' | 'down' | 'both' = 'both'): void {
    const until = this.clock.now() + ms;
    if (direction !== 'down') this.stalledUntil.up = Math.max(this.stalledUntil.up, until);
    if (direction !== 'up') this.stalledUntil.down = Math.max(this.stalledUntil.down, until);
  }

  /**
   * A latency spike: messages sent in the next `ms` take `extraMs` longer (both ways, or one),
   * as when a queue on the path fills (bufferbloat). On an ordered link the ones after it
   * cannot overtake them.
   */
  spike(ms: number, extraMs: number, direction: 'up' | 'down' | 'both' = 'both'): void {
    const spike = { until: this.clock.now() + ms, extraMs };
    if (direction !== 'down') this.spikes.up = spike;
    if (direction !== 'up') this.spikes.down = spike;
  }

  /** @internal When `dir` lets messages through again (a time in the past when not stalled). */
  stalledTill(dir: 'up' | 'down'): number {
    return this.stalledUntil[dir];
  }

  /** A socket factory whose sockets cross this simulated network. */
  wrap(factory: SocketFactory): SocketFactory {
    return (url) => new SimulatedSocket(factory(url), this);
  }

  /** A uniform number in [0, 1) from the seeded stream. */
  random(): number {
    return nextU32(this.rng) / 0x100000000;
  }

  /** @internal When a message sent now should arrive, or NaN if it is lost. */
  plan(dir: 'up' | 'down', bytes: Uint8Array | null, lane: Lane): number {
    const c = dir === 'up' ? this.up : this.down;
    const counters = this.counters[dir];
    const now = this.clock.now();
    const latency = c.latencyMs ?? 0;
    const jitter = c.jitterMs ?? 0;
    let delay = Math.max(0, latency + (jitter > 0 ? (this.random() * 2 - 1) * jitter : 0));
    if (now < this.spikes[dir].until) delay += this.spikes[dir].extraMs;
    const unreliable = bytes !== null && this.isLoose(bytes);
    if ((c.loss ?? 0) > 0 && bytes !== null && this.random() < c.loss!) {
      if (unreliable) {
        counters.lost++;
        return Number.NaN;
      }
      // TCP: the segment is sent again once the loss is noticed, about a round trip later.
      if (this.ordered) {
        delay += 2 * latency + jitter + 10;
        counters.retransmitted++;
      }
    }
    if (unreliable && (c.reorder ?? 0) > 0 && this.random() < c.reorder!) delay += jitter + this.random() * Math.max(jitter, 2 * latency);
    // A stall is applied at delivery (see SimulatedSocket.deliver), so what it holds comes out
    // in the order it was due.
    let at = now + delay;
    // In order: nothing overtakes what was sent before it on the same lane.
    if (!unreliable) at = Math.max(at, lane.lastAt);
    if (!unreliable) lane.lastAt = at;
    return at;
  }

  /** @internal Whether a message may be lost, duplicated and reordered (an unreliable channel's). */
  isLoose(bytes: Uint8Array): boolean {
    return !this.ordered && isUnreliable(bytes);
  }

  /** @internal Whether a message planned for delivery is delivered twice. */
  duplicates(dir: 'up' | 'down', bytes: Uint8Array): boolean {
    const c = dir === 'up' ? this.up : this.down;
    return !this.ordered && isUnreliable(bytes) && (c.duplicate ?? 0) > 0 && this.random() < c.duplicate!;
  }

  /** @internal */
  schedule(at: number, fn: () => void): void {
    this.timers.setTimeout(fn, Math.max(0, at - this.clock.now()));
  }

  /** @internal */
  now(): number {
    return this.clock.now();
  }
}

function newCounters(): LinkCounters {
  return { sent: 0, delivered: 0, lost: 0, duplicated: 0, retransmitted: 0 };
}

/**
 * One direction of one socket. What must arrive in order waits in a queue behind one timer, so
 * it comes out in order whatever the host's timers do (Node's setTimeout counts from a cached
 * loop time and whole milliseconds, so two timers due 0.3 ms apart can fire the wrong way
 * round); what may be reordered gets a timer of its own.
 */
class Lane {
  /** The latest arrival time planned in order so far, ms. */
  lastAt = -Infinity;
  private readonly queue: { at: number; fn: () => void }[] = [];
  private head = 0;
  private armed = false;

  constructor(
    private readonly net: NetworkSimulator,
    private readonly dir: 'up' | 'down',
  ) {}

  /** Run `fn` at `at` (or when a stall ends), after everything queued before it. */
  inOrder(at: number, fn: () => void): void {
    const now = this.net.now();
    // A perfect link with nothing queued ahead: at once, not a timer's turn later.
    if (!this.armed && this.head === this.queue.length && at <= now && now >= this.net.stalledTill(this.dir)) {
      fn();
      return;
    }
    this.queue.push({ at, fn });
    if (!this.armed) this.arm();
  }

  /** Run `fn` at `at`, or when a stall that covers that time ends: free to overtake or be overtaken. */
  loose(at: number, fn: () => void): void {
    const run = () => {
      const until = this.net.stalledTill(this.dir);
      if (this.net.now() < until) this.net.schedule(until, run);
      else fn();
    };
    if (at <= this.net.now()) run();
    else this.net.schedule(at, run);
  }

  private arm(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.armed = false;
      return;
    }
    this.armed = true;
    this.net.schedule(Math.max(this.queue[this.head].at, this.net.stalledTill(this.dir)), this.flush);
  }

  private readonly flush = (): void => {
    const now = this.net.now();
    // Up to a millisecond early is on time: host timers round, and a timer that fires a
    // fraction of a millisecond early must not spin.
    if (now >= this.net.stalledTill(this.dir)) {
      while (this.head < this.queue.length && this.queue[this.head].at <= now + 1) this.queue[this.head++].fn();
    }
    this.arm();
  };
}

/**
 * The client's view of a socket across the simulated network: it sees the real socket's events
 * late (down) and its sends reach the real socket late (up). Opening and closing take the
 * latency too, and a close never overtakes the messages sent before it.
 */
class SimulatedSocket extends SocketHandlers implements WebSocketLike {
  private readonly upLane: Lane;
  private readonly downLane: Lane;
  /** The state the client sees: it learns of an open or a close one way late. */
  private seenState = 0;
  /** The client closed or terminated: nothing more goes up or comes down. */
  private gone = false;

  constructor(
    private readonly inner: WebSocketLike,
    private readonly net: NetworkSimulator,
  ) {
    super();
    this.upLane = new Lane(net, 'up');
    this.downLane = new Lane(net, 'down');
    inner.binaryType = 'arraybuffer';
    inner.onopen = (ev) => {
      // The handshake's answer comes back one way late.
      this.downLane.inOrder(this.net.plan('down', null, this.downLane), () => {
        this.seenState = 1;
        this.onopen?.(ev);
      });
    };
    inner.onmessage = (ev) => {
      const bytes = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : (ev.data as Uint8Array);
      const counters = this.net.counters.down;
      counters.sent++;
      const at = this.net.plan('down', bytes, this.downLane);
      if (Number.isNaN(at)) return;
      const deliver = () => {
        counters.delivered++;
        this.onmessage?.({ data: bytes });
      };
      if (this.net.isLoose(bytes)) this.downLane.loose(at, deliver);
      else this.downLane.inOrder(at, deliver);
      if (this.net.duplicates('down', bytes)) {
        counters.duplicated++;
        this.downLane.loose(at + 1 + this.net.random() * 10, () => this.onmessage?.({ data: bytes }));
      }
    };
    inner.onclose = (ev) => {
      this.downLane.inOrder(this.net.plan('down', null, this.downLane), () => {
        this.seenState = 3;
        this.onclose?.({ code: ev.code, reason: ev.reason });
      });
    };
    inner.onerror = (ev) => this.onerror?.(ev);
  }

  get binaryType(): string {
    return 'arraybuffer';
  }
  set binaryType(_v: string) {
    // Always arraybuffer underneath; messages are handed on as the inner socket gives them.
  }

  /** What the client can know: open once the open has reached it, closed once the close has. */
  get readyState(): number {
    return this.gone ? 3 : this.seenState;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }

  /** An unordered simulated link loses inputs, as does an unreliable link underneath. */
  get unreliable(): boolean {
    return !this.net.ordered || this.inner.unreliable === true;
  }

  send(data: Uint8Array): void {
    if (this.gone) return;
    const counters = this.net.counters.up;
    counters.sent++;
    const at = this.net.plan('up', data, this.upLane);
    if (Number.isNaN(at)) return;
    const forward = () => {
      if (this.inner.readyState !== 1) return;
      counters.delivered++;
      this.inner.send(data);
    };
    if (this.net.isLoose(data)) this.upLane.loose(at, forward);
    else this.upLane.inOrder(at, forward);
    if (this.net.duplicates('up', data)) {
      counters.duplicated++;
      this.upLane.loose(at + 1 + this.net.random() * 10, forward);
    }
  }

  close(code?: number, reason?: string): void {
    if (this.gone) return;
    this.gone = true;
    // The close frame follows what was sent before it.
    this.upLane.inOrder(this.net.plan('up', null, this.upLane), () => this.inner.close(code, reason));
    this.deliverClose(code ?? 1005, reason ?? '');
  }

  terminate(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.inner.terminate) this.inner.terminate();
    else this.inner.close(4000, 'link killed');
    this.deliverClose(1006, '');
  }

  /** The client's own close: it hears of it at once, and nothing from the link after. */
  private deliverClose(code: number, reason: string): void {
    const onclose = this.onclose;
    this.onmessage = null;
    this.onclose = null;
    this.seenState = 3;
    this.net.schedule(this.net.now(), () => onclose?.({ code, reason }));
  }
}
