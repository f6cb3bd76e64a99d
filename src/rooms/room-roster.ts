import { ByteWriter } from '../../shared/binary/byte-writer';
import { encodeControl, ROSTER_PAGE, type PlayerJoinedMessage, type PlayerLeftMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { nameKey, uniqueName } from '../../shared/protocol/player-name';
import { writeDetachedIds } from '../../shared/protocol/snapshot-message';
import type { PlayerSlot } from './player-slot';

/** Where roster news goes: the room, which sends one control message to every player. */
export interface RosterBroadcaster {
  broadcastControl(type: MessageType, body: unknown): void;
}

/**
 * Who is in a room: the players in join order and by id, their names, their ids, which of them
 * are detached, and the roster news (joins, leaves, pages of a big roster) still to tell.
 * The room decides when; the roster keeps the lists and encodes the messages.
 */
export class RoomRoster<I> {
  /** Players in join order (the room's `players`: the same array). */
  readonly players: PlayerSlot<I>[] = [];
  /** The next player id to try (see allocatePlayerId); travels with a moved room. */
  nextPlayerId = 1;
  /**
   * The detached list as it opens every snapshot body, encoded when the list changes (a drop,
   * a resume, a leave), not at every send.
   */
  detachedBytes: Uint8Array = Uint8Array.of(0);
  private readonly byId = new Map<number, PlayerSlot<I>>();
  /** Names in use, by {@link nameKey}. */
  private readonly nameKeys = new Set<string>();
  // Roster changes since the last tick, announced together at the start of the next one.
  private joinedSinceTick: [number, string][] = [];
  private leftSinceTick: number[] = [];
  /** Detached player ids, ascending; rebuilt when a player drops or comes back. */
  private detachedIds: number[] = [];

  constructor(private readonly broadcaster: RosterBroadcaster) {}

  /** The player seated under `playerId`, if any. */
  get(playerId: number): PlayerSlot<I> | undefined {
    return this.byId.get(playerId);
  }

  /** True when `slot` is the one seated under its id (not a stale slot of a player who left). */
  seats(slot: PlayerSlot<I>): boolean {
    return this.byId.get(slot.id) === slot;
  }

  /** A name no other player here has ("name 2", "name 3"... when taken), now reserved. */
  takeName(requested: string): string {
    const name = uniqueName(requested, (key) => this.nameKeys.has(key));
    this.nameKeys.add(nameKey(name));
    return name;
  }

  /** Seat a new player (its name taken with {@link takeName}); everyone hears of it next tick. */
  add(slot: PlayerSlot<I>): void {
    this.players.push(slot);
    this.byId.set(slot.id, slot);
    this.joinedSinceTick.push([slot.id, slot.name]);
  }

  /** Seat a player that came with a moved room: no roster news (see Room.restoreSeat). */
  restore(slot: PlayerSlot<I>): void {
    this.players.push(slot);
    this.byId.set(slot.id, slot);
    this.nameKeys.add(nameKey(slot.name));
  }

  /** Unseat a player and free its name; the leave is told by {@link announceLeft}. */
  remove(slot: PlayerSlot<I>): void {
    this.byId.delete(slot.id);
    this.players.splice(this.players.indexOf(slot), 1);
    slot.rosterQueue = null;
    this.nameKeys.delete(nameKey(slot.name));
  }

  /** Tell everyone next tick that `playerId` left (and withdraw its join if still untold). */
  announceLeft(playerId: number): void {
    const pending = this.joinedSinceTick.findIndex((j) => j[0] === playerId);
    if (pending >= 0) this.joinedSinceTick.splice(pending, 1);
    this.leftSinceTick.push(playerId);
  }

  /** Re-encode the detached list after a drop, a resume or a leave of a detached player. */
  rebuildDetachedIds(): void {
    const ids: number[] = [];
    for (const p of this.players) if (!p.connected) ids.push(p.id);
    this.detachedIds = ids.sort((a, b) => a - b);
    const w = new ByteWriter(16);
    writeDetachedIds(w, this.detachedIds);
    this.detachedBytes = w.bytes();
  }

  /**
   * The roster page a WELCOME carries. A big room's roster goes out in pages after the
   * WELCOME (one per tick, see {@link pageRosters}), not all at once: the rest is queued on the slot.
   */
  welcomePage(slot: PlayerSlot<I>): [number, string][] {
    const players = this.players;
    const firstPage = players.length <= ROSTER_PAGE ? players : players.slice(0, ROSTER_PAGE);
    slot.rosterQueue = players.length > ROSTER_PAGE ? players.slice(ROSTER_PAGE) : null;
    return firstPage.map((p) => [p.id, p.name]);
  }

  /** Start of a tick: tell everyone who joined and left since the last, then page big rosters. */
  tellNews(): void {
    if (this.joinedSinceTick.length > 0 || this.leftSinceTick.length > 0) this.announceRoster();
    this.pageRosters();
  }

  /** Send each client that joined a big room its next roster page (players still present). */
  private pageRosters(): void {
    for (let i = 0; i < this.players.length; i++) {
      const slot = this.players[i];
      const queue = slot.rosterQueue;
      if (queue === null) continue;
      const page: [number, string][] = [];
      while (page.length < ROSTER_PAGE && queue.length > 0) {
        const p = queue.pop()!;
        if (this.byId.get(p.id) === p) page.push([p.id, p.name]);
      }
      const message: PlayerJoinedMessage = { players: page };
      if (queue.length === 0) {
        slot.rosterQueue = null;
        message.rosterEnd = true;
      }
      if (slot.connected) slot.client.send(encodeControl(MessageType.PlayerJoined, message));
    }
  }

  /** Tell everyone who joined and left since the last tick: one message each, same bytes for all. */
  private announceRoster(): void {
    if (this.joinedSinceTick.length > 0)
      this.broadcaster.broadcastControl(MessageType.PlayerJoined, { players: this.joinedSinceTick } satisfies PlayerJoinedMessage);
    if (this.leftSinceTick.length > 0)
      this.broadcaster.broadcastControl(MessageType.PlayerLeft, { playerIds: this.leftSinceTick } satisfies PlayerLeftMessage);
    this.joinedSinceTick = [];
    this.leftSinceTick = [];
  }

  /** A free player id (u16, never 0). */
  allocatePlayerId(): number {
    // Ids are u16 and unique among present players; they wrap after 65535 joins. An id whose
    // leave is not yet announced stays taken until the next tick: reused at once, the tick's
    // PLAYER_JOINED would name it before the PLAYER_LEFT that removes it, and clients would drop
    // the newcomer. Only a room of 65535 players with churn in one tick runs out of such ids;
    // then an unannounced id is reused and its stale PLAYER_LEFT is withdrawn instead.
    for (let tries = 0; tries < 0xffff; tries++) {
      const id = this.nextPlayerId;
      this.nextPlayerId = id >= 0xffff ? 1 : id + 1;
      if (!this.byId.has(id) && !this.leftSinceTick.includes(id)) return id;
    }
    return this.leftSinceTick.shift()!;
  }
}
