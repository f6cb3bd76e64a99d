import { ArenaGlobalField, ArenaKind } from '../../shared/games/arena/arena-replication';
import type { EntityTable } from '../../shared/replication/entity-table';
import { playerColor } from './palette';

/** How often the list is rebuilt, ms (scores change a few times a minute). */
const REFRESH_MS = 500;

/**
 * Names and scores of everyone in the room, best first, in a corner list: from the SDK's
 * `globals` table (GLOBALS messages), so players outside the view count too. Rebuilt only when
 * the ranking text changes, and at most every {@link REFRESH_MS}.
 */
export class Scoreboard {
  private lastRefresh = -Infinity;
  private shown = '';
  private readonly rows: { id: number; score: number }[] = [];

  constructor(private readonly el: HTMLOListElement) {}

  /** @param matchSecondsLeft whole seconds until the match ends and scores start again */
  update(now: number, globals: EntityTable | null, names: ReadonlyMap<number, string>, ownId: number, matchSecondsLeft: number): void {
    if (now - this.lastRefresh < REFRESH_MS || !globals) return;
    this.lastRefresh = now;
    const rows = this.rows;
    rows.length = 0;
    for (let r = 0; r < globals.count; r++) {
      if (globals.kinds[r] === ArenaKind.Player) rows.push({ id: globals.ids[r], score: globals.get(r, ArenaGlobalField.Score) });
    }
    rows.sort((a, b) => b.score - a.score || a.id - b.id);
    const left = Math.max(0, matchSecondsLeft);
    let key = `${left};`;
    for (const row of rows) key += `${row.id}:${row.score}:${names.get(row.id) ?? ''};`;
    if (key === this.shown) return;
    this.shown = key;
    const timer = document.createElement('li');
    timer.className = 'match';
    timer.textContent = `match ends in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    this.el.replaceChildren(
      timer,
      ...rows.map((row) => {
        const li = document.createElement('li');
        if (row.id === ownId) li.className = 'own';
        const who = document.createElement('span');
        const swatch = document.createElement('i');
        swatch.className = 'swatch';
        swatch.style.background = playerColor(row.id, ownId);
        who.append(swatch, names.get(row.id) ?? `#${row.id}`);
        const score = document.createElement('span');
        score.textContent = String(row.score);
        li.append(who, score);
        return li;
      }),
    );
  }
}
