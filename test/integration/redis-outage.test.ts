import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arenaGame, Button } from '../../shared/games/arena';
import { defineRoomType } from '../../src/rooms/room-type';
import { matchmake } from '../../src/sdk/matchmake';
import { flush, nextEvent, startServer } from '../support/server-harness';
import { PrivateRedis } from '../support/redis-server';

/**
 * Redis goes away during play and comes back (the deploy guide's "what breaks when Redis goes
 * away"): two nodes on a private redis-server that this file stops and starts again. Time is
 * the nodes' manual clocks, so "the full rate" is an exact count: one snapshot per tick per
 * player, the same number with Redis down as with it up. Heartbeats run on real timers
 * (100 ms), and waits poll until the nodes say what the test expects.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis?.kill());

/** Poll `read` until `ok` holds (every 20 ms); the test's own timeout bounds it. */
async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await Promise.resolve()
      .then(read)
      .catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Redis stopped during play, then started again', () => {
  it('rooms play on at the full snapshot rate and resumes work, lobby chat is refused, matchmaking stays on this node and recovers by itself', async () => {
    const twoSeats = { roomTypes: [defineRoomType({ game: arenaGame, maxPlayers: 2 })] };
    const cluster = (nodeId: string) => ({ redisUrl: redis.url, keyPrefix: 'outage:', nodeId, heartbeatMs: 100, nodeTtlMs: 600 });
    const a = await startServer({ ...twoSeats, cluster: cluster('node-a') });
    const b = await startServer({ ...twoSeats, cluster: cluster('node-b') });
    try {
      a.server.cluster!.publicUrl = a.url;
      b.server.cluster!.publicUrl = b.url;
      const mm = (h: typeof a) => matchmake(`http://127.0.0.1:${h.server.port}`, 'arena');
      // A full two-seat room on node A (player and watcher), and on node B a room with one free seat.
      const player = a.client('player');
      const watcher = a.client('watcher');
      await player.connect();
      await watcher.connect();
      const lone = b.client('lone');
      await lone.connect();
      await until(
        () => a.server.cluster!.registry.view('arena'),
        (v) => v.rooms.length === 2,
      );

      /** Tick node A `n` times with the player walking; the watcher's snapshots over those ticks. */
      const play = async (n: number): Promise<number> => {
        const before = watcher.stats.snapshots;
        for (let i = 0; i < n; i++) {
          player.sendInput({ buttons: Button.Right, aim: 0 });
          await flush(player);
          a.tick();
        }
        // The PONG comes after every snapshot the server sent before it (one ordered socket).
        await flush(watcher);
        return watcher.stats.snapshots - before;
      };
      const TICKS = 60;
      await play(1); // settles whatever the joins left in flight
      const withRedis = await play(TICKS);
      expect(withRedis).toBe(TICKS);

      await redis.kill();
      await a.server.cluster!.heartbeat();
      await b.server.cluster!.heartbeat();
      expect(a.server.cluster!.stats.reachable).toBe(false);
      expect(b.server.cluster!.stats.reachable).toBe(false);

      // The running room does not notice: a snapshot every tick, the player's inputs applied.
      const ackedBefore = player.lastAckedSeq;
      expect(await play(TICKS)).toBe(withRedis);
      // One input a tick applied (the input clock leads by a tick or two, so the count may
      // differ from the ticks by the lead's change).
      expect(Math.abs(player.lastAckedSeq - ackedBefore - TICKS)).toBeLessThanOrEqual(1);
      expect(watcher.stats.drops).toBe(0);

      // Room chat is the node's own and goes on; lobby chat crosses nodes and is refused.
      const roomLine = nextEvent(watcher, 'chat', (e) => e.ch === 'room' && e.kind === 'live');
      player.say('room', 'still here');
      // Chat goes out with the node's next tick.
      await flush(player);
      a.tick();
      expect((await roomLine)[0].lines.map((l) => l.text)).toEqual(['still here']);
      const refused = nextEvent(player, 'chatRejected');
      player.say('lobby', 'anyone?');
      const [rejection] = await refused;
      expect(rejection.reason).toBe('unavailable');
      expect(rejection.message).toMatch(/^the lobby is unreachable: not delivered: Redis is unreachable/);

      // A dropped link resumes its seat on its node: seats and resume tokens never touch Redis.
      const resumed = nextEvent(watcher, 'resumed');
      watcher.killLink();
      await resumed;
      expect(watcher.welcome!).toMatchObject({ resumed: true, roomId: player.welcome!.roomId });

      // Matchmaking answers from this node alone (the registry cannot be read): a seat in one of
      // its own rooms, else a new room here; two asks share one new room.
      const first = await mm(a);
      const second = await mm(a);
      expect(first.nodeId).toBe('node-a');
      expect(second).toMatchObject({ nodeId: 'node-a', roomId: first.roomId, url: a.url });
      const late = a.client('late', { url: first.url, reservation: first.reservation });
      expect((await late.connect()).roomId).toBe(first.roomId);

      // Redis is back, empty: the next heartbeats republish both nodes without a restart, and
      // matchmaking at A fills B's room again (the fullest with a free seat).
      await redis.restart();
      await until(
        () => a.server.cluster!.stats.reachable && b.server.cluster!.stats.reachable,
        (ok) => ok,
      );
      await until(
        () => a.server.cluster!.registry.view('arena'),
        (v) => v.nodes.length === 2 && v.rooms.some((r) => r.nodeId === 'node-b'),
      );
      const after = await mm(a);
      expect(after).toMatchObject({ nodeId: 'node-b', roomId: lone.welcome!.roomId, url: b.url });
      const mate = b.client('mate', { url: after.url, reservation: after.reservation });
      expect((await mate.connect()).roomId).toBe(lone.welcome!.roomId);
      // Lobby chat crosses nodes again.
      const across = nextEvent(mate, 'chat', (e) => e.ch === 'lobby' && e.kind === 'live');
      let gotLobby = false;
      void across.then(() => (gotLobby = true));
      player.say('lobby', 'back');
      await flush(player);
      // The line comes back from Redis in the lobby's order, then goes out with B's next tick.
      await until(
        () => (b.tick(), gotLobby),
        (ok) => ok,
      );
      expect((await across)[0].lines.map((l) => l.text)).toEqual(['back']);
      expect(await play(TICKS)).toBe(withRedis);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);
});
