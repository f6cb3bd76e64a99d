import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arenaGame } from '../../shared/games/arena';
import { createLogger } from '../../src/logging/logger';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireServer } from '../../src/server/tickwire-server';
import { assertDemoBuilt, DEMO_DIST, launchChromium, playerContext, SCREENS } from '../support/browser-demo';
import { PrivateRedis } from '../support/redis-server';

/**
 * The demo in a real Chromium against servers of its own: two nodes on one Redis, where a
 * drain moves the page's game (or the page) to the other node, and the default `npm start`
 * server with WebRTC off. Everything waits on a condition; nothing sleeps.
 */

let browser: Browser;

beforeAll(async () => {
  assertDemoBuilt();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('browser demo on two nodes (one Redis): a drain moves the player', () => {
  /** Two nodes on one private Redis, serving the demo; `roomMoves` as the cluster option has it. */
  async function twoNodes(roomMoves: boolean): Promise<{ a: TickwireServer; b: TickwireServer; done: () => Promise<void> }> {
    const redis = await PrivateRedis.start();
    const nodes = ['node-a', 'node-b'].map(
      (nodeId) =>
        new TickwireServer({
          roomTypes: [defineRoomType({ game: arenaGame })],
          port: 0,
          host: '127.0.0.1',
          staticDir: DEMO_DIST,
          logger: createLogger('warn'),
          drainMs: 5000,
          // Two ports of one host stand in for nodes behind one front, where the page and every
          // node share the front's origin: here the page from node A's port opens node B's.
          frontDoor: { allowedOrigins: ['*'] },
          cluster: {
            redisUrl: redis.url,
            keyPrefix: `e2e-move-${process.pid}-${roomMoves}:`,
            nodeId,
            publicUrl: 'ws://unset.test/ws',
            heartbeatMs: 100,
            nodeTtlMs: 600,
            ...(roomMoves ? {} : { roomMoves: false as const }),
          },
        }),
    );
    for (const n of nodes) {
      const { port } = await n.listen();
      n.cluster!.publicUrl = `ws://127.0.0.1:${port}/ws`;
      await n.cluster!.heartbeat();
    }
    const [a, b] = nodes as [TickwireServer, TickwireServer];
    return {
      a,
      b,
      done: async () => {
        await Promise.all(nodes.map((n) => n.close()));
        await redis.kill();
      },
    };
  }

  it("with room moves, the page's game moves to the other node: same room, player and score, and the chat box says so (screenshot)", async () => {
    const { a, b, done } = await twoNodes(true);
    const errors: string[] = [];
    try {
      const context = await playerContext(browser);
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`http://127.0.0.1:${a.port}/?name=carried&transport=ws`);
      await page.waitForFunction(() => window.__tickwire!.status === 'playing' && window.__tickwire!.client.latestTick > 0);
      const before = await page.evaluate(() => ({
        room: window.__tickwire!.client.welcome!.roomId,
        player: window.__tickwire!.client.welcome!.playerId,
      }));
      expect(a.rooms.rooms.has(before.room)).toBe(true);
      type Players = { players: { id: number; score: number }[] };
      (a.rooms.rooms.get(before.room)!.state as Players).players.find((p) => p.id === before.player)!.score = 7;
      const tickBefore = await page.evaluate(() => window.__tickwire!.client.latestTick);
      const closing = a.close();
      await page.waitForFunction(() => /⇄ this game moved to node-b/.test(document.getElementById('chat')!.textContent ?? ''));
      await page.waitForFunction((t) => window.__tickwire!.client.latestTick > t && window.__tickwire!.status === 'playing', tickBefore);
      const after = await page.evaluate(() => ({
        room: window.__tickwire!.client.welcome!.roomId,
        player: window.__tickwire!.client.welcome!.playerId,
        banner: document.getElementById('banner')!.hidden,
      }));
      expect(after.room).toBe(before.room);
      expect(after.player).toBe(before.player);
      expect(b.rooms.rooms.has(before.room)).toBe(true);
      expect((b.rooms.rooms.get(before.room)!.state as Players).players.find((p) => p.id === before.player)!.score).toBe(7);
      expect(after.banner).toBe(true);
      const chat = (await page.locator('#chat').textContent()) ?? '';
      expect(chat).toContain('⇄ the server is restarting: this game moves to another server…');
      expect(chat).not.toContain('finding a new game');
      await page.screenshot({ path: `${SCREENS}/room-moved.png` });
      await closing;
      await context.close();
      expect(errors).toEqual([]);
    } finally {
      await done();
    }
  });

  it('with room moves off, the page on a draining node is matchmade onto the other one, says so in the chat box, and plays there (screenshot)', async () => {
    const { a, b, done } = await twoNodes(false);
    const errors: string[] = [];
    try {
      const context = await playerContext(browser);
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`http://127.0.0.1:${a.port}/?name=mover&transport=ws`);
      await page.waitForFunction(() => window.__tickwire!.status === 'playing' && window.__tickwire!.client.latestTick > 0);
      const oldRoom = await page.evaluate(() => window.__tickwire!.client.welcome!.roomId);
      expect(a.rooms.rooms.has(oldRoom)).toBe(true);
      const closing = a.close();
      await page.waitForFunction(() => (document.getElementById('chat')!.textContent ?? '').includes('⇄ moved to a new game'));
      await page.waitForFunction(() => window.__tickwire!.client.latestTick > 0 && window.__tickwire!.status === 'playing');
      const now = await page.evaluate(() => ({
        room: window.__tickwire!.client.welcome!.roomId,
        banner: document.getElementById('banner')!.hidden,
      }));
      expect(now.room).not.toBe(oldRoom);
      expect(b.rooms.rooms.has(now.room)).toBe(true);
      expect(now.banner).toBe(true);
      const chat = (await page.locator('#chat').textContent()) ?? '';
      expect(chat).toContain('⇄ the server is restarting, finding a new game…');
      expect(chat).toContain(`⇄ moved to a new game: room ${now.room}`);
      await page.screenshot({ path: `${SCREENS}/moved.png` });
      await closing; // the page left node A: its drain ends early
      await context.close();
      expect(errors).toEqual([]);
    } finally {
      await done();
    }
  });
});

describe('the default demo (npm start: WebRTC off)', () => {
  it("loads with no console error or warning, over WebSocket, and the HUD's link line says why without 'failed'", async () => {
    // As `npm start` has it: WebRTC off. The demo's 'auto' asks the server first and is told.
    const quiet = new TickwireServer({
      roomTypes: [defineRoomType({ game: arenaGame })],
      port: 0,
      host: '127.0.0.1',
      staticDir: DEMO_DIST,
      logger: createLogger('warn'),
      drainMs: 500,
    });
    const { port } = await quiet.listen();
    const context = await playerContext(browser);
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('pageerror', (err) => messages.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') messages.push(`${msg.type()}: ${msg.text()} @ ${msg.location().url}`);
    });
    try {
      await page.goto(`http://127.0.0.1:${port}/?name=carol`);
      await page.waitForFunction(() => window.__tickwire?.status === 'playing' && window.__tickwire.client.transport === 'ws');
      await page.waitForFunction(() => /link\s+WebSocket/.test(document.getElementById('hud')?.innerText ?? ''));
      const link = (await page.locator('#hud').innerText()).split('\n').find((l) => l.startsWith('link'));
      expect(link).toMatch(/^link\s+WebSocket \(WebRTC is off on this server\)$/);
      expect(link).not.toMatch(/fail/i);
      expect(messages).toEqual([]);
    } finally {
      await context.close();
      await quiet.close();
    }
  });
});
