import { describe, expect, it } from 'vitest';
import { flush, nextEvent } from '../support/server-harness';
import { useRedisCluster } from '../support/redis-cluster';
import { TEST_SECRET, mintHs256 } from '../support/jwt-fixtures';
import { TickwireData } from '../../src/persistence/tickwire-data';
import { scratchPostgres } from '../support/test-database';

/** Messages across nodes through Redis pub/sub: lobby chat, operator notices, per-user notices, game topics. */
const rc = useRedisCluster();
const { node, prefix } = rc;

describe('messages across nodes (pub/sub)', () => {
  it('lobby chat: every line from either node reaches every player on both, each once and in one order', async () => {
    const p = prefix();
    const a = await node('node-a', p, { chat: { ratePerSecond: 100, burst: 100 } });
    const b = await node('node-b', p, { chat: { ratePerSecond: 100, burst: 100 } });
    const [ann, amy, ben] = [a.client('ann'), a.client('amy'), b.client('ben')];
    for (const c of [ann, amy, ben]) await c.connect();
    for (let i = 0; i < 10; i++) {
      ann.say('lobby', `a${i}`);
      ben.say('lobby', `b${i}`);
    }
    ann.say('room', 'only node a’s room');
    const all = () => [ann, amy, ben].every((c) => c.chat.get('lobby').length >= 20);
    while (!all()) {
      a.tick();
      b.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
    const order = ann.chat.get('lobby').map((l) => l.text);
    expect(order).toHaveLength(20);
    for (const c of [amy, ben]) expect(c.chat.get('lobby').map((l) => l.text)).toEqual(order);
    expect(order.filter((t) => t.startsWith('a'))).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
    expect(order.filter((t) => t.startsWith('b'))).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));
    await flush(ben);
    b.tick();
    expect(ben.chat.get('room')).toEqual([]);
    // The servers' own history (what a joiner gets) is in the order Redis delivered, the same on both.
    const joinerA = a.client('late-a');
    const joinerB = b.client('late-b');
    const histories = [joinerA, joinerB].map((c) => nextEvent(c, 'chat', (e) => e.ch === 'lobby' && e.kind === 'history'));
    await joinerA.connect();
    await joinerB.connect();
    const [ha, hb] = await Promise.all(histories);
    expect(ha[0].lines.map((l) => l.id)).toEqual(hb[0].lines.map((l) => l.id));
  });

  it('an operator notice (POST /notice at one node) reaches every player on all three nodes, once', async () => {
    const p = prefix();
    const nodes = [await node('n1', p), await node('n2', p), await node('n3', p)];
    const players = nodes.map((n, i) => n.client(`p${i}`));
    for (const c of players) await c.connect();
    const got = players.map((c) => nextEvent(c, 'notice'));
    const res = await fetch(`http://127.0.0.1:${nodes[1]!.server.adminPort}/notice`, {
      method: 'POST',
      body: 'server restarts at 04:00 UTC',
    });
    expect(res.status).toBe(202);
    for (const n of await Promise.all(got)) expect(n[0]).toEqual({ kind: 'info', message: 'server restarts at 04:00 UTC' });
    // Once: a second notice is the next one each player sees.
    const next = players.map((c) => nextEvent(c, 'notice'));
    await nodes[0]!.server.bus!.notifyAll('second');
    for (const n of await Promise.all(next)) expect(n[0].message).toBe('second');
    expect(nodes[1]!.lines.some((l) => l.msg === 'operator notice to every node')).toBe(true);
  });

  it('a stored notification posted at one node reaches its user playing on another, and is read there', async () => {
    const pg = await scratchPostgres();
    const stores = [await TickwireData.open({ url: pg.url }), await TickwireData.open({ url: pg.url })];
    try {
      const p = prefix();
      const auth = { secret: TEST_SECRET, audience: false, issuer: false } as const;
      const a = await node('node-a', p, { auth, data: stores[0] });
      const b = await node('node-b', p, { auth, data: stores[1] });
      const zed = b.client('zed', { token: await mintHs256(TEST_SECRET, { subject: 'u-zed' }) });
      await zed.connect();
      const told = nextEvent(zed, 'notice');
      const res = await fetch(`http://127.0.0.1:${a.server.adminPort}/notice?user=u-zed`, { method: 'POST', body: 'your match is ready' });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: number };
      expect((await told)[0]).toMatchObject({ kind: 'direct', id, message: 'your match is ready' });
      await flush(zed);
      // Marked read by node b, which holds the link (its store writes the read; a read there flushes it).
      expect(await stores[1]!.notifications.unread('u-zed')).toEqual([]);
      await a.close();
      await b.close();
    } finally {
      for (const s of stores) await s.close();
      await pg.drop();
    }
  });

  it('a message to one identity reaches it on whichever node it plays, and no one else', async () => {
    const p = prefix();
    const auth = { auth: { secret: TEST_SECRET, audience: false, issuer: false } as const };
    const a = await node('node-a', p, auth);
    const b = await node('node-b', p, auth);
    const ada = a.client('ada', { token: await mintHs256(TEST_SECRET, { subject: 'user-ada' }) });
    const bo = b.client('bo', { token: await mintHs256(TEST_SECRET, { subject: 'user-bo' }) });
    await ada.connect();
    await bo.connect();
    const seenByAda: string[] = [];
    ada.on('notice', (n) => seenByAda.push(n.message));
    const toBo = nextEvent(bo, 'notice');
    await a.server.bus!.notifyUser('user-bo', 'your friend is online');
    expect((await toBo)[0]).toEqual({ kind: 'direct', message: 'your friend is online' });
    await flush(ada);
    expect(seenByAda).toEqual([]);
  });

  it('game code’s topics: a handler on every node gets the data and the sender; unsubscribe stops it', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const b = await node('node-b', p);
    const atB: [unknown, string][] = [];
    const arrived = new Promise<void>((resolve) => {
      const off = b.server.bus!.subscribe('lobby', (data, from) => {
        atB.push([data, from]);
        if (atB.length === 2) {
          off();
          resolve();
        }
      });
    });
    const atA: unknown[] = [];
    a.server.bus!.subscribe('lobby', (data) => atA.push(data));
    await a.server.bus!.publishTopic('lobby', { open: 3 });
    await a.server.bus!.publishTopic('lobby', { open: 2 });
    await arrived;
    expect(atB).toEqual([
      [{ open: 3 }, 'node-a'],
      [{ open: 2 }, 'node-a'],
    ]);
    expect(atA).toEqual([{ open: 3 }, { open: 2 }]);
    // After b unsubscribed, a third goes to a alone: b's handler list is empty.
    // Order is kept per publisher: once 'sync' is at b, so is (or is not) the third 'lobby'.
    const synced = new Promise<void>((resolve) => b.server.bus!.subscribe('sync', () => resolve()));
    await a.server.bus!.publishTopic('lobby', { open: 1 });
    await a.server.bus!.publishTopic('sync', null);
    await synced;
    expect(atB).toHaveLength(2);
    expect(atA).toHaveLength(3);
  });

  it('with Redis down, a notice still reaches this node’s players and the caller is told the others missed it', async () => {
    const p = prefix();
    const a = await node('node-a', p);
    const player = a.client('one');
    await player.connect();
    await rc.redis.kill();
    try {
      const got = nextEvent(player, 'notice');
      await expect(a.server.bus!.notifyAll('local only')).rejects.toThrow(/delivered on this node only/);
      expect((await got)[0].message).toBe('local only');
      const res = await fetch(`http://127.0.0.1:${a.server.adminPort}/notice`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(502);
    } finally {
      await rc.redis.restart();
    }
  });
});
