import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress } from './address-key';
import type { TickwireServerOptions } from './server-options';

/** Which listener a request came in on: the public game port, or the admin port. */
export type Listener = 'public' | 'admin';

/**
 * Who may use the operator routes (`/metrics`, `/monitor`, `/cluster`, `POST /notice`):
 *
 * - on the admin listener (`--admin-port`, bound to 127.0.0.1 by default), any peer whose socket
 *   is on this host. That is the socket's own address, never `X-Forwarded-For`: a reverse
 *   proxy forwards to the game port, not here, so nothing from the internet reaches it by default;
 * - on either listener, whoever presents the operator token (`Authorization: Bearer …`, or
 *   `?token=` for a browser). With no token set, the game port serves no operator route at all.
 *
 * The game port used to trust "this host" too. Behind a reverse proxy on the same machine
 * every request arrives from 127.0.0.1, so that rule let the whole internet read the metrics and
 * send notices to every player: the proxy's address says nothing about who is asking.
 */
export class OperatorAccess {
  constructor(
    private readonly token: string | undefined,
    /** Whether the admin listener trusts peers on this host (true when it is bound to loopback). */
    private readonly adminTrustsLoopback: boolean,
    /** Where the admin listener is, for the refusal's sentence (undefined: there is none). */
    private readonly adminAddress: () => string | undefined,
  ) {}

  /** Whether `req`, which came in on `via`, may use an operator route. */
  allowed(req: IncomingMessage, via: Listener): boolean {
    if (via === 'admin' && this.adminTrustsLoopback && isLoopbackAddress(req.socket.remoteAddress ?? '')) return true;
    const token = this.token;
    if (!token) return false;
    const auth = req.headers.authorization ?? '';
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? '';
    return safeEqual(auth, `Bearer ${token}`) || safeEqual(query, token);
  }

  /** The 403's sentence: what the operator should do instead. */
  refusal(what: string, via: Listener): string {
    const admin = this.adminAddress();
    if (via === 'public' && !this.token)
      return admin
        ? `${what} is for operators: use the admin port (${admin}), or set --operator-token`
        : `${what} is for operators: set --admin-port or --operator-token`;
    return `${what} is for operators: send the operator token (Authorization: Bearer …, or ?token= in a browser)`;
  }
}

/** Where the admin listener binds: its port, and its host (default 127.0.0.1, this machine only). */
export interface AdminBinding {
  port: number;
  host: string;
}

/**
 * The admin listener's address from `options.admin` (undefined: there is none). Throws when it
 * would be reachable from other machines with no operator token: off loopback the admin port is
 * as open as the game port, and only the token lets anyone in.
 */
export function adminBinding(options: Pick<TickwireServerOptions, 'admin' | 'operatorToken'>): AdminBinding | undefined {
  if (!options.admin) return undefined;
  const host = options.admin.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.operatorToken)
    throw new RangeError(
      `the admin listener on ${host} is reachable from other machines: set operatorToken (--operator-token), or bind it to 127.0.0.1`,
    );
  return { port: options.admin.port, host };
}

/**
 * Who may use the operator routes, given the token and the admin binding: a loopback admin
 * listener trusts its peers on this host. `adminPort` is read when a refusal is written (0 until
 * the admin listener is bound), so the sentence names the port actually in use.
 */
export function operatorAccessFor(token: string | undefined, admin: AdminBinding | undefined, adminPort: () => number): OperatorAccess {
  return new OperatorAccess(token, admin !== undefined && isLoopbackHost(admin.host), () => {
    const port = adminPort();
    return port && admin ? `${admin.host}:${port}` : undefined;
  });
}

/** Whether a bind address is this host only. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/** Compare two secrets in constant time. */
function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
