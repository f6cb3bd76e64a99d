import type { PlayerJoinedMessage, PlayerLeftMessage, WelcomeMessage } from '../../../shared/protocol/control-messages';
import type { ClientCore } from './client-core';

/**
 * Who is in the room: the players WELCOME lists, kept up to date by PLAYER_JOINED and
 * PLAYER_LEFT, and brought up to date after a resume (whoever left while the link was down
 * gets a `playerLeft`, whoever came a `playerJoined`).
 */
export class Roster<S, I, P> {
  /** Present players: id → name. */
  readonly players = new Map<number, string>();
  /** Players seen since a resumed WELCOME whose roster comes in pages; null otherwise. */
  private rosterSeen: Set<number> | null = null;

  constructor(private readonly core: ClientCore<S, I, P>) {}

  /** A first WELCOME: everyone it lists is present (no events: the WELCOME says it). */
  start(w: WelcomeMessage): void {
    for (const [id, name] of w.players) this.players.set(id, name);
  }

  /** Forget the room's players. */
  reset(): void {
    this.players.clear();
    this.rosterSeen = null;
  }

  /** PLAYER_JOINED: new players (a resumed roster's pages too, the last with `rosterEnd`). */
  onPlayerJoined(message: PlayerJoinedMessage): void {
    for (const [playerId, name] of message.players) {
      this.rosterSeen?.add(playerId);
      if (this.players.get(playerId) === name) continue; // already known from the WELCOME
      this.players.set(playerId, name);
      this.core.emit('playerJoined', { playerId, name });
    }
    if (message.rosterEnd) this.endRosterCheck();
  }

  /** PLAYER_LEFT: players gone from the room. */
  onPlayerLeft(message: PlayerLeftMessage): void {
    for (const playerId of message.playerIds) {
      const name = this.players.get(playerId);
      if (name === undefined) continue; // joined and left before we knew of them
      this.players.delete(playerId);
      this.core.emit('playerLeft', { playerId, name });
    }
  }

  /** A resumed WELCOME: bring the roster up to date with the one it lists. */
  onResumed(w: WelcomeMessage): void {
    const emit = this.core.emit;
    const present = new Map(w.players);
    if (w.rosterSize > w.players.length) {
      // The rest of the roster follows in pages: drop the players who left while we were away
      // once the last page is in (see endRosterCheck).
      this.rosterSeen = new Set(present.keys());
    } else {
      for (const [playerId, name] of this.players) {
        if (present.get(playerId) === name) continue;
        this.players.delete(playerId);
        emit('playerLeft', { playerId, name });
      }
    }
    for (const [playerId, name] of present) {
      if (this.players.has(playerId)) continue;
      this.players.set(playerId, name);
      emit('playerJoined', { playerId, name });
    }
  }

  /** The resumed roster's last page is in: whoever was not in it has left. */
  private endRosterCheck(): void {
    const seen = this.rosterSeen;
    if (!seen) return;
    this.rosterSeen = null;
    for (const [playerId, name] of this.players) {
      if (seen.has(playerId)) continue;
      this.players.delete(playerId);
      this.core.emit('playerLeft', { playerId, name });
    }
  }
}
