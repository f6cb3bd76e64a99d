import type { IncomingMessage } from 'node:http';
import { TokenBucket } from '../transport/token-bucket';
import { addressKey } from './address-key';
import { ReadGate } from '../persistence/read-gate';

/**
 * Limits per client address, checked before anything costs the server much: before the
 * WebSocket's 101, and before an HTTP request is served. 0 lifts a limit; `perIpLimits: false`
 * lifts them all (for load tests from one machine).
 */
export interface FrontDoorOptions {
  /** All per-address limits on (default true). */
  perIpLimits?: boolean;
  /** WebSocket connections open at once from one address (default 32). */
  maxConnectionsPerIp?: number;
  /**
   * TCP connections open at once from one address, HTTP and game alike (default 64): idle and
   * half-sent requests (a slowloris) are cut at accept, before they cost a parser or a file
   * descriptor for long. Trusted proxies are exempt: many clients share their address.
   */
  maxSocketsPerIp?: number;
  /** Of those, connected but not yet in a room (default 8): idle sockets cost a slot each. */
  maxUnjoinedPerIp?: number;
  /** WebSocket handshakes per second from one address, with a burst of 2 s (default 10). */
  handshakesPerSecondPerIp?: number;
  /**
   * Game messages and ping frames per second from one address, over all its sockets, burst 2 s
   * (default: 8 × the per-connection rate, room for a household behind one NAT). Past it the
   * socket that asked for more is closed 4003.
   */
  messagesPerSecondPerIp?: number;
  /** HTTP requests (static files, /health) per second from one address, burst 2 s (default 20). */
  httpRequestsPerSecondPerIp?: number;
  /**
   * Reads that go to the database (GET /profiles/<id>, GET /leaderboard) per second from one
   * address, burst 2 s (default 5, burst 10). Drawn on top of the HTTP request rate: these cost
   * a query each, a static file costs none. Past it: 429 with `retry-after`.
   */
  dataReadsPerSecondPerIp?: number;
  /**
   * Database reads in flight at once over every address and kind (HTTP reads and CHAT_HISTORY
   * pages the memory cannot answer), default 8; past it a read is refused at once (503 with
   * `retry-after`), not queued. The one limit here that is not per address: `perIpLimits:
   * false` leaves it on; 0 lifts it.
   */
  maxDataReadsInFlight?: number;
  /**
   * Proxies whose `X-Forwarded-For` is believed, by address (default none: the socket's peer
   * is the client). With one set, the client is the rightmost address in the header that is
   * not itself a trusted proxy.
   */
  trustedProxies?: string[];
  /**
   * Origins allowed to open game sockets, e.g. `https://game.example.com` (default: only
   * pages served from the same host as the request; `*` allows any). Requests with no Origin
   * (non-browser clients: bots, servers) are allowed: Origin protects browsers' users from
   * other websites, it is no authentication.
   */
  allowedOrigins?: string[];
}

/** A refusal at the door: the HTTP status and a sentence for the body. */
export interface Refusal {
  status: 400 | 403 | 429 | 503;
  reason: string;
}

interface PerIp {
  open: number;
  /** TCP sockets open, of any kind. */
  sockets: number;
  messages: TokenBucket;
  unjoined: number;
  handshakes: TokenBucket;
  requests: TokenBucket;
  /** Made at the address's first database read: most addresses never make one. */
  dataReads: TokenBucket | undefined;
  lastSeen: number;
}

/** How long an address with nothing open is remembered, ms. */
const FORGET_AFTER_MS = 60_000;

/**
 * The server's front door: who the client is (behind trusted proxies), and whether it may come
 * in. Counts per address: open sockets, sockets not yet joined, handshake and request rates.
 */
export class FrontDoor {
  readonly enabled: boolean;
  private readonly maxOpen: number;
  private readonly maxUnjoined: number;
  private readonly maxSockets: number;
  private readonly handshakeRate: number;
  private readonly requestRate: number;
  private readonly messageRate: number;
  /** Per-address database reads a second (0: no limit). */
  readonly dataReadRate: number;
  /** The cap on database reads in flight, shared by every address. */
  readonly dataReads: ReadGate;
  private readonly trusted: Set<string>;
  private readonly origins: Set<string> | 'any' | 'same-host';
  private readonly byIp = new Map<string, PerIp>();

  /** @param perConnectionMessageRate the per-socket message rate, for the per-address default */
  constructor(options: FrontDoorOptions = {}, perConnectionMessageRate = 140) {
    this.enabled = options.perIpLimits ?? true;
    this.maxOpen = options.maxConnectionsPerIp ?? 32;
    this.maxUnjoined = options.maxUnjoinedPerIp ?? 8;
    this.maxSockets = options.maxSocketsPerIp ?? 64;
    this.handshakeRate = options.handshakesPerSecondPerIp ?? 10;
    this.requestRate = options.httpRequestsPerSecondPerIp ?? 20;
    this.messageRate = options.messagesPerSecondPerIp ?? 8 * perConnectionMessageRate;
    this.dataReadRate = options.dataReadsPerSecondPerIp ?? 5;
    this.dataReads = new ReadGate(options.maxDataReadsInFlight ?? 8);
    for (const [name, v] of Object.entries({
      maxConnectionsPerIp: this.maxOpen,
      maxUnjoinedPerIp: this.maxUnjoined,
      handshakesPerSecondPerIp: this.handshakeRate,
      httpRequestsPerSecondPerIp: this.requestRate,
      dataReadsPerSecondPerIp: this.dataReadRate,
    })) {
      if (!(v >= 0)) throw new RangeError(`${name} must be ≥ 0 (0 lifts the limit), got ${v}`);
    }
    this.trusted = new Set((options.trustedProxies ?? []).map(normalizeIp));
    const origins = options.allowedOrigins;
    this.origins =
      !origins || origins.length === 0
        ? 'same-host'
        : origins.includes('*')
          ? 'any'
          : new Set(origins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  }

  /** The client's address: the socket's peer, or the forwarded one when the peer is a trusted proxy. */
  clientIp(req: IncomingMessage): string {
    const peer = normalizeIp(req.socket.remoteAddress ?? 'unknown');
    if (!this.trusted.has(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => normalizeIp(h.trim()))
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) if (!this.trusted.has(hops[i])) return hops[i];
    return peer;
  }

  /** Whether this upgrade may become a game socket; undefined means yes (and it is counted as open). */
  admitUpgrade(req: IncomingMessage, ip: string, now: number): Refusal | undefined {
    const protocols = req.headers['sec-websocket-protocol'];
    if (protocols) return { status: 400, reason: `unsupported subprotocol "${String(protocols).slice(0, 64)}": this server speaks none` };
    const origin = req.headers.origin;
    if (origin && !this.originAllowed(origin, req.headers.host))
      return { status: 403, reason: `origin ${origin.slice(0, 100)} may not open game sockets here` };
    const entry = this.entry(ip, now);
    if (this.enabled) {
      if (this.handshakeRate > 0 && !entry.handshakes.take(now))
        return { status: 429, reason: `too many handshakes from ${ip}: at most ${this.handshakeRate}/s` };
      if (this.maxOpen > 0 && entry.open >= this.maxOpen)
        return { status: 429, reason: `too many connections from ${ip}: at most ${this.maxOpen} at once` };
      if (this.maxUnjoined > 0 && entry.unjoined >= this.maxUnjoined)
        return { status: 429, reason: `too many connections from ${ip} that have not joined: at most ${this.maxUnjoined}` };
    }
    entry.open++;
    entry.unjoined++;
    return undefined;
  }

  /**
   * A TCP connection from peer address `peer` was accepted: false when that address already
   * has `maxSocketsPerIp` open (the caller destroys it). Pair with {@link socketClosed}.
   */
  socketOpened(peer: string, now: number): boolean {
    const ip = normalizeIp(peer);
    const e = this.entry(ip, now);
    if (this.enabled && this.maxSockets > 0 && !this.trusted.has(ip) && e.sockets >= this.maxSockets) return false;
    e.sockets++;
    return true;
  }

  socketClosed(peer: string, now: number): void {
    const e = this.byIp.get(addressKey(normalizeIp(peer)));
    if (!e) return;
    e.sockets = Math.max(0, e.sockets - 1);
    e.lastSeen = now;
  }

  /** An HTTP request from `ip`: false when it is over the address's request rate. */
  admitRequest(ip: string, now: number): boolean {
    if (!this.enabled || this.requestRate === 0) return true;
    return this.entry(ip, now).requests.take(now);
  }

  /**
   * A read that goes to the database, from `ip` (after {@link admitRequest}): 0 when it may go
   * ahead, else the ms until the address's next token (for `retry-after`).
   */
  admitDataRead(ip: string, now: number): number {
    if (!this.enabled || this.dataReadRate === 0) return 0;
    const e = this.entry(ip, now);
    e.dataReads ??= new TokenBucket(this.dataReadRate, this.dataReadRate * 2, now);
    return e.dataReads.take(now) ? 0 : Math.max(1, e.dataReads.msUntilToken(now));
  }

  /**
   * The shared message budget of `ip`'s sockets, for sessions to draw on, or undefined when
   * per-address limits are off. Kept by the session, so no lookup per message.
   */
  messageBudget(ip: string, now: number): TokenBucket | undefined {
    if (!this.enabled || this.messageRate === 0) return undefined;
    return this.entry(ip, now).messages;
  }

  /** A socket from `ip` has joined a room: it no longer counts as unjoined. */
  joined(ip: string): void {
    const e = this.byIp.get(addressKey(ip));
    if (e && e.unjoined > 0) e.unjoined--;
  }

  /** A socket from `ip` has closed; `wasJoined` says which count it was in. */
  closed(ip: string, wasJoined: boolean, now: number): void {
    const e = this.byIp.get(addressKey(ip));
    if (!e) return;
    e.open = Math.max(0, e.open - 1);
    if (!wasJoined) e.unjoined = Math.max(0, e.unjoined - 1);
    e.lastSeen = now;
  }

  /** Forget addresses with nothing open that have been quiet for a minute. */
  prune(now: number): void {
    for (const [ip, e] of this.byIp) if (e.open === 0 && e.sockets === 0 && now - e.lastSeen > FORGET_AFTER_MS) this.byIp.delete(ip);
  }

  /** Open sockets from `ip` (for tests and /health). */
  openFrom(ip: string): number {
    return this.byIp.get(addressKey(ip))?.open ?? 0;
  }

  /** Of those, connections from `ip` not yet in a room (signalling attempts included). */
  unjoinedFrom(ip: string): number {
    return this.byIp.get(ip)?.unjoined ?? 0;
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.origins === 'any') return true;
    if (this.origins === 'same-host') {
      try {
        return new URL(origin).host.toLowerCase() === (host ?? '').toLowerCase();
      } catch {
        return false;
      }
    }
    return this.origins.has(origin.toLowerCase());
  }

  /** The counts of `ip`'s limit key (see {@link addressKey}: an IPv6 address counts by its /64). */
  private entry(ip: string, now: number): PerIp {
    const key = addressKey(ip);
    let e = this.byIp.get(key);
    if (!e) {
      e = {
        open: 0,
        sockets: 0,
        unjoined: 0,
        handshakes: new TokenBucket(this.handshakeRate, this.handshakeRate * 2, now),
        requests: new TokenBucket(this.requestRate, this.requestRate * 2, now),
        messages: new TokenBucket(this.messageRate, this.messageRate * 2, now),
        dataReads: undefined,
        lastSeen: now,
      };
      this.byIp.set(key, e);
    }
    e.lastSeen = now;
    return e;
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: one address, one key, whichever socket family it came on. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
