import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl } from '../../shared/protocol/control-messages';
import type { ChatRejectedMessage } from '../../shared/protocol/chat-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { TickwireData } from '../../src/persistence/tickwire-data';
import type { TickwireServerOptions } from '../../src/server/tickwire-server';
import { flush, nextEvent, startServer } from '../support/server-harness';
import { sqliteOptions } from '../support/test-database';

/**
 * Database reads under attack: the profile API from many addresses, the cap on reads in
 * flight, and CHAT_HISTORY floods, each with a bystander who keeps playing. Rates run on the
 * harness's ManualClock: no token comes back until the test moves time.
 */

/** A GET from `from` (any 127.0.0.0/8 address is this machine). */
function getFrom(port: number, from: string, path: string): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('database reads under attack (real sockets, SQLite)', () => {
  let h: Awaited<ReturnType<typeof startServer>> | undefined;
  let data: TickwireData | undefined;
  afterEach(async () => {
    await h?.close();
    await data?.close();
    h = data = undefined;
  });

  async function serve(options: Partial<Omit<TickwireServerOptions, 'clock'>> = {}) {
    data = await TickwireData.open(await sqliteOptions());
    data.profiles.recordMatch('u-ann', 'ann', { kills: 3, deaths: 1, score: 3 });
    await data.flush();
    h = await startServer({ data, frontDoor: { perIpLimits: true, handshakesPerSecondPerIp: 0 }, ...options });
    const bystander = h.client('bystander');
    await bystander.connect();
    return { h, bystander };
  }

  /** The bystander gets the next snapshot and hears its own lobby line. */
  async function stillPlays(bystander: ReturnType<NonNullable<typeof h>['client']>, text: string): Promise<void> {
    const snap = nextEvent(bystander, 'snapshot');
    h!.tick();
    await snap;
    const heard = nextEvent(bystander, 'chat', (e) => e.lines.some((l) => l.text === text));
    bystander.say('lobby', text);
    await flush(bystander);
    h!.tick();
    await heard;
  }

  it('profile and leaderboard reads: past 5/s (burst 10) an address gets 429; other addresses read on', async () => {
    const { h, bystander } = await serve();
    const port = h.server.port;
    const flooder = '127.0.0.5';
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await getFrom(port, flooder, i % 2 ? '/leaderboard?limit=100' : '/profiles/u-ann')).status);
    expect(statuses).toEqual([...Array<number>(10).fill(200), 429, 429, 429, 429]);
    const refused = await getFrom(port, flooder, '/leaderboard');
    expect(refused).toMatchObject({ status: 429, retryAfter: '1' });
    expect(refused.body).toBe('too many profile and leaderboard reads from 127.0.0.5: at most 5/s\n');
    expect(h.lines.some((l) => l.msg === 'database read over the per-address rate' && l.ip === flooder)).toBe(true);
    // Other addresses each have their own budget: twenty of them, one after another, all read.
    const others: Awaited<ReturnType<typeof getFrom>>[] = [];
    for (let i = 0; i < 20; i++) others.push(await getFrom(port, `127.0.0.${10 + i}`, '/profiles/u-ann'));
    expect(others.map((r) => r.status)).toEqual(Array<number>(20).fill(200));
    expect(JSON.parse(others[0]!.body)).toEqual({ userId: 'u-ann', displayName: 'ann', kills: 3, deaths: 1, matches: 1, bestScore: 3 });
    // Reads that are not database reads keep their own (higher) rate.
    expect((await getFrom(port, flooder, '/health')).status).toBe(200);
    // A token every 200 ms.
    h.clock.advance(200);
    expect((await getFrom(port, flooder, '/profiles/u-ann')).status).toBe(200);
    expect((await getFrom(port, flooder, '/profiles/u-ann')).status).toBe(429);
    await stillPlays(bystander, 'still here');
  });

  it('past 8 database reads in flight a read is refused at once, 503 with retry-after; a history page is refused "unavailable"', async () => {
    const { h, bystander } = await serve({ chat: { keepInMemory: 2, ratePerSecond: 100, burst: 100 } });
    const port = h.server.port;
    // Lines enough that the oldest fall out of memory: older pages come from the database.
    for (let i = 0; i < 5; i++) bystander.say('lobby', `line ${i}`);
    await flush(bystander);
    h.tick();
    await data!.flush();
    // A reader who joins now holds the newest two; older pages come from the database.
    const reader = h.client('reader');
    const history = nextEvent(reader, 'chat', (e) => e.kind === 'history' && e.ch === 'lobby');
    await reader.connect();
    expect((await history)[0].lines.map((l) => l.text)).toEqual(['line 3', 'line 4']);
    // Eight slow reads hold every slot (as eight slow queries from anywhere would).
    const gate = h.server.frontDoor.dataReads;
    const release: (() => void)[] = [];
    for (let i = 0; i < 8; i++) void gate.run(() => new Promise<void>((resolve) => release.push(resolve)));
    expect(gate.active).toBe(8);
    const busy = await getFrom(port, '127.0.0.7', '/profiles/u-ann');
    expect(busy).toMatchObject({ status: 503, retryAfter: '1' });
    expect(busy.body).toBe('the database is busy: 8 reads already in flight; try again in a second\n');
    expect((await getFrom(port, '127.0.0.7', '/leaderboard')).status).toBe(503);
    expect(h.lines.some((l) => l.msg === 'database read refused: the server has too many in flight')).toBe(true);
    const refused = nextEvent(reader, 'chatRejected');
    reader.loadOlderChat('lobby', 2);
    expect((await refused)[0]).toMatchObject({ ch: 'lobby', reason: 'unavailable', retryInMs: 1000 });
    expect(gate.refused).toBe(3);
    expect(h.server.health().dataReads).toEqual({ inFlight: 8, refused: 3, max: 8 });
    // Freed: the same reads are served.
    for (const r of release) r();
    await Promise.resolve();
    expect((await getFrom(port, '127.0.0.7', '/profiles/u-ann')).status).toBe(200);
    const page = nextEvent(reader, 'chat', (e) => e.kind === 'page');
    reader.loadOlderChat('lobby', 2);
    expect((await page)[0].lines.map((l) => l.text)).toEqual(['line 1', 'line 2']);
    expect(gate.active).toBe(0);
    await stillPlays(bystander, 'served again');
  });

  it('a CHAT_HISTORY flood: past 2 pages/s (burst 5) each page is refused, then 20 in a row close it 4003; a bystander plays and chats on', async () => {
    const { h, bystander } = await serve();
    const flooder = h.client('flooder');
    await flooder.connect();
    const refusals: ChatRejectedMessage[] = [];
    flooder.on('chatRejected', (r) => refusals.push(r));
    let pages = 0;
    flooder.on('chat', (e) => void (e.kind === 'page' && pages++));
    const ask = encodeControl(MessageType.ChatHistory, { ch: 'lobby', before: 'zzzz', limit: 100 });
    for (let i = 0; i < 6; i++) flooder.sendRaw(ask);
    await flush(flooder);
    expect(pages).toBe(5);
    expect(refusals).toEqual([{ ch: 'lobby', reason: 'page-rate', message: 'at most 2 history pages/s (burst 5)', retryInMs: 500 }]);
    // The line rate is its own: the flooder may still talk.
    const said = nextEvent(flooder, 'chat', (e) => e.kind === 'live');
    flooder.say('lobby', 'pages and lines are apart');
    await flush(flooder);
    h.tick();
    await said;
    // Time refills a page: served, and the run of refusals starts over.
    h.clock.advance(500);
    flooder.sendRaw(ask);
    await flush(flooder);
    expect(pages).toBe(6);
    const closed = nextEvent(flooder, 'close');
    for (let i = 0; i < 25; i++) flooder.sendRaw(ask);
    const [c] = await closed;
    expect(c.code).toBe(CloseCode.RateLimited);
    expect(c.reason).toBe('chat history flood: 20 pages in a row refused (page-rate)');
    expect(refusals.length).toBe(1 + 20);
    expect(h.server.health().chat).toMatchObject({ pagesServed: 6, pagesRejected: 21 });
    await stillPlays(bystander, 'quiet again');
  });
});
