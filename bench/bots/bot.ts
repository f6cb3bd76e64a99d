import * as wrtc from 'node-datachannel/polyfill';
import type { WelcomeMessage } from '../../shared/protocol/control-messages';
import { describeClose } from '../../shared/protocol/close-codes';
import {
  arenaGame,
  ArenaKind,
  Button,
  PlayerField,
  PlayerFlag,
  UNITS_PER_PX,
  type ArenaInput,
  type ArenaState,
  type Mover,
} from '../../shared/games/arena';
import { radiansToAngle16 } from '../../shared/math/fixed-trig';
import { nextInt, type RngState } from '../../shared/math/prng';
import { DIR_AIM, DIR_BUTTONS } from '../lib/directions';
import { TickwireClient, type ClientStats } from '../../src/sdk/tickwire-client';
import { BotSocketCtor } from './bot-socket';
import { matchmake } from '../../src/sdk/matchmake';
import { NetworkSimulator, type LinkConditions } from '../../src/sdk/network-simulator';
import type { InterpolatedView } from '../../src/sdk/snapshot-buffer';
import { ClientState } from '../../src/sdk/client-state';
import { nextKillGapMs } from './kill-schedule';
import type { Behavior } from './options';

/** Node's RTCPeerConnection for `--transport webrtc`: prebuilt binaries, nothing to compile. */
const WRTC = {
  RTCPeerConnection: wrtc.RTCPeerConnection,
  RTCSessionDescription: wrtc.RTCSessionDescription,
  RTCIceCandidate: wrtc.RTCIceCandidate,
};

/** Where a bot is in its life. */
export const BotPhase = { Idle: 0, Joining: 1, Joined: 2, Failed: 3, Closed: 4 } as const;
export type BotPhase = (typeof BotPhase)[keyof typeof BotPhase];

/** Shortest and longest time a walker holds one direction, s. */
const HOLD_MIN_S = 0.5;
const HOLD_MAX_S = 3;

/**
 * A fighter fires only at enemies this close, world units. A shot flies 720 px in its 1 s life;
 * 600 px leaves margin for the target moving away.
 */
const FIRE_RANGE = 600 * UNITS_PER_PX;
const FIRE_RANGE_SQ = FIRE_RANGE * FIRE_RANGE;
/** How often each bot measures the network round trip with a PING, ms. */
const PING_INTERVAL_MS = 2000;

/** Receives measurements from every bot; one shared instance, so bots hold no sample arrays. */
export interface BotSink {
  /** An input→acknowledgement round trip, ms: reported once per newly acknowledged input seq. */
  rtt(ms: number): void;
  /** A PING→PONG round trip, ms: the network and both event loops, with no wait for a tick. */
  ping(ms: number): void;
  /** The bot's socket closed for good (after joining, or while joining). */
  closed(bot: Bot, code: number, reason: string): void;
  /**
   * A dropped link came back: ms from the kill (or, for a drop the bot did not cause, from the
   * drop) to the first snapshot after the resumed WELCOME.
   */
  resumed(ms: number): void;
  /** A killed link could not be resumed: the close code and reason. */
  resumeFailed(reason: string): void;
}

/**
 * One headless player: a {@link TickwireClient} plus a behaviour. It owns no timer; the shared
 * driver calls {@link tick} once per simulation tick for every joined bot.
 *
 * - `walk`: hold one of 8 directions for a random 0.5-3 s, then pick another; aim along movement.
 *   Entities are not decoded (`decodeEntities: false`): only the snapshot header (tick, ack) is read,
 *   and the tick is acknowledged as if decoded, so the server sends the deltas a real client gets.
 * - `fight`: walk, and aim at the nearest live enemy in the newest snapshot, firing while it is
 *   within {@link FIRE_RANGE}. Entities are decoded, so the SDK also predicts and reconciles.
 */
export class Bot {
  client: TickwireClient<ArenaState, ArenaInput, Mover>;
  /** The node the ticket named (`--matchmake`), or undefined. */
  nodeId: string | undefined;
  phase: BotPhase = BotPhase.Idle;
  welcome: WelcomeMessage | undefined;
  /** Why the join failed, e.g. `4004 every room is full` or `join timeout`. */
  failure: string | undefined;
  /** The client's counters when the measuring window opened, and over the window once it closed. */
  windowStats: ClientStats | undefined;
  private statsAtStart: ClientStats | undefined;
  /** What {@link frame} draws into. */
  private view: InterpolatedView | undefined;
  /** Snapshots, payload bytes and inputs counted inside the measuring window (see {@link markWindowStart}). */
  windowSnapshots = 0;
  windowBytes = 0;
  windowInputs = 0;
  /** Ticks on which this bot held Fire (fight bots), to show the fighting really happens. */
  fireTicks = 0;
  /** Local time the bot joined, ms (performance.now). */
  joinedAtMs = 0;
  /** Links killed by --drop-rate. */
  kills = 0;
  /**
   * Links that dropped without a kill (e.g. the server's heartbeat gave up on a busy bot): on
   * loopback this should stay 0, so a non-zero count is itself a finding.
   */
  unplannedDrops = 0;
  /** Drops (kills and unplanned) that resumed, and that failed to. */
  resumes = 0;
  resumeFailures = 0;
  /** The bot was no longer in its room when the measuring window closed (lost, not just down). */
  lostInWindow = false;
  /** Time the link was down inside the measuring window, ms: excused from the snapshot-rate check. */
  windowDownMs = 0;
  private inWindow = false;
  /** When the measuring window opened, ms (performance.now): downtime before it is not the window's. */
  private windowStartAt = 0;
  private nextKillAt = Number.POSITIVE_INFINITY;
  /** When the current outage began, ms (performance.now); NaN while the link is up. */
  private killedAt = Number.NaN;
  /**
   * Inputs sent at or before this time (ms, performance.now) are not timed for input→ack RTT:
   * the start of the last outage. An input in flight at a kill is acknowledged only after the
   * resume, and its "RTT" would be the outage, which resume time already reports.
   */
  private rttFromMs = Number.NEGATIVE_INFINITY;
  /** Set by `resumed`: the next snapshot ends the outage. */
  private awaitingSnapshot = false;
  private readonly killRng: RngState;
  private killsStopped = false;
  private readonly input: ArenaInput = { buttons: 0, aim: 0 };
  private readonly rng: RngState;
  private dir = 0;
  private holdTicks = 0;
  private lastAcked = 0;
  private targetTick = -1;
  private targetAim = 0;
  private targetInRange = false;

  constructor(
    readonly index: number,
    url: string,
    roomType: string,
    readonly behavior: Behavior,
    seed: number,
    private readonly sink: BotSink,
    /** Abrupt link kills per minute (0: never). */
    private readonly dropRate = 0,
    /** Conditions of the simulated network each way (null: none). */
    network: LinkConditions | null = null,
    /** Frames drawn a second (0: none, entities not decoded unless fighting). */
    fps = 0,
    /** How the bot reaches the server. */
    transport: 'ws' | 'webrtc' = 'ws',
  ) {
    // Distinct, repeatable streams per bot: the golden-ratio step spreads neighbouring seeds.
    this.rng = { rng: (seed + Math.imul(index + 1, 0x9e3779b9)) | 0 };
    this.killRng = { rng: (seed ^ Math.imul(index + 1, 0x85ebca6b)) | 0 };
    this.makeClient = (url: string, reservation?: string) =>
      new TickwireClient({
        url,
        reservation,
        game: arenaGame,
        name: `bot-${index + 1}`,
        roomType,
        WebSocket: BotSocketCtor,
        transport,
        webrtc: { wrtc: WRTC },
        // The simulated network sits on whichever transport: TCP-like over WebSocket, an
        // unreliable channel (loss drops, reorders) over WebRTC.
        network: network
          ? new NetworkSimulator({
              up: network,
              down: network,
              ordered: transport === 'ws',
              seed: (seed ^ Math.imul(index + 1, 0x27d4eb2f)) | 0,
            })
          : undefined,
        decodeEntities: behavior === 'fight' || fps > 0,
        // The light path: a bot that does not draw (no --fps) runs no playback clock, whose
        // per-snapshot sort of arrival times was the largest cost of a walking bot.
        playback: fps > 0,
        // A ping every 2 s gives the network round trip beside the input→ack one, which also
        // holds the wait for the server's next tick (0-1 tick) and any queued input.
        pingIntervalMs: PING_INTERVAL_MS,
      });
    this.client = this.makeClient(url);
    this.listen();
  }

  private readonly makeClient: (url: string, reservation?: string) => TickwireClient<ArenaState, ArenaInput, Mover>;

  /** Get a seat through matchmaking at `httpBase` and connect where it is (replaces the client). */
  private async matchmakeClient(httpBase: string, roomType: string): Promise<void> {
    const ticket = await matchmake(httpBase, roomType);
    this.nodeId = ticket.nodeId;
    this.client = this.makeClient(ticket.url, ticket.reservation);
    this.listen();
  }

  private listen(): void {
    this.client.on('pong', (ms) => this.sink.ping(ms));
    // One listener per bot, made once: nothing is allocated per snapshot.
    this.client.on('snapshot', () => this.onSnapshot());
    this.client.on('close', (e) => this.onClose(e.code, e.reason));
    this.client.on('drop', () => this.onDrop());
    this.client.on('resumed', () => (this.awaitingSnapshot = true));
    this.client.on('resumeFailed', (e) => {
      this.resumeFailures++;
      this.sink.resumeFailed(describeClose(e.code, e.reason));
    });
  }

  /**
   * Connect and join; resolves true once welcomed, false on failure (recorded in `failure`).
   * A bot not welcomed within `timeoutMs` is closed and counts as failed.
   */
  async join(timeoutMs: number, matchmakeAt?: { httpBase: string; roomType: string }): Promise<boolean> {
    this.phase = BotPhase.Joining;
    if (matchmakeAt) {
      try {
        await this.matchmakeClient(matchmakeAt.httpBase, matchmakeAt.roomType);
      } catch (err) {
        this.fail((err as Error).message);
        return false;
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([this.client.connect(), timeout]);
      if (result === 'timeout') {
        this.fail(`join timeout (${timeoutMs} ms)`);
        this.client.close(1000, 'bot join timeout');
        return false;
      }
      this.welcome = result;
      this.phase = BotPhase.Joined;
      this.joinedAtMs = performance.now();
      this.nextKillAt = this.joinedAtMs + nextKillGapMs(this.killRng, this.dropRate);
      return true;
    } catch (err) {
      const e = err as Error & { code?: number; reason?: string };
      const why = e.code !== undefined ? describeClose(e.code, e.reason ?? '') : e.message;
      // The server's front door refuses a flood from one address before the handshake.
      this.fail(
        /\b429\b/.test(why)
          ? `${why} (the server's per-address limit: start it with --per-ip-limits off for a load test from one machine)`
          : why,
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The measuring window opens: remember the counters (as negatives, see {@link markWindowEnd}). */
  markWindowStart(): void {
    this.inWindow = true;
    this.windowStartAt = performance.now();
    this.windowDownMs = 0;
    const s = this.client.stats;
    this.statsAtStart = { ...s };
    this.windowSnapshots = -s.snapshots;
    this.windowBytes = -s.bytesReceived;
    this.windowInputs = -s.inputsSent;
  }

  /** The window closes: the window fields become the counts inside it. */
  markWindowEnd(): void {
    this.inWindow = false;
    this.lostInWindow = this.phase !== BotPhase.Joined;
    // Still down at the close of the window: that time counts as down too. (A resume that
    // failed leaves killedAt set, but a lost bot is judged by lostInWindow, not its rate.)
    if (!Number.isNaN(this.killedAt)) this.windowDownMs += performance.now() - Math.max(this.killedAt, this.windowStartAt);
    const s = this.client.stats;
    const start = this.statsAtStart!;
    const diff = { ...s };
    for (const k of Object.keys(diff) as (keyof ClientStats)[])
      if (k !== 'correctionMax' && k !== 'lastInputRttMs' && k !== 'lastPingMs') diff[k] -= start[k];
    this.windowStats = diff;
    this.windowSnapshots += s.snapshots;
    this.windowBytes += s.bytesReceived;
    this.windowInputs += s.inputsSent;
  }

  /**
   * One simulation tick: maybe kill the link (--drop-rate), else pick this tick's input and
   * send it. `now` is the driver's clock, ms (performance.now). Allocates nothing.
   */
  tick(tickRate: number, now: number): void {
    if (now >= this.nextKillAt && this.client.state === ClientState.Open) {
      this.kill(now);
      return;
    }
    if (this.client.state !== ClientState.Open) return;
    if (--this.holdTicks <= 0) {
      this.dir = nextInt(this.rng, 8);
      const min = Math.ceil(HOLD_MIN_S * tickRate);
      this.holdTicks = min + nextInt(this.rng, Math.floor(HOLD_MAX_S * tickRate) - min + 1);
    }
    const input = this.input;
    input.buttons = DIR_BUTTONS[this.dir];
    input.aim = DIR_AIM[this.dir];
    if (this.behavior === 'fight') this.aimAndFire(input);
    this.client.sendInput(input);
  }

  /** Draw a frame (--fps): sample the others with the SDK's playback clock, counting smoothness. */
  frame(now: number): void {
    if (this.client.state !== ClientState.Open) return;
    this.client.sampleRemote(now, (this.view ??= this.client.createView()));
  }

  /** Leave normally. */
  close(): void {
    if (this.phase === BotPhase.Joined || this.phase === BotPhase.Joining) this.client.close(1000, 'bots done');
  }

  /** No more kills from now on (a run winding down lets the last resumes finish). */
  stopKilling(): void {
    this.killsStopped = true;
    this.nextKillAt = Number.POSITIVE_INFINITY;
  }

  /** Cut the link as a dead network would; the SDK resumes the seat. */
  private kill(now: number): void {
    this.kills++;
    this.killedAt = now;
    this.nextKillAt = Number.POSITIVE_INFINITY; // drawn again once resumed
    this.client.killLink();
  }

  /**
   * The SDK saw the link drop. A kill already stamped the outage; any other drop (the SDK's
   * liveness timeout, the server's heartbeat) starts one here, so its resume is timed too
   * and no kill is drawn while it lasts.
   */
  private onDrop(): void {
    if (!Number.isNaN(this.killedAt)) return;
    this.unplannedDrops++;
    this.killedAt = performance.now();
    this.nextKillAt = Number.POSITIVE_INFINITY;
  }

  private aimAndFire(input: ArenaInput): void {
    const client = this.client;
    // Retarget once per new snapshot, not once per tick: the entities only change then.
    if (client.latestTick !== this.targetTick) {
      this.targetTick = client.latestTick;
      this.retarget();
    }
    if (this.targetInRange) {
      input.aim = this.targetAim;
      input.buttons |= Button.Fire;
      this.fireTicks++;
    }
  }

  /** Aim at the nearest live, unshielded enemy in the newest snapshot, if one is within range. */
  private retarget(): void {
    this.targetInRange = false;
    const me = this.client.predicted;
    if (me === undefined || !me.alive) return;
    const t = this.client.latest;
    const myId = this.client.playerId;
    let best = Infinity;
    let bestX = 0;
    let bestY = 0;
    for (let r = 0; r < t.count; r++) {
      if (t.kinds[r] !== ArenaKind.Player || t.ids[r] === myId) continue;
      const flags = t.get(r, PlayerField.Flags);
      if ((flags & PlayerFlag.Alive) === 0) continue;
      const dx = t.get(r, PlayerField.X) - me.x;
      const dy = t.get(r, PlayerField.Y) - me.y;
      // Shielded players cannot be hit: push them out of range, so nobody wastes shots on them.
      const d = dx * dx + dy * dy + ((flags & PlayerFlag.Shielded) !== 0 ? 1e12 : 0);
      if (d < best) {
        best = d;
        bestX = dx;
        bestY = dy;
      }
    }
    if (best > FIRE_RANGE_SQ) return;
    this.targetAim = radiansToAngle16(Math.atan2(bestY, bestX));
    this.targetInRange = true;
  }

  private onSnapshot(): void {
    if (this.awaitingSnapshot) {
      // The outage ends with the first snapshot after the resumed WELCOME.
      this.awaitingSnapshot = false;
      const now = performance.now();
      const downMs = now - this.killedAt;
      this.resumes++;
      this.sink.resumed(downMs);
      this.rttFromMs = this.killedAt;
      if (this.inWindow) this.windowDownMs += now - Math.max(this.killedAt, this.windowStartAt);
      this.killedAt = Number.NaN;
      if (!this.killsStopped) this.nextKillAt = now + nextKillGapMs(this.killRng, this.dropRate);
    }
    const acked = this.client.lastAckedSeq;
    if (acked === this.lastAcked) return;
    // Time every input this snapshot acknowledges, not only the newest: at a send rate below
    // the tick rate the older ones waited longest, and sampling the newest alone hides that.
    const now = performance.now(); // the SDK's default clock
    for (let seq = this.lastAcked + 1; seq <= acked; seq++) {
      const sentAt = this.client.inputSentAt(seq);
      if (sentAt > this.rttFromMs) this.sink.rtt(now - sentAt); // false for NaN too
    }
    this.lastAcked = acked;
  }

  private onClose(code: number, reason: string): void {
    if (this.phase === BotPhase.Joined) this.phase = BotPhase.Closed;
    this.sink.closed(this, code, reason);
  }

  private fail(reason: string): void {
    this.phase = BotPhase.Failed;
    this.failure = reason;
  }
}
