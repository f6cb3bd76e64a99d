/**
 * Sparse inputs on links that deliver in order (a WebSocket, an in-memory link).
 *
 * The room uses each tick's input slot whether its input came or not: a missing input repeats
 * the last one, and a player silent for more than `repeatInputTicks` is neutralized (a hidden
 * tab stops). So on a link that loses nothing, an unchanged input need not be sent at all: the
 * SDK sends one when it changes, and otherwise once every `keepalive` ticks, so that the server
 * can still tell a live client holding a key from a silent one.
 *
 * ```
 * tick      10  11  12  13  14  15  16  17  18
 * input      →   →   →   →   →   ↑   ↑   ↑   ↑      (held right, then up)
 * INPUT      10              14  15              19 (keepalive 4: changes at once, else every 4th)
 * server     →   →r  →r  →r  →   ↑   ↑r  ↑r  ↑r     (r: repeated, same as what the client predicted)
 * streak     0   1   2   3   0   0   1   2   3      (starved only from `keepalive` on)
 * ```
 *
 * The keepalive is half of `repeatInputTicks` (4 ticks by default: 133 ms at 30 Hz), at most
 * {@link MAX_INPUT_KEEPALIVE_TICKS}. The room stops a player after `repeatInputTicks` silent
 * ticks past the keepalive's allowance (see {@link neutralizeAfterTicks}), so a held key
 * survives a keepalive as late as an input sent every tick could be: 8 ticks by default. The
 * price: a hidden tab stops up to `keepalive - 1` ticks (100 ms) later.
 */

/** Longest keepalive, ticks (200 ms at 30 Hz): the server hears from a live client at least this often. */
export const MAX_INPUT_KEEPALIVE_TICKS = 6;

/**
 * The keepalive a room type gives its in-order clients (WELCOME.inputKeepaliveTicks), ticks:
 * half of `repeatInputTicks`, 1-{@link MAX_INPUT_KEEPALIVE_TICKS}. 1 means every tick is sent.
 */
export function inputKeepaliveTicks(repeatInputTicks: number): number {
  return Math.max(1, Math.min(MAX_INPUT_KEEPALIVE_TICKS, Math.floor(repeatInputTicks / 2)));
}

/**
 * Whether a tick without input, the `streak`-th in a row (1 = the first), counts as starved for
 * a client allowed to skip `keepalive - 1` ticks between inputs: only a silence longer than the
 * keepalive does (with keepalive 1, every missing input does, as on an unordered link).
 */
export function silenceIsStarved(streak: number, keepalive: number): boolean {
  return streak >= keepalive;
}

/**
 * The silent tick, counted in a row, at which the room stops a player (neutralizes its input):
 * `repeatInputTicks` past the `keepalive - 1` ticks an in-order client may skip. With a
 * keepalive of 4 (every 4th tick sent), a keepalive delayed by a TCP retransmission (about a
 * round trip, 180 ms at 150 ms) must not stop a player who holds a key: counted from the tick
 * it was due, it has the same 8 ticks as when every tick is sent. `npm run netcode` found it:
 * stopped at 8 silent ticks from the last INPUT, the 2 % TCP loss row had 45 corrections against
 * 26, and the +150 ms spike row 41 against 12.
 */
export function neutralizeAfterTicks(repeatInputTicks: number, keepalive: number): number {
  return repeatInputTicks + keepalive;
}
