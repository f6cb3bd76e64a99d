import { arenaGame, ArenaKind, Button, PlayerField, type ArenaInput, type ArenaState, type Mover } from '../../../shared/games/arena';
import type { WelcomeMessage } from '../../../shared/protocol/control-messages';
import { nextInt, type RngState } from '../../../shared/math/prng';
import { matchmake, type MatchmakeTicket } from '../../../src/sdk/matchmake';
import { ClientState } from '../../../src/sdk/client-state';
import { TickwireClient, type WebSocketConstructor } from '../../../src/sdk/tickwire-client';
import { trustingFetch, trustingWebSocket, type TlsSessionCache } from '../../../test/support/haproxy';
import { DIR_AIM, DIR_BUTTONS } from '../../lib/directions';
import { nextKillGapMs } from '../../bots/kill-schedule';

/** One WELCOME as the player saw it, with its input counters just before it. */
export interface WelcomeSeen {
  at: number;
  playerId: number;
  roomId: string;
  node: string | undefined;
  resumed: boolean;
  /** Newest input seq sent, and acknowledged, on the seat before this WELCOME. */
  sentBefore: number;
  ackedBefore: number;
  /** When the first snapshot after this WELCOME came (NaN until then). */
  firstSnapshotAt: number;
}

/** Where a resume's time went, ms: the SDK's backoff wait, then the reconnect (TLS, proxy, JOIN) to WELCOME, then the first snapshot. */
export interface ResumeParts {
  backoffMs: number;
  welcomeMs: number;
  snapshotMs: number;
}

/** Where the rig reaches the cluster. */
export interface RigFront {
  base: string;
  wsUrl: string;
  ca: string;
}

export interface RigPlayerOptions {
  /** Decode entities, to read this player's own score (the arena's scoreboard field). */
  decode: boolean;
  /** Hold Fire while walking (aimed where it walks), so scores move. */
  fire: boolean;
  /** Link kills per minute (Poisson), started by {@link RigPlayer.startKills}. */
  dropRate: number;
  /**
   * Resume TLS sessions: each new wss:// connection offers the ticket the proxy gave the last
   * one, as a browser does (default false: a full handshake every time, as ws does by itself).
   */
  tlsResume?: boolean;
}

/** Every player's resume times and outcomes, shared (no arrays per player). */
export interface DropSink {
  /**
   * A kill came back: ms from the kill to the first snapshot after the resumed WELCOME, whether
   * onto the seat it held, and the SDK's reconnect attempts it took.
   */
  resumed(ms: number, rightSeat: boolean, attempts: number, parts: ResumeParts): void;
  /** A kill did not come back onto its seat (a new seat, or closed). */
  lost(why: string): void;
}

/**
 * A headless arena player for the deploy rig: the client SDK over `wss://` through the proxy
 * from its own loopback address (so each player is its own address to the nodes' limits), with
 * the SDK's defaults (pings every second, 4 s liveness, resume, follow a drain or a dead node).
 * It records what the aims need: every WELCOME, the longest snapshot gap and any tick going
 * backwards since {@link markWatch}, its score, and the inputs sent and acknowledged.
 */
export class RigPlayer {
  client!: TickwireClient<ArenaState, ArenaInput, Mover>;
  ticket: MatchmakeTicket | undefined;
  readonly welcomes: WelcomeSeen[] = [];
  closed: { code: number; reason: string } | undefined;
  /** Newest input seq sent on the current seat, and newest acknowledged. */
  sentSeq = 0;
  ackedSeq = 0;
  /** This player's score in the newest snapshot (when decoding). */
  score = 0;
  lastSnapAt = Number.NaN;
  lastTick = -1;
  snapshots = 0;
  /** Since {@link markWatch}: the longest gap between snapshots, ms, and ticks seen going backwards. */
  maxGapMs = 0;
  ticksBackwards = 0;
  /** Drops the player did not cause (liveness timeouts, a node that died). */
  unplannedDrops = 0;
  readonly moves: string[] = [];
  /** The node the SDK last moved this player to (its `moved` event). */
  movedTo: string | undefined;
  /** When the SDK last said `moving` (performance.now), and how long its last move took, ms. */
  movingAt = Number.NaN;
  movedMs = Number.NaN;
  /** The last snapshot before the newest `moving` (performance.now): where a move's gap starts. */
  lastSnapBeforeMove = Number.NaN;
  /** Reconnect attempts of the newest resume (the SDK's `resumed` event), its backoff waits and drop → WELCOME. */
  private resumeAttempts = 0;
  private backoffMs = 0;
  private downtimeMs = 0;
  private readonly input: ArenaInput = { buttons: 0, aim: 0 };
  private readonly rng: RngState;
  private dir = 0;
  private holdTicks = 0;
  private nextKillAt = Number.POSITIVE_INFINITY;
  private killedAt = Number.NaN;
  private killedSeat = '';
  private awaitingSnapshot = false;
  private sink: DropSink | undefined;
  private readonly tlsSessions: TlsSessionCache = {};

  constructor(
    readonly index: number,
    /** The loopback address this player connects from, e.g. 127.1.0.7. */
    readonly address: string,
    private readonly front: RigFront,
    private readonly o: RigPlayerOptions,
  ) {
    this.rng = { rng: Math.imul(index + 1, 0x9e3779b9) | 0 };
  }

  /** Matchmake through the proxy (or, with `node`, join that node directly) and play. */
  async join(node?: string): Promise<WelcomeMessage> {
    const fetchImpl = trustingFetch(this.front.ca, this.address);
    let url = node ? `${this.front.wsUrl}?node=${node}` : '';
    if (!node) {
      this.ticket = await matchmake(this.front.base, 'arena', { fetch: fetchImpl });
      url = this.ticket.url;
    }
    this.client = new TickwireClient({
      url,
      reservation: this.ticket?.reservation,
      game: arenaGame,
      name: `rig-${this.index + 1}`,
      WebSocket: trustingWebSocket(this.front.ca, this.address, this.o.tlsResume ? this.tlsSessions : undefined) as WebSocketConstructor,
      decodeEntities: this.o.decode,
      // Follow a drain or a dead node through the proxy, whether joined by ticket or directly.
      matchmake: { base: this.front.base, fetch: fetchImpl },
    });
    this.listen();
    return this.client.connect();
  }

  /** Start the gap and tick watch now (the longest gap counts from the last snapshot before). */
  markWatch(): void {
    this.maxGapMs = 0;
    this.ticksBackwards = 0;
  }

  /** Kill the link at random (`dropRate` a minute), reporting each resume to `sink`. */
  startKills(sink: DropSink, now: number): void {
    this.sink = sink;
    if (this.o.dropRate > 0) this.nextKillAt = now + nextKillGapMs(this.rng, this.o.dropRate);
  }

  stopKills(): void {
    this.nextKillAt = Number.POSITIVE_INFINITY;
  }

  /** True while a kill waits for its resume. */
  get recovering(): boolean {
    return !Number.isNaN(this.killedAt);
  }

  /** A wake-up: maybe kill the link, else walk (and fire) and send the inputs due. */
  tick(now: number): void {
    const c = this.client;
    if (c.state !== ClientState.Open) return;
    if (now >= this.nextKillAt) {
      this.nextKillAt = Number.POSITIVE_INFINITY;
      this.killedAt = now;
      this.killedSeat = c.welcome?.roomId ?? '';
      c.killLink();
      return;
    }
    // Paced by the SDK's input clock, so each input reaches the server just before its tick
    // however late this process wakes (at most 3 at once; older ones are skipped).
    for (let due = c.inputsDue(now, 3); due > 0; due--) {
      if (--this.holdTicks <= 0) {
        this.dir = nextInt(this.rng, 8);
        this.holdTicks = 15 + nextInt(this.rng, 75);
      }
      this.input.buttons = DIR_BUTTONS[this.dir]! | (this.o.fire ? Button.Fire : 0);
      this.input.aim = DIR_AIM[this.dir]!;
      const seq = c.sendInput(this.input);
      if (seq > 0) this.sentSeq = seq;
    }
  }

  close(): void {
    this.client?.close(1000, 'rig done');
  }

  private listen(): void {
    const c = this.client;
    c.on('welcome', (w) => {
      this.welcomes.push({
        at: performance.now(),
        playerId: w.playerId,
        roomId: w.roomId,
        node: w.node,
        resumed: w.resumed === true,
        sentBefore: this.sentSeq,
        ackedBefore: this.ackedSeq,
        firstSnapshotAt: Number.NaN,
      });
      if (w.resumed !== true) {
        // A new seat: its input seqs are its own.
        this.sentSeq = 0;
        this.ackedSeq = 0;
      }
      if (!Number.isNaN(this.killedAt)) {
        if (w.resumed === true && w.roomId === this.killedSeat) this.awaitingSnapshot = true;
        else this.endKill(`a new seat (${w.resumed === true ? 'resumed elsewhere' : 'joined afresh'})`);
      }
    });
    c.on('snapshot', (tick, ack) => this.onSnapshot(tick, ack));
    c.on('drop', () => {
      if (Number.isNaN(this.killedAt)) this.unplannedDrops++;
    });
    c.on('moving', (e) => {
      this.movingAt = performance.now();
      this.lastSnapBeforeMove = this.lastSnapAt;
      this.moves.push(`moving ${e.cause}`);
    });
    c.on('reconnecting', (e) => (this.backoffMs += e.delayMs));
    c.on('resumed', (e) => {
      this.resumeAttempts = e.attempts;
      this.downtimeMs = e.downtimeMs;
    });
    c.on('moved', (e) => {
      this.movedTo = e.to.node;
      this.movedMs = e.ms;
      this.moves.push(`moved ${e.cause} ${e.from.node}→${e.to.node} ${Math.round(e.ms)} ms`);
    });
    c.on('moveFailed', (e) => this.moves.push(`moveFailed ${e.reason}`));
    c.on('close', (e) => {
      this.closed = e;
      if (!Number.isNaN(this.killedAt)) this.endKill(`closed ${e.code} ${e.reason}`);
    });
  }

  private endKill(why: string): void {
    this.killedAt = Number.NaN;
    this.awaitingSnapshot = false;
    this.sink?.lost(why);
  }

  private onSnapshot(tick: number, ack: number): void {
    const now = performance.now();
    this.snapshots++;
    if (!Number.isNaN(this.lastSnapAt) && now - this.lastSnapAt > this.maxGapMs) this.maxGapMs = now - this.lastSnapAt;
    this.lastSnapAt = now;
    if (tick < this.lastTick) this.ticksBackwards++;
    this.lastTick = tick;
    if (ack > this.ackedSeq) this.ackedSeq = ack;
    if (this.o.decode) this.readScore();
    const w = this.welcomes[this.welcomes.length - 1];
    if (w && Number.isNaN(w.firstSnapshotAt)) w.firstSnapshotAt = now;
    if (this.awaitingSnapshot) {
      const ms = now - this.killedAt;
      this.awaitingSnapshot = false;
      this.killedAt = Number.NaN;
      this.sink?.resumed(
        ms,
        w!.roomId === this.killedSeat && (this.ticket === undefined || w!.node === undefined || w!.node === this.ticket.nodeId),
        this.resumeAttempts,
        { backoffMs: this.backoffMs, welcomeMs: this.downtimeMs - this.backoffMs, snapshotMs: now - (w?.at ?? now) },
      );
      this.backoffMs = 0;
      if (this.o.dropRate > 0 && this.sink) this.nextKillAt = now + nextKillGapMs(this.rng, this.o.dropRate);
    }
  }

  private readScore(): void {
    const t = this.client.latest;
    const me = this.client.playerId;
    for (let r = 0; r < t.count; r++)
      if (t.kinds[r] === ArenaKind.Player && t.ids[r] === me) {
        this.score = t.get(r, PlayerField.Score);
        return;
      }
  }
}

/** The loopback address of player `i`: 127.1.x.y, one per player (Linux routes all of 127/8 to lo). */
export function playerAddress(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/**
 * Bring `count` players in, `parallel` at a time; a refused matchmake (429, 503: a node's limit
 * while the others catch up) is tried again up to 5 times. Resolves with the players that joined.
 */
export async function joinCrowd(
  count: number,
  make: (i: number) => RigPlayer,
  node: string | undefined,
  parallel = 10,
  firstIndex = 0,
): Promise<{ players: RigPlayer[]; failures: string[] }> {
  const players: RigPlayer[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = firstIndex + next++;
      let why = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        const p = make(i);
        try {
          await p.join(node);
          players.push(p);
          why = '';
          break;
        } catch (err) {
          why = (err as Error).message;
          p.close();
          await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
        }
      }
      if (why) failures.push(why);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { players, failures };
}

/** Wake every player 60 times a second (inputs go at the tick rate) until the returned stop is called. */
export function drive(players: () => readonly RigPlayer[]): () => void {
  const timer = setInterval(() => {
    const now = performance.now();
    for (const p of players()) p.tick(now);
  }, 1000 / 60);
  return () => clearInterval(timer);
}
