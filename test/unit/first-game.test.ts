import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { walkersGame } from '../../examples/first-game/walkers';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireClient } from '../../src/sdk/tickwire-client';
import { memoryServer } from '../support/memory-harness';

/**
 * The README's "your first game": the files it shows are examples/first-game/ as they are (so the
 * snippet cannot rot; `npx tsc --noEmit` type-checks them against the public imports), and the
 * game plays: a real server and SDK over an in-memory link, on manual time.
 */
const EXAMPLE = new URL('../../examples/first-game/', import.meta.url);
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README first game', () => {
  it.each(['walkers.ts', 'server.ts', 'client.ts'])('the README shows examples/first-game/%s exactly', (file) => {
    const source = readFileSync(new URL(file, EXAMPLE), 'utf8');
    expect(README).toContain('```ts\n' + source + '```');
  });

  it('a player holding "right" is walked right by the server, 4 units a tick, and nowhere else', async () => {
    const h = memoryServer({ roomTypes: [defineRoomType({ game: walkersGame })] });
    await h.server.listen();
    const client = new TickwireClient({
      url: 'memory:',
      game: walkersGame,
      name: 'ada',
      connect: () => h.server.openMemoryLink({ timers: h.time }).client,
      clock: h.time,
      timers: h.time,
      random: () => 0,
      pingIntervalMs: 0,
    });
    const joining = client.connect();
    await h.tick();
    const welcome = await joining;
    expect(welcome.playerId).toBeGreaterThan(0);
    // One input per server tick, on the test's own fixed step (the example paces with inputsDue).
    for (let t = 0; t < 100; t++) {
      expect(client.sendInput({ keys: 2 })).toBeGreaterThan(0);
      await h.tick();
    }
    const row = client.latest.indexOf(client.playerId);
    expect(row).toBeGreaterThanOrEqual(0);
    const x = client.latest.get(row, 0);
    // Starts at the centre (500, 500); every applied input moves it 4 units right, y untouched.
    expect(x).toBeGreaterThan(500 + 4 * 50);
    expect((x - 500) % 4).toBe(0);
    expect(client.latest.get(row, 1)).toBe(500);
    client.close();
    await h.server.close();
  });

  it('the step clamps to the field and the input codec masks unknown bits', () => {
    const state = walkersGame.createState({ seed: 1, tickRate: 60 });
    walkersGame.addPlayer(state, 2, 'b');
    walkersGame.addPlayer(state, 1, 'a');
    expect(state.walkers.map((w) => w.id)).toEqual([1, 2]);
    const left = { keys: 1 };
    for (let t = 0; t < 200; t++) walkersGame.step(state, { get: (id) => (id === 1 ? left : undefined) });
    expect(state.walkers[0]).toMatchObject({ x: 0, y: 500 });
    expect(state.walkers[1]).toMatchObject({ x: 500, y: 500 });
    expect(walkersGame.tickOf(state)).toBe(200);
  });
});
