import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Button, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { ClientState } from '../../src/sdk/client-state';
import { RedisRegistry } from '../../src/cluster/redis-registry';
import { TickwireServer } from '../../src/server/tickwire-server';
import { defineRoomType } from '../../src/rooms/room-type';
import { arenaGame } from '../../shared/games/arena';
import { arenaClient, flush, nextEvent } from '../support/server-harness';
import { freePort } from '../support/redis-server';
import { spawnCli, until, useRedisCluster } from '../support/redis-cluster';
import { matchmake, type MatchmakeTicket } from '../../src/sdk/matchmake';
import * as wrtc from 'node-datachannel/polyfill';

/**
 * Nodes in a Redis cluster registry: they see each other and their rooms, leave cleanly or are
 * reaped, ride out a Redis outage; and `npm start -- --workers 2` puts two such nodes behind one
 * port. The file's own redis-server and its hooks come from useRedisCluster.
 */
const rc = useRedisCluster();
const { node, prefix } = rc;

/** The operator token of the CLI nodes here: the game port serves /cluster to it alone. */
const OPERATOR_TOKEN = 'cluster-test-operator-token-0123456789';

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
    const view = (await (await fetch(`http://127.0.0.1:${b.server.adminPort}/cluster`)).json()) as {
      rooms: { nodeId: string }[];
      node: string;
    };
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
    // Its player's room stays (no room moves), so the drain lasts until the player leaves.
    const a = await node('node-a', p, { drainMs: 60_000 }, false);
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
    const child = spawnCli(port, ['--log-level', 'warn'], { REDIS_URL: rc.redis.url, TICKWIRE_NODE_ID: 'doomed' });
    try {
      // Give it a room: a player joins over a real socket.
      await until(
        () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok),
        (ok) => ok,
      );
      // The CLI uses the default key prefix; look there.
      const view = await RedisRegistry.connect({ url: rc.redis.url });
      try {
        const player = arenaClient(`ws://127.0.0.1:${port}/ws`, 'doomed-player', { reconnect: false });
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
    await rc.redis.kill();
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
    await rc.redis.restart();
    // The restarted Redis is empty; the next heartbeat that gets through puts the node back.
    await until(
      async () => a.server.cluster!.stats.reachable,
      (ok) => ok,
    );
    const fresh = await RedisRegistry.connect({ url: rc.redis.url, keyPrefix: p });
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

/**
 * `npm start -- --workers 2 ...args` on a free port, on Redis database `db`, with per-address
 * limits off and the operator token; resolves once both workers are in the registry.
 */
async function startWorkers(args: string[], db: number) {
  const port = await freePort();
  const child = spawnCli(port, ['--workers', '2', ...args], {
    REDIS_URL: `${rc.redis.url}/${db}`,
    TICKWIRE_LOG_LEVEL: 'warn',
    TICKWIRE_PER_IP_LIMITS: 'off',
    TICKWIRE_OPERATOR_TOKEN: OPERATOR_TOKEN,
  });
  const base = `http://127.0.0.1:${port}`;
  /** The registry as the front's /cluster shows it (the operator token opens it on the game port). */
  const cluster = () =>
    fetch(`${base}/cluster`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } }).then(
      (r) => r.json() as Promise<{ nodes: { players: number }[] }>,
    );
  try {
    await until(cluster, (v) => v.nodes.length === 2);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { port, base, child, cluster };
}

describe('npm start -- --workers 2 (one port, two processes, a routing front)', () => {
  it('matchmade players reach the worker holding their seat, and so do their resumes; the workers share the cluster', async () => {
    const { base, child, cluster } = await startWorkers(['--max-players', '2'], 2);
    const clients: TickwireClient<ArenaState, ArenaInput, Mover>[] = [];
    try {
      const tickets: MatchmakeTicket[] = [];
      for (let i = 0; i < 4; i++) {
        const ticket = await matchmake(base, 'arena');
        tickets.push(ticket);
        const c = arenaClient(ticket.url, `p${i}`, { reservation: ticket.reservation, random: () => 0 });
        clients.push(c);
        const w = await c.connect();
        // The seat was held on the node the ticket names: the claim worked there.
        expect(w.roomId).toBe(ticket.roomId);
        expect(w.node).toBe(ticket.nodeId);
        // Let the registry catch up (a heartbeat, 1 s) so the next choice sees this seat taken.
        await until(cluster, (v) => v.nodes.reduce((n, node) => n + node.players, 0) === i + 1);
      }
      // Two-seat rooms: four players fill two rooms, and both workers took part.
      expect(new Set(tickets.map((t) => t.roomId)).size).toBe(2);
      expect(new Set(tickets.map((t) => t.nodeId)).size).toBe(2);
      // A killed link resumes through the front on the worker that holds the seat.
      for (const c of clients) {
        const resumed = nextEvent(c, 'resumed');
        c.killLink();
        await resumed;
      }
      for (const c of clients) expect(c.state).toBe(ClientState.Open);
      // Each resume kept its seat: same room, no 4009 (a resume on the wrong worker is refused).
      expect(clients.map((c) => c.welcome!.roomId)).toEqual(tickets.map((t) => t.roomId));
    } finally {
      for (const c of clients) c.close();
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('--webrtc on: WebRTC players join through the front, each client’s signalling requests all reaching one worker (round robin would split them)', async () => {
    const udp = await freePort();
    const { port, child } = await startWorkers(['--webrtc', 'on', '--webrtc-ports', `${udp}-${udp + 1}`], 3);
    const clients: TickwireClient<ArenaState, ArenaInput, Mover>[] = [];
    try {
      // Each signalling takes several requests, some on new TCP connections, which round robin
      // would spread over both workers (the second worker knows no such connection: 404).
      for (let i = 0; i < 4; i++) {
        const c = arenaClient(`ws://127.0.0.1:${port}/ws`, `rtc${i}`, {
          transport: 'webrtc',
          webrtc: { wrtc: { RTCPeerConnection: wrtc.RTCPeerConnection, RTCSessionDescription: wrtc.RTCSessionDescription } },
          reconnect: false,
        });
        clients.push(c);
        await c.connect();
        expect(c.transport).toBe('webrtc');
        await nextEvent(c, 'snapshot');
      }
    } finally {
      for (const c of clients) c.close();
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('stops with exit code 1 when a worker cannot start (Redis unreachable), rather than never opening the port', async () => {
    const dead = await freePort();
    const child = spawnCli(await freePort(), ['--workers', '2'], { REDIS_URL: `redis://127.0.0.1:${dead}`, TICKWIRE_LOG_LEVEL: 'fatal' }, [
      'ignore',
      'pipe',
      'ignore',
    ]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(out).toMatch(/cannot reach Redis/);
  }, 30_000);
});
