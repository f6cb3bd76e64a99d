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
      admin: { port: 0 },
      auth: { secret: TEST_SECRET, audience: false, issuer: false },
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
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`http://127.0.0.1:${h!.server.port}${path}`, { headers });
    const text = await res.text();
    return {
      status: res.status,
      body: (res.headers.get('content-type') === 'application/json' ? JSON.parse(text) : { text }) as Record<string, unknown>,
      headers: res.headers,
    };
  };
  const bearer = async (sub: string, secret = TEST_SECRET, ttlSec?: number) => ({
    authorization: `Bearer ${await mintHs256(secret, { subject: sub, ttlSec })}`,
  });

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

  it('profiles over HTTP: strangers see the public fields, the owner every field, a bad token a 401', async () => {
    await serve(await freshDatabase());
    data!.profiles.recordMatch('u-ann', 'ann', { kills: 3, deaths: 1, score: 3 });
    data!.profiles.recordMatch('ann@example.com', 'mail', { kills: 1, deaths: 0, score: 1 });
    await data!.flush();
    data!.profiles.recordMatch('u-ann', 'ann', { kills: 2, deaths: 0, score: 5 }); // not yet written
    const publicView = { userId: 'u-ann', displayName: 'ann', kills: 5, deaths: 1, matches: 2, bestScore: 5 };
    const stranger = await get('/profiles/u-ann');
    expect(stranger).toMatchObject({ status: 200, body: publicView });
    expect(Object.keys(stranger.body).sort()).toEqual(Object.keys(publicView).sort());
    // Another player's valid token: still a stranger here.
    expect((await get('/profiles/u-ann', await bearer('u-ben'))).body).toEqual(publicView);
    const owner = await get('/profiles/u-ann', await bearer('u-ann'));
    expect(owner).toMatchObject({ status: 200, body: publicView });
    expect(Date.parse(owner.body.lastSeenAt as string)).toBeGreaterThanOrEqual(Date.parse(owner.body.createdAt as string));
    // An email-shaped id reads like any other: 200 for a player, 404 for anyone else, nothing more.
    expect(Object.keys((await get('/profiles/ann%40example.com')).body)).not.toContain('lastSeenAt');
    expect(await get('/profiles/nobody%40example.com')).toMatchObject({
      status: 404,
      body: { error: 'no profile for user nobody@example.com' },
    });

    const forged = await get('/profiles/u-ann', await bearer('u-ann', 'another-secret-of-at-least-32-bytes!!'));
    expect(forged.status).toBe(401);
    expect(forged.body.text).toMatch(/^token refused \(bad_signature\)/);
    expect(forged.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await get('/profiles/u-ann', await bearer('u-ann', TEST_SECRET, -60))).toMatchObject({
      status: 401,
      body: { text: expect.stringMatching(/^token refused \(expired\)/) },
    });
    expect(await get('/profiles/u-ann', { authorization: 'Basic dTpw' })).toMatchObject({
      status: 401,
      body: { text: expect.stringMatching(/Authorization must be "Bearer <token>"/) },
    });
  });

  it('the leaderboard: public rows, cursor pages through ties without a gap or a repeat, offset capped at 1000', async () => {
    await serve(await freshDatabase());
    const kills = { 'u-a': 2, 'u-b': 5, 'u-c': 2, 'u-d': 2, 'u-e': 0, 'u-f': 5, 'u-g': 2 };
    for (const [user, k] of Object.entries(kills)) data!.profiles.recordMatch(user, user.slice(2), { kills: k, deaths: 0, score: k });
    await data!.flush();
    const order = ['u-b', 'u-f', 'u-a', 'u-c', 'u-d', 'u-g', 'u-e'];
    const seen: [number, string][] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const page = await get(`/leaderboard?by=kills&limit=3${next ? `&after=${next}` : ''}`);
      expect(page.status).toBe(200);
      const entries = page.body.entries as Record<string, unknown>[];
      for (const e of entries)
        expect(Object.keys(e).sort()).toEqual(['bestScore', 'deaths', 'displayName', 'kills', 'matches', 'rank', 'userId']);
      seen.push(...entries.map((e) => [e.rank as number, e.userId as string] as [number, string]));
      next = page.body.next as string | null;
      pages++;
    } while (next && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(order.map((u, i) => [i + 1, u]));
    const byOffset = await get('/leaderboard?by=kills&limit=2&offset=3');
    expect(byOffset.body).toMatchObject({
      offset: 3,
      entries: [
        { rank: 4, userId: 'u-c' },
        { rank: 5, userId: 'u-d' },
      ],
    });
    // The offset page's cursor carries on from there.
    const after = await get(`/leaderboard?by=kills&limit=5&after=${byOffset.body.next as string}`);
    expect((after.body.entries as { userId: string }[]).map((e) => e.userId)).toEqual(['u-g', 'u-e']);
    expect(after.body.next).toBeNull();
    expect(await get('/leaderboard?offset=1000')).toMatchObject({ status: 200, body: { entries: [] } });
    expect(await get('/leaderboard?offset=1001')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^offset must be 0-1000; to read deeper, follow the pages' next cursor/) },
    });
    expect(await get('/leaderboard?after=1.2.%2F%2F')).toMatchObject({
      status: 400,
      body: { error: 'after must be the `next` of a leaderboard page' },
    });
    expect(await get(`/leaderboard?offset=0&after=${byOffset.body.next as string}`)).toMatchObject({ status: 400 });
    expect(await get('/leaderboard?limit=101')).toMatchObject({ status: 400, body: { error: 'limit must be 1-100' } });
  });

  it('notifications: stored while the user is offline, delivered on connect, marked read once shown; live while online', async () => {
    const db = await freshDatabase();
    await serve(db);
    const post = (user: string, text: string) =>
      fetch(`http://127.0.0.1:${h!.server.adminPort}/notice?user=${user}`, { method: 'POST', body: text }).then(async (r) => ({
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
