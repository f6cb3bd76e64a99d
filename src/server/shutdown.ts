import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl, type NoticeMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { TokenVerifier } from '../auth/token-verifier';
import type { ChatService } from '../chat/chat-service';
import type { ClusterBus } from '../cluster/cluster-bus';
import type { NodePresence } from '../cluster/node-presence';
import type { NodeRpc } from '../cluster/node-rpc';
import type { RoomMover } from '../cluster/room-mover';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import type { NotificationService } from '../notifications/notification-service';
import type { TickwireData } from '../persistence/tickwire-data';
import type { Room } from '../rooms/room';
import type { RoomManager } from '../rooms/room-manager';
import type { Session } from '../session/session';
import type { WebRtcGatewayLike } from '../transport/webrtc/webrtc-options';
import { CLOSE_GRACE_MS } from './session-timeouts';

/** What the shutdown reads of the server. */
export interface ShutdownHost {
  readonly log: Logger;
  readonly clock: Clock;
  /** Every open session: told of the drain, then closed 1001. */
  readonly sessions: ReadonlySet<Session>;
  readonly rooms: RoomManager;
  /** This node in the cluster: told at once that it drains. */
  readonly cluster: NodePresence | undefined;
  /** Offers the live rooms to other nodes before the players are told. */
  readonly mover: RoomMover | undefined;
}

/** How long each phase may take, and the server's own steps. */
export interface ShutdownSteps {
  /** How long clients are given to leave after the shutdown notice, ms (0: no notice, no wait). */
  drainMs: number;
  /** How long a link may take over its close handshake, ms (plus {@link CLOSE_GRACE_MS}). */
  closeTimeoutMs: number;
  /** Stop the tick driver: the rooms are disposed next. */
  stopTicking(): void;
  /** Let go of everything the server holds (see {@link releaseServer}), once every link is gone. */
  release(): Promise<void>;
}

/**
 * The server's drain and shutdown, in that order (see `TickwireServer.close`). Started once;
 * `pump` ends the drain on the server's clock through {@link checkDrain}, and the last closed
 * session ends the wait for the links through {@link sessionGone}.
 */
export class Shutdown {
  private promise: Promise<void> | undefined;
  private draining_ = false;
  /** Set while draining: when the drain ends (ms on the clock) and how to end it. */
  private drainDeadline = Number.NaN;
  private endDrain: (() => void) | undefined;
  /** Set while waiting for the links to close: called when the last one has. */
  private drained: (() => void) | undefined;

  constructor(
    private readonly host: ShutdownHost,
    private readonly steps: ShutdownSteps,
  ) {}

  /** True from the start: new connections and joins are refused. */
  get draining(): boolean {
    return this.draining_;
  }

  /** True once {@link run} has been called. */
  get started(): boolean {
    return this.promise !== undefined;
  }

  /** Drain, then shut down; calling it again returns the same promise. */
  run(): Promise<void> {
    return (this.promise ??= this.drainThenShutDown());
  }

  /** End the drain when its time is up (`now`, ms on the server clock) or every client has gone. */
  checkDrain(now: number): void {
    if (this.endDrain && (now >= this.drainDeadline || this.host.sessions.size === 0)) this.endDrain();
  }

  /** A session closed: the wait for the links ends with the last. */
  sessionGone(): void {
    if (this.host.sessions.size === 0) this.drained?.();
  }

  private async drainThenShutDown(): Promise<void> {
    const host = this.host;
    this.draining_ = true;
    // Tell the cluster at once: a draining node takes no new rooms.
    void host.cluster?.heartbeat();
    const drainMs = this.steps.drainMs;
    // Rooms that may move are offered to other nodes first; their players hear of the drain
    // only if theirs stays (a shutdown notice would send them matchmaking).
    const moving = host.mover?.candidates() ?? new Set<Room>();
    const notice = encodeControl(MessageType.Notice, {
      kind: 'shutdown',
      message: 'the server is shutting down',
      secondsLeft: drainMs / 1000,
    } satisfies NoticeMessage);
    const tell = drainMs > 0;
    if (tell) for (const session of host.sessions) if (!session.room || !moving.has(session.room)) session.send(notice);
    if (moving.size > 0) {
      const started = performance.now();
      const moved = await host.mover!.moveAll(moving);
      const ms = Math.round(performance.now() - started);
      host.log.info({ rooms: moving.size, moved: moved.size, ms }, 'draining: live rooms offered to other nodes');
      if (tell)
        for (const session of host.sessions) if (session.room && moving.has(session.room) && !moved.has(session.room)) session.send(notice);
    }
    if (drainMs > 0 && host.sessions.size > 0) {
      host.log.info({ connections: host.sessions.size, drainMs }, 'draining: clients told, closing in drainMs');
      this.drainDeadline = host.clock.now() + drainMs;
      await new Promise<void>((resolve) => {
        // pump() ends the drain on the server's clock; this real-time backstop ends it even if
        // nothing pumps (autoTick off and a test that stopped driving time).
        const backstop = setTimeout(() => this.endDrain?.(), drainMs + CLOSE_GRACE_MS);
        this.endDrain = () => {
          clearTimeout(backstop);
          this.endDrain = undefined;
          resolve();
        };
      });
    }
    await this.shutDown();
  }

  private async shutDown(): Promise<void> {
    const host = this.host;
    this.steps.stopTicking();
    host.log.info({ connections: host.sessions.size, rooms: host.rooms.rooms.size }, 'shutting down');
    const drained = host.sessions.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
    for (const session of host.sessions) session.close(CloseCode.GoingAway, 'server shutting down');
    host.rooms.disposeAll(CloseCode.GoingAway, 'server shutting down');
    // Real time, not the server's clock: the tick driver has stopped, and a test's ManualClock
    // would never reach the deadline.
    const deadline = setTimeout(() => {
      host.log.warn({ connections: host.sessions.size }, 'close handshakes overran; dropping the remaining links');
      for (const session of host.sessions) session.terminate();
    }, this.steps.closeTimeoutMs + CLOSE_GRACE_MS);
    await drained;
    clearTimeout(deadline);
    await this.steps.release();
    host.log.info('stopped');
  }
}

/** What the server holds open until the end, each let go by {@link releaseServer}. */
export interface ServerParts {
  readonly log: Logger;
  readonly auth: TokenVerifier | undefined;
  readonly webrtc: WebRtcGatewayLike | undefined;
  /** The WebSocket server, then the HTTP listeners. */
  readonly door: { close(): Promise<void> };
  readonly listeners: { close(): Promise<void> };
  readonly rpc: NodeRpc | undefined;
  readonly chat: ChatService | undefined;
  readonly notifications: NotificationService;
  readonly bus: ClusterBus | undefined;
  readonly cluster: NodePresence | undefined;
  readonly data: TickwireData | undefined;
}

/**
 * Let go of everything, in order: the token verifier's key refresh, the WebRTC gateway, the
 * sockets and listeners, the cluster's links and this node's listing, then the last queued
 * writes (the rooms' last stats from onDispose, the last chat lines).
 */
export async function releaseServer(parts: ServerParts): Promise<void> {
  parts.auth?.close?.();
  parts.webrtc?.dispose();
  await parts.door.close();
  await parts.listeners.close();
  await parts.rpc?.close();
  parts.chat?.close();
  parts.notifications.close();
  parts.bus?.close();
  await parts.cluster?.stop();
  await parts.data?.flush().catch((err: unknown) => parts.log.error({ err }, 'could not write the last batches'));
}
