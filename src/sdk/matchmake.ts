import type { MatchmakeTicket } from '../../shared/protocol/matchmake-ticket';

export type { MatchmakeTicket };

/** How {@link matchmake} asks. */
export interface MatchmakeOptions {
  /**
   * A bearer token, as JOIN's: the seat is then held for its identity alone. Servers started
   * with `--matchmake-auth` require one.
   */
  token?: string;
  /** fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/**
 * Ask any node of a cluster for a seat (join-or-create across every node): resolves with the
 * node to connect to and the reservation to present. Rejects with the server's reason on
 * 4xx/5xx (no such room type, a bad or missing token (401), too many unclaimed seats from this
 * address (429), every node full or draining (503)).
 *
 * ```ts
 * const ticket = await matchmake('https://play.example.com', 'arena', { token });
 * const client = new TickwireClient({ url: ticket.url, reservation: ticket.reservation, token, game, name });
 * ```
 *
 * @param httpBase any node's HTTP address (or the front that balances them), e.g. `http://127.0.0.1:8080`.
 * @param roomType the room type to play.
 * @param options a token, and fetch to use (a bare function is taken as `fetch`, as before).
 */
export async function matchmake(
  httpBase: string,
  roomType: string,
  options: MatchmakeOptions | typeof fetch = {},
): Promise<MatchmakeTicket> {
  const { token, fetch: fetchImpl = fetch } = typeof options === 'function' ? { fetch: options, token: undefined } : options;
  const url = new URL('/matchmake', httpBase);
  url.searchParams.set('roomType', roomType);
  const res = await fetchImpl(url, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await res.json().catch(() => ({}))) as Partial<MatchmakeTicket> & { error?: string };
  if (!res.ok) throw new Error(`matchmaking refused (${res.status}): ${body.error ?? res.statusText}`);
  return body as MatchmakeTicket;
}
