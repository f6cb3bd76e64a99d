import type { ArenaInput, ArenaState } from '../../shared/games/arena';
import type { Room } from '../rooms/room';
import type { RoomTypeDefinition } from '../rooms/room-type';
import type { MatchLine, ProfileStore } from './profile-store';

/** A partial match (a leave, or a room disposed mid-match) counts after this much play, ms, or any kill or death. */
export const MIN_PARTIAL_MATCH_MS = 30_000;

/** An authenticated player in one room, as the stats remember it. */
interface Tracked {
  userId: string;
  name: string;
  /** The first tick of its current match (its join, or the match's start). */
  since: number;
}

/**
 * The arena room type, with its players' lifetime stats kept in their profiles: at the end of
 * every match (`ArenaState.lastMatch`) each authenticated player's kills, deaths and score are
 * added; a player who leaves mid-match, or is in a room that closes, has its part counted if it
 * played {@link MIN_PARTIAL_MATCH_MS} or killed or died. Guests get nothing. The writes are
 * queued in the store and land in batches, so the tick never waits on the database. Written
 * with the room type API alone, as any game would: the hooks given in `def` still run.
 *
 * ```ts
 * defineRoomType(withArenaStats({ game: arenaGame }, data.profiles))
 * ```
 */
export function withArenaStats<P>(
  def: RoomTypeDefinition<ArenaState, ArenaInput, P>,
  profiles: ProfileStore,
): RoomTypeDefinition<ArenaState, ArenaInput, P> {
  /** Each room's authenticated players, by player id. */
  const rooms = new WeakMap<Room<ArenaState, ArenaInput, P>, Map<number, Tracked>>();
  const of = (room: Room<ArenaState, ArenaInput, P>) => {
    let players = rooms.get(room);
    if (!players) rooms.set(room, (players = new Map()));
    return players;
  };
  const record = (t: Tracked, score: number, deaths: number) => {
    const line: MatchLine = { kills: score, deaths, score };
    profiles.recordMatch(t.userId, t.name, line);
  };
  const recordPartial = (room: Room<ArenaState, ArenaInput, P>, t: Tracked, playerId: number) => {
    const p = room.state.players.find((q) => q.id === playerId);
    if (!p) return;
    const playedMs = ((room.state.tick - t.since) * 1000) / room.state.rules.tickRate;
    if (playedMs >= MIN_PARTIAL_MATCH_MS || p.score > 0 || p.deaths > 0) record(t, p.score, p.deaths);
  };
  return {
    ...def,
    onJoin(room, player) {
      const userId = player.identity?.userId;
      if (userId) of(room).set(player.id, { userId, name: player.name, since: room.state.tick });
      def.onJoin?.(room, player);
    },
    onTick(room) {
      // The step ends a match on the ticks that are multiples of matchTicks (and this hook runs
      // after every step): one modulo a tick, nothing looked up between matches.
      const state = room.state;
      if (state.tick % state.rules.matchTicks === 0) {
        const players = of(room);
        for (const line of state.lastMatch) {
          const t = players.get(line.id);
          if (!t) continue;
          record(t, line.score, line.deaths);
          t.since = state.tick;
        }
      }
      def.onTick?.(room);
    },
    onLeaving(room, player) {
      const players = of(room);
      const t = players.get(player.id);
      if (t) {
        recordPartial(room, t, player.id);
        players.delete(player.id);
      }
      def.onLeaving?.(room, player);
    },
    onDispose(room) {
      const players = of(room);
      for (const [id, t] of players) recordPartial(room, t, id);
      players.clear();
      def.onDispose?.(room);
    },
  };
}
