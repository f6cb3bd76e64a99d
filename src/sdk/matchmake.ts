import type { MatchmakeTicket } from '../../shared/protocol/matchmake-ticket';

export type { MatchmakeTicket };

/**
 * Ask any node of a cluster for a seat (join-or-create across every node): resolves with the
 * node to connect to and the reservation to present. Rejects with the server's reason on
 * 4xx/5xx (no such room type, every node full or draining).
 *
 * ```ts
 * const ticket = await matchmake('https://play.example.com', 'arena');
 * const client = new TickwireClient({ url: ticket.url, reservation: ticket.reservation, game, name });
 * ```
 *
 * @param httpBase any node's HTTP address (or the front that balances them), e.g. `http://127.0.0.1:8080`.
 * @param roomType the room type to play.
 * @param fetchImpl fetch to use (default the global one).
 */
export async function matchmake(httpBase: string, roomType: string, fetchImpl: typeof fetch = fetch): Promise<MatchmakeTicket> {
  const url = new URL('/matchmake', httpBase);
  url.searchParams.set('roomType', roomType);
  const res = await fetchImpl(url, { method: 'POST' });
  const body = (await res.json().catch(() => ({}))) as Partial<MatchmakeTicket> & { error?: string };
  if (!res.ok) throw new Error(`matchmaking refused (${res.status}): ${body.error ?? res.statusText}`);
  return body as MatchmakeTicket;
}
