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
 * {@link MAX_INPUT_KEEPALIVE_TICKS}: a held key then survives a keepalive up to
 * `repeatInputTicks - keepalive + 1` ticks late (5 ticks, 167 ms by default) before the room
 * stops the player, against 8 when every tick is sent.
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
