import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What travels on the bus. */
export type BusMessage =
  /** A NOTICE to every player on every node. */
  | { kind: 'notice-all'; message: string }
  /** A NOTICE to every connection of one identity, wherever it is connected. */
  | { kind: 'notice-user'; userId: string; message: string }
  /** Game code's own message on a topic (room to room, a lobby). */
  | { kind: 'topic'; topic: string; data: unknown };

/** Delivers a bus message on this node. */
export type BusDelivery = (msg: BusMessage, fromNodeId: string) => void;

/** A topic handler: the data as published, and the node it came from. */
export type TopicHandler = (data: unknown, fromNodeId: string) => void;

/**
 * Messages across nodes, at most once. Every message is delivered on this node at once, then
 * published for the others: with Redis, through one pub/sub channel (`<prefix>bus`); in memory,
 * there are no others. A node that is not connected to Redis when a message goes out never gets
 * it (no replay, no queue), and `publish` rejects when Redis is unreachable, after the local
 * delivery, so the caller knows the other nodes missed it. Order is kept per publishing node.
 */
export class ClusterBus {
  private readonly topics = new Map<string, Set<TopicHandler>>();
  private sub: Redis | undefined;
  private pub: Redis | undefined;
  private channel = '';
  /** Messages this node published, and received from other nodes. */
  readonly stats = { published: 0, received: 0, publishFailures: 0 };

  constructor(
    readonly nodeId: string,
    private readonly deliver: BusDelivery,
    private readonly log: Logger,
  ) {}

  /** Share through Redis: subscribe a second connection (a subscribed one can do nothing else). */
  async connectRedis(pub: Redis, prefix: string): Promise<void> {
    this.pub = pub;
    this.channel = `${prefix}bus`;
    const sub = pub.duplicate({ lazyConnect: true });
    sub.on('error', () => {});
    sub.on('message', (_channel: string, text: string) => this.onMessage(text));
    await sub.connect();
    await sub.subscribe(this.channel);
    this.sub = sub;
  }

  /** A NOTICE ('info') to every player on every node. */
  notifyAll(message: string): Promise<void> {
    return this.publish({ kind: 'notice-all', message });
  }

  /** A NOTICE ('direct') to one identity's connections, on whichever node they are. */
  notifyUser(userId: string, message: string): Promise<void> {
    return this.publish({ kind: 'notice-user', userId, message });
  }

  /**
   * Game code's broadcast: every handler of `topic` on every node gets `data` (JSON-safe values),
   * this node's first and at once.
   */
  publishTopic(topic: string, data: unknown): Promise<void> {
    return this.publish({ kind: 'topic', topic, data });
  }

  /**
   * Like {@link publishTopic}, but every node, this one included, gets the messages of `topic`
   * in one order: with Redis this node's own handlers wait for its message to come back from
   * Redis, which sends each message to every subscriber in the order it took them (so two
   * nodes' lines interleave the same way everywhere). Rejects, delivering nowhere, when Redis is
   * unreachable. In memory it is publishTopic.
   */
  publishOrdered(topic: string, data: unknown): Promise<void> {
    return this.publish({ kind: 'topic', topic, data }, true);
  }

  /** Handle `topic`; returns the unsubscribe (call it in the room's onDispose). */
  subscribe(topic: string, handler: TopicHandler): () => void {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.topics.get(topic) === set) this.topics.delete(topic);
    };
  }

  /**
   * Deliver `msg` here and send it to the other nodes. `ordered` (with Redis): not here at
   * once, but when Redis hands it back, in the order every node sees (the envelope's `self`).
   */
  private async publish(msg: BusMessage, ordered = false): Promise<void> {
    const viaRedis = ordered && this.pub !== undefined;
    if (!viaRedis) {
      this.dispatch(msg, this.nodeId);
      this.stats.published++;
    }
    if (!this.pub) return;
    try {
      await this.pub.publish(this.channel, JSON.stringify(viaRedis ? { from: this.nodeId, msg, self: true } : { from: this.nodeId, msg }));
      if (viaRedis) this.stats.published++;
    } catch (err) {
      this.stats.publishFailures++;
      const what = viaRedis ? 'not delivered' : 'delivered on this node only';
      throw new Error(`${what}: Redis is unreachable (${(err as Error).message})`);
    }
  }

  private onMessage(text: string): void {
    let env: { from: string; msg: BusMessage; self?: true };
    try {
      env = JSON.parse(text) as { from: string; msg: BusMessage; self?: true };
    } catch {
      return;
    }
    // Delivered here when it was published, unless it was published in order (publishOrdered).
    if (env.from === this.nodeId && !env.self) return;
    if (env.from !== this.nodeId) this.stats.received++;
    this.dispatch(env.msg, env.from);
  }

  private dispatch(msg: BusMessage, from: string): void {
    if (msg.kind !== 'topic') {
      this.deliver(msg, from);
      return;
    }
    const set = this.topics.get(msg.topic);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(msg.data, from);
      } catch (err) {
        // One game's handler must not stop the others, nor the connection's event loop.
        this.log.error({ err, topic: msg.topic, from }, 'cluster bus: a topic handler threw');
      }
    }
  }

  close(): void {
    this.sub?.disconnect();
    this.sub = undefined;
    this.pub = undefined;
  }
}
