import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Button, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import { TickwireClient, type TickwireClientOptions, type WebSocketConstructor } from '../../src/sdk/tickwire-client';
import { RedisRegistry } from '../../src/cluster/redis-registry';
import { TickwireServer } from '../../src/server/tickwire-server';
import { defineRoomType } from '../../src/rooms/room-type';
import { arenaGame } from '../../shared/games/arena';
import { flush, nextEvent, startServer } from '../support/server-harness';
import { PrivateRedis, freePort } from '../support/redis-server';

/**
 * The cluster registry against a real redis-server: a private one per file (its own port, no
 * persistence), so a test may kill and restart it. Heartbeats here are 100 ms and a node lives
 * 600 ms without one; waits poll the registry until it says what the test expects.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis?.kill());

type Harness = Awaited<ReturnType<typeof startServer>>;
const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function node(nodeId: string, keyPrefix: string, extra: Parameters<typeof startServer>[0] = {}): Promise<Harness> {
  const h = await startServer({
    cluster: { redisUrl: redis.url, keyPrefix, nodeId, publicUrl: `ws://${nodeId}.test/ws`, heartbeatMs: 100, nodeTtlMs: 600 },
    ...extra,
  });
  open.push(h);
  return h;
}

/** Poll `read` until `ok` holds (every 20 ms); the test's own timeout bounds it. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

let prefixes = 0;
const prefix = () => `t${process.pid}-${++prefixes}:`;

describe('cluster registry in Redis', () => {
  it('two nodes see each other and each other’s rooms, with player counts and public URLs', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const b = await node('node-b', p);
    const c1 = a.client('one');
    await c1.connect();
    await a.server.cluster!.heartbeat();
    const rooms = await b.server.cluster!.registry.rooms('arena');
    expect(rooms).toHaveLength(1);
    expect(rooms[0]).toMatchObject({ nodeId: 'node-a', type: 'arena', players: 1, capacity: 32 });
    const nodes = await b.server.cluster!.registry.nodes();
    expect(nodes.map((n) => `${n.id} ${n.publicUrl} ${n.players}`).sort()).toEqual([
      'node-a ws://node-a.test/ws 1',
      'node-b ws://node-b.test/ws 0',
    ]);
    // The operator's view over HTTP, from the other node.
    const view = (await (await fetch(`http://127.0.0.1:${b.server.port}/cluster`)).json()) as { rooms: { nodeId: string }[]; node: string };
    expect(view.node).toBe('node-b');
    expect(view.rooms.map((r) => r.nodeId)).toEqual(['node-a']);
    // The last player leaves: the room is disposed and, once A publishes, gone from the registry.
    c1.close();
    await a.leaves(1);
    await a.server.cluster!.heartbeat();
    expect(await b.server.cluster!.registry.rooms()).toEqual([]);
  });

  it('a cleanly closed node leaves at once; a draining node says so first', async () => {
    const p = prefix();
    const a = await node('node-a', p, { drainMs: 60_000 });
    const b = await node('node-b', p);
    const c = a.client('one');
    await c.connect();
    const closed = a.server.close();
    await until(
      () => b.server.cluster!.registry.nodes(),
      (ns) => ns.some((n) => n.id === 'node-a' && n.draining),
    );
    c.close();
    // The drain ends on the server's clock once every client has gone.
    await a.leaves(1);
    a.server.pump();
    await closed;
    expect((await b.server.cluster!.registry.nodes()).map((n) => n.id)).toEqual(['node-b']);
  });

  it('a SIGKILLed node (the real CLI, default 1 s heartbeat, 3 s time-to-live) is reaped with its rooms', async () => {
    const p = prefix();
    const b = await node('node-b', p);
    const port = await freePort();
    const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn'], {
      env: { ...process.env, REDIS_URL: redis.url, TICKWIRE_NODE_ID: 'doomed' },
      stdio: 'ignore',
    });
    try {
      // Give it a room: a player joins over a real socket.
      await until(
        () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok),
        (ok) => ok,
      );
      // The CLI uses the default key prefix; look there.
      const view = await RedisRegistry.connect({ url: redis.url });
      try {
        const player = new TickwireClient({
          url: `ws://127.0.0.1:${port}/ws`,
          game: arenaGame,
          name: 'doomed-player',
          WebSocket: WebSocket as unknown as WebSocketConstructor,
          pingIntervalMs: 0,
          livenessTimeoutMs: 0,
          reconnect: false,
        } as TickwireClientOptions<ArenaState, ArenaInput, Mover>);
        await player.connect();
        await until(
          () => view.rooms(),
          (rs) => rs.some((r) => r.nodeId === 'doomed' && r.players === 1),
        );
        child.kill('SIGKILL');
        player.close();
        const killedAt = Date.now();
        // Node B reaps with its own prefix; the doomed node lives under the default one, so a
        // registry on that prefix does the reaping here, exactly as any live node would.
        await until(
          async () => {
            await view.reap();
            return view.nodes();
          },
          (ns) => !ns.some((n) => n.id === 'doomed'),
        );
        expect(Date.now() - killedAt).toBeLessThan(10_000);
        expect(await view.rooms()).toEqual([]);
      } finally {
        await view.close('unused');
      }
    } finally {
      child.kill('SIGKILL');
    }
    expect(b.server.cluster!.stats.reachable).toBe(true);
  }, 30_000);

  it('Redis killed mid-game: the room keeps ticking, the node reports it, and republishes when Redis is back', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const player = a.client('one');
    const watcher = a.client('two');
    await player.connect();
    await watcher.connect();
    await redis.kill();
    await a.server.cluster!.heartbeat();
    expect(a.server.cluster!.stats.reachable).toBe(false);
    expect(a.server.cluster!.stats.publishFailures).toBeGreaterThan(0);
    expect(a.lines.some((l) => l.msg.startsWith('cluster: registry unreachable'))).toBe(true);
    // Play goes on without Redis.
    for (let i = 0; i < 5; i++) {
      player.sendInput({ buttons: Button.Right, aim: 0 });
      await flush(player);
      const snap = nextEvent(watcher, 'snapshot');
      a.tick();
      await snap;
    }
    expect((await fetch(`http://127.0.0.1:${a.server.port}/health`).then((r) => r.json())).cluster.reachable).toBe(false);
    await redis.restart();
    // The restarted Redis is empty; the next heartbeat that gets through puts the node back.
    await until(
      async () => a.server.cluster!.stats.reachable,
      (ok) => ok,
    );
    const fresh = await RedisRegistry.connect({ url: redis.url, keyPrefix: p });
    try {
      const rooms = await until(
        () => fresh.rooms(),
        (rs) => rs.length === 1,
      );
      expect(rooms[0]).toMatchObject({ nodeId: 'node-a', players: 2 });
    } finally {
      await fresh.close('unused');
    }
    expect(a.lines.some((l) => l.msg.startsWith('cluster: registry reachable again'))).toBe(true);
  }, 20_000);

  it('listen() refuses to start when REDIS_URL points nowhere, saying where', async () => {
    const port = await freePort();
    const server = new TickwireServer({
      roomTypes: [defineRoomType({ game: arenaGame })],
      port: 0,
      host: '127.0.0.1',
      staticDir: null,
      logger: (await import('pino')).default({ level: 'silent' }),
      cluster: { redisUrl: `redis://:secret@127.0.0.1:${port}` },
    });
    await expect(server.listen()).rejects.toThrow(`cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    await server.close();
  });
});
