import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What one node asks another for: a seat held in a room of `roomType` (in `roomId` when given). */
export interface ReserveRequest {
  op: 'reserve';
  roomType: string;
  /** The room the caller picked from the registry; without it the owner picks (or makes) one. */
  roomId?: string;
  /** The identity the seat is for (matchmaking with a token): only it may claim the seat. */
  userId?: string;
}

/** The owner's answer. */
export type ReserveReply =
  | { ok: true; nodeId: string; url: string; roomId: string; reservation: string; expiresInMs: number }
  | { ok: false; reason: 'full' | 'refused'; message: string };

/** Answers a request on the owning node. */
export type ReserveHandler = (req: ReserveRequest) => ReserveReply;

/**
 * A draining node asks another to take one of its rooms over (see room-mover.ts): the room's
 * bytes wait in Redis under `key`, which the taker deletes to claim them.
 */
export interface ImportRoomRequest {
  op: 'import-room';
  key: string;
  roomId: string;
  roomType: string;
}

/** The taker's answer: the room runs there now, or why not. */
export type ImportRoomReply = { ok: true } | { ok: false; message: string };

/** Takes a moved room over on this node. */
export type ImportRoomHandler = (req: ImportRoomRequest) => Promise<ImportRoomReply>;

type Request = ReserveRequest | ImportRoomRequest;
type Reply = ReserveReply | ImportRoomReply;

interface Envelope {
  /** Request id; the reply carries it back. */
  id: string;
  /** Requests: the caller's node id, whose channel gets the reply. */
  from?: string;
  req?: Request;
  reply?: Reply;
}

/**
 * Node-to-node requests over Redis pub/sub: each node listens on `<prefix>rpc:<nodeId>`, and a
 * request's reply comes back on the caller's channel. At most once: a request to a node that
 * is gone or slow fails (no listener: at once; no answer: after `timeoutMs`) and the caller
 * moves on to another room or node; nothing is retried behind its back.
 */
export class NodeRpc {
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  /** Takes moved rooms (set by the server; without it every import is refused). */
  importHandler: ImportRoomHandler | undefined;
  private readonly sub: Redis;

  private constructor(
    private readonly pub: Redis,
    private readonly prefix: string,
    readonly nodeId: string,
    private readonly handler: ReserveHandler,
  ) {
    // A subscribed connection can do nothing else, so requests go out on the registry's own.
    this.sub = pub.duplicate({ lazyConnect: true });
    this.sub.on('error', () => {});
    this.sub.on('message', (_channel: string, text: string) => this.onMessage(text));
  }

  /** Listen on this node's channel; resolves once subscribed. */
  static async start(pub: Redis, prefix: string, nodeId: string, handler: ReserveHandler): Promise<NodeRpc> {
    const rpc = new NodeRpc(pub, prefix, nodeId, handler);
    await rpc.sub.connect();
    // ioredis resubscribes by itself after a reconnect.
    await rpc.sub.subscribe(rpc.channel(nodeId));
    return rpc;
  }

  private channel(nodeId: string): string {
    return `${this.prefix}rpc:${nodeId}`;
  }

  /** Ask `nodeId`; rejects when it is not listening, does not answer in time, or Redis is down. */
  request(nodeId: string, req: ReserveRequest, timeoutMs?: number): Promise<ReserveReply>;
  request(nodeId: string, req: ImportRoomRequest, timeoutMs?: number): Promise<ImportRoomReply>;
  async request(nodeId: string, req: Request, timeoutMs = 1000): Promise<Reply> {
    const id = randomBytes(8).toString('hex');
    const answer = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`node ${nodeId} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    let listeners: number;
    try {
      listeners = await this.pub.publish(this.channel(nodeId), JSON.stringify({ id, from: this.nodeId, req } satisfies Envelope));
    } catch (err) {
      this.settle(id)?.reject(err as Error);
      return answer;
    }
    if (listeners === 0) this.settle(id)?.reject(new Error(`node ${nodeId} is not listening`));
    return answer;
  }

  private settle(id: string) {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  private onMessage(text: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(text) as Envelope;
    } catch {
      return; // Not ours: the channel name is namespaced, so this is someone else's mistake.
    }
    if (env.reply) {
      this.settle(env.id)?.resolve(env.reply);
      return;
    }
    if (!env.req || !env.from) return;
    if (env.req.op === 'import-room') {
      void this.answerImport(env.id, env.from, env.req);
      return;
    }
    let reply: ReserveReply;
    try {
      reply = this.handler(env.req);
    } catch (err) {
      reply = { ok: false, reason: 'refused', message: (err as Error).message };
    }
    this.reply(env.from, env.id, reply);
  }

  private async answerImport(id: string, from: string, req: ImportRoomRequest): Promise<void> {
    let reply: ImportRoomReply;
    try {
      reply = this.importHandler ? await this.importHandler(req) : { ok: false, message: 'this node takes no moved rooms' };
    } catch (err) {
      reply = { ok: false, message: (err as Error).message };
    }
    this.reply(from, id, reply);
  }

  private reply(to: string, id: string, reply: Reply): void {
    this.pub.publish(this.channel(to), JSON.stringify({ id, reply } satisfies Envelope)).catch(() => {
      // Redis went away between request and reply: the caller times out and moves on. The
      // seat held for it lapses on its own.
    });
  }

  async close(): Promise<void> {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error('shutting down'));
    this.sub.disconnect();
  }
}
