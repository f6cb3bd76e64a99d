import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { arenaGame, type ArenaState } from '../../shared/games/arena';
import { tickRules } from '../../shared/games/arena/arena-rules';
import type { DatabaseOptions } from '../../src/persistence/database';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { withArenaStats } from '../../src/profiles/arena-stats';
import { defineRoomType } from '../../src/rooms/room-type';
import { mintHs256, TEST_SECRET } from '../support/jwt-fixtures';
import { flush, nextEvent, startServer } from '../support/server-harness';
import { scratchPostgres, type ScratchPostgres } from '../support/test-database';

/**
 * Profiles, chat history and notifications through a real server and SDK clients, on both
 * databases, across a server restart: the data is closed with the server and opened again.
 * SQLite keeps its data in a temporary folder here (the restart must find it on disk).
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const backends: [string, () => Promise<DatabaseOptions>][] = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tickwire-social-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return Promise.resolve({ dataDir: dir });
    },
  ],
  [
    'postgres',
    async () => {
      const s: ScratchPostgres = await scratchPostgres();
      cleanups.push(() => s.drop());
      return { url: s.url };
    },
  ],
];

describe.each(backends)('social systems on %s', (_kind, freshDatabase) => {
  let h: Awaited<ReturnType<typeof startServer>> | undefined;
  let data: TickwireData | undefined;
  afterEach(async () => {
    await h?.close();
    await data?.close();
    h = data = undefined;
  });

  /** A server on `options`' database, with authentication and the arena's stats. */
  let onLeave = () => {};
  async function serve(options: DatabaseOptions, chat = {}) {
    data = await TickwireData.open(options);
    h = await startServer({
      roomTypes: [defineRoomType(withArenaStats({ game: arenaGame, onLeave: () => onLeave() }, data.profiles))],
      auth: { secret: TEST_SECRET },
      data,
      chat: { ratePerSecond: 1000, burst: 1000, ...chat },
    });
    return h;
  }
  async function restart() {
    await h!.close();
    await data!.close();
  }
  const as = async (sub: string, name: string) => h!.client(name, { token: await mintHs256(TEST_SECRET, { subject: sub }) });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${h!.server.port}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('profiles: a match’s end and a leave add up, guests get none, and it all survives a restart', async () => {
    const db = await freshDatabase();
    await serve(db);
    const ann = await as('u-ann', 'ann');
    const ben = await as('u-ben', 'ben');
    const guest = h!.client('cat', { token: undefined });
    const wa = await ann.connect();
    const wb = await ben.connect();
    expect(wa.userId).toBe('u-ann');
    await expect(guest.connect()).rejects.toThrow(); // auth on: a guest is refused
    const room = h!.server.rooms.rooms.get(wa.roomId)!;
    const state = room.state as ArenaState;
    const player = (id: number) => state.players.find((p) => p.id === id)!;
    // What the arena's kills would do; the arena's own tests cover the shooting.
    player(wa.playerId).score = 3;
    player(wa.playerId).deaths = 1;
    player(wb.playerId).deaths = 3;
    // To the match's end, two seconds at a time, the clients answering between (a server
    // ticked minutes ahead in one go would find them silent and drop them).
    while (state.tick < tickRules(30).matchTicks) {
      h!.tick(Math.min(60, tickRules(30).matchTicks - state.tick));
      await flush(ann);
      await flush(ben);
    }
    expect(state.matchesEnded).toBe(1);
    expect(player(wa.playerId).score).toBe(0); // a new match
    player(wa.playerId).score = 2;
    const left = new Promise<void>((resolve) => (onLeave = resolve));
    ann.close();
    await left;
    await restart();

    await serve(db);
    const profile = await get('/profiles/u-ann');
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ userId: 'u-ann', displayName: 'ann', kills: 5, deaths: 1, matches: 2, bestScore: 3 });
    expect(await get('/profiles/u-ben')).toMatchObject({ body: { kills: 0, deaths: 3, matches: 1, bestScore: 0 } });
    expect(await get('/profiles/nobody')).toMatchObject({ status: 404 });
    const board = await get('/leaderboard?by=kills&limit=5');
    expect((board.body.entries as { rank: number; userId: string }[]).map((e) => [e.rank, e.userId])).toEqual([
      [1, 'u-ann'],
      [2, 'u-ben'],
    ]);
    expect(await get('/leaderboard?by=elo')).toMatchObject({ status: 400, body: { error: 'by must be one of kills, bestScore, matches' } });
  });

  it('notifications: stored while the user is offline, delivered on connect, marked read once shown; live while online', async () => {
    const db = await freshDatabase();
    await serve(db);
    const post = (user: string, text: string) =>
      fetch(`http://127.0.0.1:${h!.server.port}/notice?user=${user}`, { method: 'POST', body: text }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { id: number; stored: boolean },
      }));
    const sent = await post('u-zed', 'your clan won the weekly cup');
    expect(sent).toMatchObject({ status: 202, body: { stored: true } });
    expect(await data!.notifications.unread('u-zed')).toHaveLength(1);
    await restart();

    await serve(db);
    const zed = await as('u-zed', 'zed');
    const told = nextEvent(zed, 'notice');
    await zed.connect();
    expect((await told)[0]).toMatchObject({ kind: 'direct', id: sent.body.id, message: 'your clan won the weekly cup' });
    await flush(zed); // the SDK's NOTICE_READ is in before this PONG
    expect(await data!.notifications.unread('u-zed')).toEqual([]);
    // Online now: the next one arrives at once, and is read too.
    const live = nextEvent(zed, 'notice');
    const second = await post('u-zed', 'a friend is online');
    expect((await live)[0]).toMatchObject({ id: second.body.id, message: 'a friend is online' });
    await flush(zed);
    expect(await data!.notifications.unread('u-zed')).toEqual([]);
    expect(h!.server.health().notifications).toMatchObject({ deliveredOnConnect: 1, deliveredLive: 1, acknowledged: 2 });
  });

  it('chat: history and a signed-in user’s mutes survive a restart; pages older than memory come from the database', async () => {
    const db = await freshDatabase();
    await serve(db, { keepInMemory: 10, historyOnJoin: 5 });
    const ann = await as('u-ann', 'ann');
    await ann.connect();
    for (let i = 0; i < 30; i++) ann.say('lobby', `line ${i}`);
    await flush(ann);
    h!.tick();
    const muted = nextEvent(ann, 'mutes', (users) => users.includes('u-troll'));
    ann.mute('u-troll');
    await muted;
    await restart();

    await serve(db, { keepInMemory: 10, historyOnJoin: 5 });
    const again = await as('u-ann', 'ann');
    const mutes = nextEvent(again, 'mutes');
    const history = nextEvent(again, 'chat', (e) => e.ch === 'lobby' && e.kind === 'history');
    await again.connect();
    expect((await mutes)[0]).toEqual(['u-troll']);
    expect((await history)[0].lines.map((l) => l.text)).toEqual(['line 25', 'line 26', 'line 27', 'line 28', 'line 29']);
    while (again.chat.more.lobby) {
      const page = nextEvent(again, 'chat', (e) => e.kind === 'page');
      again.loadOlderChat('lobby', 7);
      await page;
    }
    expect(again.chat.get('lobby').map((l) => l.text)).toEqual(Array.from({ length: 30 }, (_, i) => `line ${i}`));
  });
});
