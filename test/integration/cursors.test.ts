import { afterEach, describe, expect, it } from 'vitest';
import { arenaGame } from '../../shared/games/arena';
import { BOARD_W, CURSOR_COLOURS, CursorField, cursorsGame, type CursorInput } from '../../shared/games/cursors';
import { defineRoomType } from '../../src/rooms/room-type';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { flush, nextEvent, startServer } from '../support/server-harness';

/**
 * The cursors board: a second GameDefinition beside the arena on one server, over real sockets,
 * with no change to the server. Time is the harness's ManualClock (a 33 ms pump runs two of
 * the cursors room's 60 Hz ticks).
 */
describe('the cursors room type (a second game on the same server)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  const server = () =>
    startServer({
      roomTypes: [defineRoomType({ game: arenaGame }), defineRoomType({ game: cursorsGame, tickRate: 60, sendRate: 60, maxPlayers: 64 })],
    });
  const cursorClient = (name: string) =>
    h.client(name, { game: cursorsGame, roomType: 'cursors' } as never) as unknown as TickwireClient<unknown, CursorInput>;

  /**
   * Send `input` and pump until `watcher` sees it applied (the input is stamped a little ahead
   * of the server's tick, so it may take a few pumps on a busy machine; 30 is a second's worth).
   */
  async function move(c: TickwireClient<unknown, CursorInput>, watcher: TickwireClient<unknown, CursorInput>, input: CursorInput) {
    c.sendInput(input);
    await flush(c);
    const want = input.present ? [Math.min(input.x, BOARD_W), input.y, 1] : undefined;
    for (let i = 0; i < 30; i++) {
      const snap = nextEvent(watcher, 'snapshot');
      h.tick();
      await snap;
      const row = watcher.latest.indexOf(c.playerId);
      if (row < 0) continue;
      const seen = [
        watcher.latest.get(row, CursorField.X),
        watcher.latest.get(row, CursorField.Y),
        watcher.latest.get(row, CursorField.Present),
      ];
      if (want ? seen.every((v, k) => v === want[k]) : seen[2] === 0) return;
    }
  }

  it('everyone sees everyone’s pointer, with the name and a colour; an arena player is not in that room', async () => {
    h = await server();
    const ada = cursorClient('ada');
    const bo = cursorClient('bo');
    const wa = await ada.connect();
    const wb = await bo.connect();
    expect(wa.roomType).toBe('cursors');
    expect(wa.tickRate).toBe(60);
    expect(wb.roomId).toBe(wa.roomId);
    const fighter = h.client('fighter');
    expect((await fighter.connect()).roomType).toBe('arena');

    await move(ada, bo, { x: 100, y: 200, present: 1 });
    const row = bo.latest.indexOf(wa.playerId);
    expect(row).toBeGreaterThanOrEqual(0);
    expect([bo.latest.get(row, CursorField.X), bo.latest.get(row, CursorField.Y), bo.latest.get(row, CursorField.Present)]).toEqual([
      100, 200, 1,
    ]);
    expect(bo.latest.get(row, CursorField.Colour)).toBe((wa.playerId * 7) % CURSOR_COLOURS);
    expect(bo.players.get(wa.playerId)).toBe('ada');
    expect(bo.latest.count).toBe(2);

    // The pointer leaves the board: hidden, and it keeps its place.
    await move(ada, bo, { x: 999, y: 999, present: 0 });
    const hidden = bo.latest.indexOf(wa.playerId);
    expect([bo.latest.get(hidden, CursorField.X), bo.latest.get(hidden, CursorField.Present)]).toEqual([100, 0]);
  });

  it('the server pulls a position off the board back onto it', async () => {
    h = await server();
    const ada = cursorClient('ada');
    const bo = cursorClient('bo');
    const wa = await ada.connect();
    await bo.connect();
    await move(ada, bo, { x: 60_000, y: 3, present: 1 });
    const row = bo.latest.indexOf(wa.playerId);
    expect(bo.latest.get(row, CursorField.X)).toBe(BOARD_W);
    expect(bo.latest.get(row, CursorField.Y)).toBe(3);
  });
});
