import { encodeControl, type NoticeMessage } from '../../shared/protocol/control-messages';
import { parseNoticeRead } from '../../shared/protocol/chat-messages';
import { MessageType } from '../../shared/protocol/message-types';
import type { ClusterBus } from '../cluster/cluster-bus';
import type { Logger } from '../logging/logger';
import type { NotificationStore, StoredNotification } from '../persistence/notification-store';
import type { Session } from '../session/session';

/** What notifications need from the server. */
export interface NotificationHost {
  readonly log: Logger;
  /** Kept notices; undefined: only users online now can be told (nothing is stored). */
  readonly store: NotificationStore | undefined;
  /** This node's joined sessions of one user. */
  sessionsOf(userId: string): Iterable<Session>;
}

/** What {@link NotificationService.send} did. */
export interface NotificationSent {
  /** The stored notification's id, or undefined when nothing is stored (no database). */
  id: number | undefined;
  /** True: kept until the user's client reads it; false: told to whoever was online, once. */
  stored: boolean;
}

const TOPIC = 'tickwire:notify';

/**
 * Notices for one user. With a database each is stored first, then offered to the user's
 * connections on every node; the client acknowledges it (NOTICE_READ) once shown and it is
 * marked read. Until then it comes again on every connect, oldest first, so a user who was
 * offline gets it on the next join. Without a database a notice reaches only who is online.
 */
export class NotificationService {
  private unsubscribe: (() => void) | undefined;
  /** Offers notices to every node; set by attach(). */
  private bus: ClusterBus | undefined;
  readonly stats = { sent: 0, deliveredLive: 0, deliveredOnConnect: 0, acknowledged: 0 };

  constructor(private readonly host: NotificationHost) {}

  /** Take and offer notices through the node's bus, once it has one (the server's listen()). */
  attach(bus: ClusterBus): void {
    this.bus = bus;
    this.unsubscribe ??= bus.subscribe(TOPIC, (data) => this.deliverHere(data as StoredNotification));
  }

  close(): void {
    this.unsubscribe?.();
  }

  /** Notify `userId` (a token's `sub`), wherever and whenever it next connects. */
  async send(userId: string, message: string): Promise<NotificationSent> {
    this.stats.sent++;
    const store = this.host.store;
    if (!store) {
      await this.bus?.notifyUser(userId, message);
      return { id: undefined, stored: false };
    }
    const stored = await store.add(userId, message);
    // It is kept: a node the bus misses delivers it at the user's next connect instead.
    await this.bus?.publishTopic(TOPIC, stored).catch((err: unknown) => {
      this.host.log.warn({ err, userId }, 'notifications: the bus is unreachable; delivered on the next connect');
    });
    return { id: stored.id, stored: true };
  }

  private deliverHere(n: StoredNotification): void {
    for (const session of this.host.sessionsOf(n.userId)) {
      session.send(noticeBytes(n));
      this.stats.deliveredLive++;
    }
  }

  /** A session of an authenticated user joined: send what it has not read. */
  joined(session: Session): void {
    const userId = session.identity?.userId;
    const store = this.host.store;
    if (!userId || !store) return;
    store.unread(userId).then(
      (unread) => {
        for (const n of unread) session.send(noticeBytes(n));
        this.stats.deliveredOnConnect += unread.length;
      },
      (err: unknown) => this.host.log.warn({ err, userId }, 'notifications: could not read the unread ones'),
    );
  }

  /** NOTICE_READ from a session: mark its user's notices read (others' ids are ignored by the store). */
  read(session: Session, body: unknown): void {
    const { ids } = parseNoticeRead(body);
    const userId = session.identity?.userId;
    if (!userId || !this.host.store) return;
    this.stats.acknowledged += ids.length;
    this.host.store.read(userId, ids);
  }
}

function noticeBytes(n: StoredNotification): Uint8Array {
  return encodeControl(MessageType.Notice, { kind: 'direct', message: n.message, id: n.id, at: n.at } satisfies NoticeMessage);
}
