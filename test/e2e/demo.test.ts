import { CursorField, cursorsGame } from '../../shared/games/cursors';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWN_PLAYER_RGB } from '../../client-demo/src/palette';
import { replay } from '../../shared/game/replay';
import { arenaGame, PlayerField, tickRules, WORLD_W } from '../../shared/games/arena';
import { createLogger } from '../../src/logging/logger';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireServer } from '../../src/server/tickwire-server';
import { TickwireClient, type WebSocketConstructor } from '../../src/sdk/tickwire-client';
import WebSocket from 'ws';
import { recordArenaSession } from './arena-replay-log';
import { assertDemoBuilt, DEMO_DIST, launchChromium, playerContext, SCREENS } from '../support/browser-demo';

/**
 * The whole stack in a real Chromium: the built demo served by a real server on a real socket,
 * real keyboard input, real frames. Everything waits on a condition (page.waitForFunction);
 * nothing sleeps. The tests of one page run in order (they share alice and bob); the drain
 * across two nodes and the default WebRTC-off demo are in demo-nodes.test.ts.
 */

/** How far the test walks the player, world units (80 px, about a third of a second of walking). */
const WALK_UNITS = 80 * 8;

let server: TickwireServer;
let browser: Browser;
let baseUrl: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  assertDemoBuilt();
  server = new TickwireServer({
    roomTypes: [defineRoomType({ game: arenaGame }), defineRoomType({ game: cursorsGame, tickRate: 60, sendRate: 60 })],
    port: 0,
    host: '127.0.0.1',
    staticDir: DEMO_DIST,
    logger: createLogger('warn'),
    drainMs: 1500,
    // The demo tries WebRTC first ('auto'): every test here plays over a real data channel.
    webrtc: { enabled: true },
    // The monitor is served on the admin port, as `npm start` has it.
    admin: { port: 0 },
  });
  const { port } = await server.listen();
  baseUrl = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A new player: its own browser context (as a second person would be), the demo loaded. */
async function openPlayer(name: string, query = ''): Promise<Page> {
  const context = await playerContext(browser);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium logs every refused request; the SDK's POST /matchmake to a draining (then closed)
    // node is refused by design, and the shutdown test checks what the page made of it.
    if (msg.type() === 'error' && msg.text().startsWith('Failed to load resource') && msg.location().url.includes('/matchmake?')) return;
    if (msg.type() === 'error') pageErrors.push(`${name} console: ${msg.text()} @ ${msg.location().url}`);
  });
  await page.goto(`${baseUrl}/?name=${encodeURIComponent(name)}${query}`);
  return page;
}

/** The local player's x: predicted, and as of the newest server snapshot (-1 if absent). */
function ownX(page: Page): Promise<{ predicted: number; server: number }> {
  return page.evaluate((xField) => {
    const c = window.__tickwire!.client;
    const row = c.latest.indexOf(c.playerId);
    return { predicted: c.predicted?.x ?? -1, server: row < 0 ? -1 : c.latest.get(row, xField) };
  }, PlayerField.X);
}

describe('browser demo', () => {
  let alice: Page;
  let bob: Page;

  it('loads, connects and draws the own player in its colour', async () => {
    alice = await openPlayer('alice');
    await alice.waitForFunction(() => {
      const d = window.__tickwire;
      return d?.status === 'playing' && d.playersDrawn >= 1 && d.ownScreen !== null && d.client.predicted?.alive === true;
    });
    // The canvas pixel under the own player's centre, read from the same frame that set ownScreen.
    const pixel = await alice.evaluate(() => {
      const { ownScreen } = window.__tickwire!;
      const canvas = document.getElementById('arena') as HTMLCanvasElement;
      const k = canvas.width / canvas.clientWidth;
      const data = canvas.getContext('2d')!.getImageData(Math.round(ownScreen!.x * k), Math.round(ownScreen!.y * k), 1, 1).data;
      return [data[0], data[1], data[2]];
    });
    for (let i = 0; i < 3; i++)
      expect(Math.abs(pixel[i] - OWN_PLAYER_RGB[i]), `pixel ${pixel} vs own colour ${OWN_PLAYER_RGB}`).toBeLessThanOrEqual(2);
    // Over WebRTC: the server offers it, and Chromium's data channel reached it.
    expect(await alice.evaluate(() => window.__tickwire!.client.transport)).toBe('webrtc');
    expect(server.health().webrtc?.channelsOpened).toBeGreaterThanOrEqual(1);
  });

  it('plays over WebSocket when asked (?transport=ws), in the same room as a WebRTC player', async () => {
    const page = await openPlayer('wsplayer', '&transport=ws');
    await page.waitForFunction(() => window.__tickwire?.status === 'playing' && window.__tickwire.playersDrawn >= 2);
    expect(await page.evaluate(() => window.__tickwire!.client.transport)).toBe('ws');
    await page.context().close();
  });

  it('moves with a held key, and the server agrees', async () => {
    const start = await ownX(alice);
    const mispredictedBefore = await alice.evaluate(() => window.__tickwire!.client.stats.mispredictions);
    // Walk towards the far side, so a spawn near a wall still leaves room to move.
    const goRight = start.predicted < WORLD_W / 2;
    await alice.keyboard.down(goRight ? 'd' : 'a');
    await alice.waitForFunction(
      ([x0, dist, right]) => {
        const x = window.__tickwire!.client.predicted!.x;
        return right ? x >= x0 + dist : x <= x0 - dist;
      },
      [start.predicted, WALK_UNITS, goRight] as const,
    );
    await alice.keyboard.up(goRight ? 'd' : 'a');
    // Every input from here on is "stand still". Record where prediction put the player *before*
    // the server has applied the walk; once it has, its authoritative x must be the same.
    const atKeyUp = await alice.evaluate(() => ({
      seq: window.__tickwire!.client.lastInputTick,
      x: window.__tickwire!.client.predicted!.x,
    }));
    await alice.waitForFunction((seq) => window.__tickwire!.client.lastAckedSeq >= seq, atKeyUp.seq);
    const end = await ownX(alice);
    // A starved server tick repeats the last input, which the client counts as a misprediction;
    // each can move the player by at most one step. Without one, server and prediction agree exactly.
    const mispredicted = (await alice.evaluate(() => window.__tickwire!.client.stats.mispredictions)) - mispredictedBefore;
    expect(Math.abs(end.server - atKeyUp.x)).toBeLessThanOrEqual(mispredicted * tickRules(30).playerStep);
    expect(goRight ? end.server - start.server : start.server - end.server).toBeGreaterThanOrEqual(WALK_UNITS);
  });

  it('shows a second player on both pages, with names', async () => {
    bob = await openPlayer('bob');
    const seesOther = (other: string) =>
      [...window.__tickwire!.client.players.values()].includes(other) && window.__tickwire!.playersDrawn >= 2;
    await bob.waitForFunction(seesOther, 'alice');
    await alice.waitForFunction(seesOther, 'bob');
  });

  it('chats between two pages: room and lobby lines reach the other page, typing does not move the player, a mute holds', async () => {
    const texts = (page: Page) => page.locator('#chat .chat-lines li .text').allTextContents();
    const shows = (text: string) => Array.from(document.querySelectorAll('#chat .chat-lines li .text')).some((e) => e.textContent === text);
    await alice.bringToFront();
    const before = await ownX(alice);
    await alice.keyboard.press('Enter'); // Enter takes the keyboard to the chat box
    await alice.keyboard.type('dddd hello bob'); // D walks right in the game: not while typing
    await alice.keyboard.press('Enter');
    await bob.waitForFunction(shows, 'dddd hello bob');
    expect(await bob.locator('#chat .chat-lines li:not(.own) .who').last().textContent()).toBe('alice');
    expect((await ownX(alice)).predicted).toBe(before.predicted);
    await alice.keyboard.press('Escape');

    await bob.bringToFront();
    await bob.click('#chat-tab-lobby');
    await bob.fill('#chat-input', 'lobby says hi');
    await bob.press('#chat-input', 'Enter');
    await alice.waitForFunction(() => window.__tickwire!.client.chat.get('lobby').some((l) => l.text === 'lobby says hi'));
    expect(await alice.locator('#chat-tab-lobby').textContent()).toBe('Lobby (1)');
    await bob.click('#chat-tab-room');
    await bob.fill('#chat-input', 'room reply');
    await bob.press('#chat-input', 'Enter');
    await alice.waitForFunction(shows, 'room reply');
    mkdirSync(SCREENS, { recursive: true });
    await alice.screenshot({ path: `${SCREENS}/chat.png` });

    // Alice mutes Bob from his line: what he says next reaches his page, not hers.
    await alice.click('#chat .chat-lines li:not(.own) .mute >> nth=-1');
    await alice.waitForFunction(() => window.__tickwire!.client.mutes.size === 1);
    await bob.fill('#chat-input', 'you will not see this');
    await bob.press('#chat-input', 'Enter');
    await bob.waitForFunction(shows, 'you will not see this');
    await alice.fill('#chat-input', 'quiet now');
    await alice.press('#chat-input', 'Enter');
    await alice.waitForFunction(shows, 'quiet now');
    expect(await texts(alice)).toEqual(['dddd hello bob', 'room reply', 'quiet now']);
    await alice.evaluate(() => window.__tickwire!.client.mute([...window.__tickwire!.client.mutes][0]!, false));
    await alice.waitForFunction(() => window.__tickwire!.client.mutes.size === 0);
    // Escape gives the keyboard back to the game, for the tests that follow.
    for (const page of [alice, bob]) await page.press('#chat-input', 'Escape');
  });

  it("draws the other player's shots, and saves a screenshot", async () => {
    // Bob holds Space (one shot per 250 ms cooldown) until Alice's page draws two of his projectiles.
    // The demo releases every key when its window loses focus, and with two headless windows
    // focus can move after the key is pressed: make Bob's window the focused one first.
    await bob.bringToFront();
    await bob.keyboard.down('Space');
    await alice
      .waitForFunction(() => window.__tickwire!.projectilesDrawn >= 2)
      .catch(async (e) => {
        // Say what Bob's side looked like, so a failure here can be told apart from a slow machine.
        const shooter = await bob.evaluate(() => {
          const c = window.__tickwire!.client;
          return { state: c.state, inputsSent: c.stats.inputsSent, acked: c.lastAckedSeq, predicted: c.predicted, hidden: document.hidden };
        });
        throw new Error(`Alice never drew two of Bob's shots; Bob: ${JSON.stringify(shooter)}`, { cause: e });
      });
    mkdirSync(SCREENS, { recursive: true });
    await alice.screenshot({ path: `${SCREENS}/demo.png` });
    await bob.keyboard.up('Space');
  });

  it('replays a Node-recorded session to the same hash in the browser', async () => {
    const { log, state } = recordArenaSession({ seed: 0x7e57, ticks: 300, players: 3 });
    // The session must have been eventful, or equal hashes would prove little.
    expect(state.players.reduce((n, p) => n + p.deaths, 0)).toBeGreaterThan(0);
    const nodeHash = replay(arenaGame, log).hash;
    expect(nodeHash).toBe(log.finalHash);
    const browserHash = await alice.evaluate((l) => window.__tickwire!.replayHash(l), log);
    expect(browserHash).toBe(nodeHash);
  });

  it('comes back as the same player, score intact, after the link drops', async () => {
    const before = await alice.evaluate(() => ({
      id: window.__tickwire!.client.playerId,
      roomId: window.__tickwire!.client.welcome!.roomId,
    }));
    const room = server.rooms.rooms.get(before.roomId)!;
    const me = (room.state as { players: { id: number; score: number }[] }).players.find((p) => p.id === before.id)!;
    me.score = 7;
    // The browser has no terminate(): the SDK closes with 4000, which the server takes as a drop.
    await alice.evaluate(() => {
      const w = window as unknown as { reconnectBanner?: string };
      window.__tickwire!.client.on('reconnecting', () => (w.reconnectBanner = document.getElementById('banner')!.textContent ?? ''));
      window.__tickwire!.client.killLink();
    });
    await alice.waitForFunction(() => window.__tickwire!.client.stats.resumes === 1 && window.__tickwire!.status === 'playing');
    const after = await alice.evaluate(() => ({
      id: window.__tickwire!.client.playerId,
      banner: (window as unknown as { reconnectBanner?: string }).reconnectBanner,
      bannerHidden: document.getElementById('banner')!.hidden,
    }));
    expect(after.id).toBe(before.id);
    expect(after.banner).toMatch(/reconnecting… \(attempt 1/);
    expect(after.bannerHidden).toBe(true);
    expect(me.score).toBe(7);
    expect(room.players.filter((p) => p.id === before.id).length).toBe(1);
    // The scoreboard reads scores from GLOBALS: the 7 shows up in the page's list.
    await alice.waitForFunction(() =>
      Array.from(document.querySelectorAll('#scoreboard li.own span:last-child')).some((el) => el.textContent === '7'),
    );
  });

  it('keeps the seat across a page reload (the resume token is in sessionStorage)', async () => {
    const before = await bob.evaluate(() => window.__tickwire!.client.playerId);
    await bob.reload();
    await bob.waitForFunction(() => window.__tickwire?.status === 'playing');
    const after = await bob.evaluate(() => ({
      id: window.__tickwire!.client.playerId,
      resumed: window.__tickwire!.client.welcome!.resumed,
    }));
    expect(after).toEqual({ id: before, resumed: true });
  });

  it('over a simulated 300 ms round trip (the net panel), moves and fires on the next frame, before the server has heard', async () => {
    const setSlider = (id: string, value: string) =>
      alice.evaluate(
        ([id, value]) => {
          (document.getElementById('netpanel') as HTMLDetailsElement).open = true;
          const input = document.getElementById(id) as HTMLInputElement;
          input.value = value;
          input.dispatchEvent(new Event('input'));
        },
        [id, value] as const,
      );
    await alice.bringToFront();
    await setSlider('net-latency', '300');
    // The net graph shows the round trip the simulator adds (pings go every second).
    await alice.waitForFunction(() => (window.__tickwire!.netGraph?.rttMs ?? 0) >= 280, undefined, { timeout: 10_000 });
    // Watch, frame by frame, for the own player to move, noting what the server had acknowledged.
    const watch = (what: 'move' | 'fire') =>
      alice.evaluate((what) => {
        const d = window.__tickwire!;
        const x0 = d.ownScreen!.x;
        const before = d.client.lastInputTick;
        const shots0 = d.shots.shots.length + d.shots.confirmed;
        (window as unknown as { __seen: Promise<unknown> }).__seen = new Promise((resolve) => {
          const check = () => {
            const moved = d.ownScreen !== null && d.ownScreen.x !== x0;
            const fired = d.shots.shots.length + d.shots.confirmed > shots0;
            if (what === 'move' ? moved : fired) resolve({ moved, fired, acked: d.client.lastAckedSeq, before });
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        });
      }, what);
    const seen = () =>
      alice.evaluate(
        () => (window as unknown as { __seen: Promise<{ moved: boolean; fired: boolean; acked: number; before: number }> }).__seen,
      );
    const right = (await ownX(alice)).predicted < WORLD_W / 2;
    await watch('move');
    await alice.keyboard.down(right ? 'd' : 'a');
    const move = await seen();
    await alice.keyboard.up(right ? 'd' : 'a');
    // Drawn moving while the server had not yet acknowledged a single input made after the key went down.
    expect(move.moved).toBe(true);
    expect(move.acked).toBeLessThanOrEqual(move.before);
    await watch('fire');
    await alice.keyboard.down('Space');
    const shot = await seen();
    expect(shot.fired).toBe(true);
    expect(shot.acked).toBeLessThanOrEqual(shot.before);
    // And the server fires it too: the prediction is confirmed, none refused.
    await alice.waitForFunction(() => window.__tickwire!.shots.confirmed >= 1);
    await alice.keyboard.up('Space');
    expect(await alice.evaluate(() => window.__tickwire!.shots.rejected)).toBe(0);
    await setSlider('net-latency', '0');
  });

  it('the monitor shows the room with its players and bots, charts and close codes (screenshot)', async () => {
    // Three headless bots join Alice and Bob.
    const bots = ['bot-1', 'bot-2', 'bot-3'].map(
      (name) =>
        new TickwireClient({
          url: `${baseUrl.replace('http', 'ws')}/ws`,
          game: arenaGame,
          name,
          WebSocket: WebSocket as unknown as WebSocketConstructor,
        }),
    );
    await Promise.all(bots.map((b) => b.connect()));
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const monitor = await context.newPage();
    monitor.on('pageerror', (err) => pageErrors.push(`monitor: ${err.message}`));
    await monitor.goto(`http://127.0.0.1:${server.adminPort}/monitor`);
    await monitor.waitForFunction(() => {
      const d = (window as unknown as { __monitor?: { rooms: { players: { name: string }[] }[] } }).__monitor;
      return d !== undefined && d.rooms.some((r) => r.players.filter((p) => p.name.startsWith('bot-')).length === 3);
    });
    // Four samples (a second apart) for the charts to have lines, then the picture.
    await monitor.waitForFunction(
      () =>
        document.querySelectorAll('.uplot').length === 3 &&
        ((window as unknown as { __monitorSamples?: number }).__monitorSamples ?? 0) >= 4,
    );
    const text = await monitor.locator('#rooms').innerText();
    expect(text).toContain('alice');
    expect(text).toContain('bot-3');
    expect(text).toMatch(/webrtc/); // Alice's link
    mkdirSync(SCREENS, { recursive: true });
    await monitor.screenshot({ path: `${SCREENS}/monitor.png` });
    await context.close();
    for (const b of bots) b.close();
  });

  it('the cursors page: a second game on the same server shows one page’s pointer on the other', async () => {
    const pages: Page[] = [];
    for (const name of ['ann', 'ben']) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(`${name} (cursors): ${err.message}`));
      await page.goto(`${baseUrl}/cursors.html?name=${name}`);
      await page.waitForFunction(() => (window as unknown as { __cursors?: { client: { playerId: number } } }).__cursors?.client.playerId);
      pages.push(page);
    }
    const [ann, ben] = pages as [Page, Page];
    // Ann's pointer to board (300, 200); the canvas is drawn 1:1 at this viewport.
    const box = (await ann.locator('#board').boundingBox())!;
    await ann.mouse.move(box.x + (300 * box.width) / 1024, box.y + (200 * box.height) / 640);
    const annId = await ann.evaluate(
      () => (window as unknown as { __cursors: { client: { playerId: number } } }).__cursors.client.playerId,
    );
    await ben.waitForFunction(
      ([id, fx, fy, fp]) => {
        const c = (
          window as unknown as { __cursors: { client: { latest: { indexOf(id: number): number; get(r: number, f: number): number } } } }
        ).__cursors.client;
        const r = c.latest.indexOf(id);
        return r >= 0 && c.latest.get(r, fp) === 1 && Math.abs(c.latest.get(r, fx) - 300) <= 1 && Math.abs(c.latest.get(r, fy) - 200) <= 1;
      },
      [annId, CursorField.X, CursorField.Y, CursorField.Present] as const,
    );
    expect(await ben.locator('#status').innerText()).toContain('60 Hz');
    mkdirSync(SCREENS, { recursive: true });
    await ben.screenshot({ path: `${SCREENS}/cursors.png` });
    for (const page of pages) await page.context().close();
  });

  it('warns every player before a shutdown, looks for a new game (none: one node), then shows the close code and reason', async () => {
    const closing = server.close(); // idempotent: afterAll's close is then a no-op
    for (const page of [alice, bob]) {
      await page.waitForFunction(() =>
        /the server is shutting down\nclosing in \d s/.test(document.getElementById('banner')!.textContent ?? ''),
      );
    }
    await closing;
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => window.__tickwire!.status === 'closed');
      expect(await page.evaluate(() => window.__tickwire!.client.closeEvent)).toEqual({ code: 1001, reason: 'server shutting down' });
      const banner = page.locator('#banner');
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.textContent()).toContain('1001 GoingAway: server shutting down');
      // The SDK matchmade again at the page's origin; this lone node, draining then gone, had no seat.
      const chat = (await page.locator('#chat').textContent()) ?? '';
      expect(chat).toContain('⇄ the server is restarting, finding a new game…');
      expect(chat).toMatch(/⇄ no new game found: no new seat after 5 tries: /);
    }
    await alice.screenshot({ path: `${SCREENS}/closed.png` });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
