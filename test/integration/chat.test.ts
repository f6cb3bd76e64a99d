import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { defineRoomType } from '../../src/rooms/room-type';
import { arenaGame } from '../../shared/games/arena';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { closeOf, flush, nextEvent, rawSocket, startServer } from '../support/server-harness';

/**
 * Chat over real sockets, without a database (history in memory). Time is the harness's
 * ManualClock: lines are delivered at the server's next pump (`h.tick()`), and the per-user
 * rate refills only as the test advances the clock.
 */
describe('chat', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  type Client = ReturnType<typeof h.client>;
  /** Say `text`, pump, and wait until `readers` have it (the sender's own copy included). */
  async function say(from: Client, ch: 'room' | 'lobby', text: string, readers: Client[], shown = text): Promise<void> {
    const got = readers.map((r) => nextEvent(r, 'chat', (e) => e.ch === ch && e.lines.some((l) => l.text === shown)));
    from.say(ch, text);
    await flush(from);
    h.tick();
    await Promise.all(got);
  }
  const texts = (c: TickwireClient<unknown, unknown, unknown>, ch: 'room' | 'lobby') => c.chat.get(ch).map((l) => l.text);

  it('room lines reach the room, lobby lines every room; each line once, in order, with sender and name', async () => {
    // Two players per room: ann and ben share one, cat is in the next.
    h = await startServer({ maxPlayers: 2 });
    const [ann, ben, cat] = [h.client('ann'), h.client('ben'), h.client('cat')];
    const wa = await ann.connect();
    await ben.connect();
    const wc = await cat.connect();
    expect(wc.roomId).not.toBe(wa.roomId);

    await say(ann, 'room', 'hi room', [ann, ben]);
    await say(cat, 'lobby', 'hello all', [ann, ben, cat]);
    await say(ben, 'lobby', 'hey cat', [ann, ben, cat]);
    expect(texts(ben, 'room')).toEqual(['hi room']);
    expect(texts(cat, 'room')).toEqual([]);
    for (const c of [ann, ben, cat]) expect(texts(c, 'lobby')).toEqual(['hello all', 'hey cat']);
    const line = ann.chat.get('lobby')[0]!;
    expect(line).toMatchObject({ from: `guest:${wc.roomId}:${wc.playerId}`, name: 'cat', text: 'hello all' });
    expect(cat.chatKey).toBe(line.from);
    expect(ann.chat.get('lobby')[1]!.id > line.id).toBe(true);
  });

  it('a joiner gets the newest lines of its room and the lobby; older ones come in pages until there are none', async () => {
    h = await startServer({ chat: { historyOnJoin: 5, ratePerSecond: 100, burst: 100 } });
    const ann = h.client('ann');
    await ann.connect();
    for (let i = 0; i < 12; i++) ann.say('lobby', `line ${i}`);
    ann.say('room', 'in the room');
    await flush(ann);
    h.tick();
    const ben = h.client('ben');
    const history = nextEvent(ben, 'chat', (e) => e.ch === 'lobby' && e.kind === 'history');
    await ben.connect();
    await history;
    expect(texts(ben, 'lobby')).toEqual(['line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    expect(ben.chat.more.lobby).toBe(true);
    expect(texts(ben, 'room')).toEqual(['in the room']);

    const page = nextEvent(ben, 'chat', (e) => e.kind === 'page');
    ben.loadOlderChat('lobby', 4);
    const [p] = await page;
    expect(p.lines.map((l) => l.text)).toEqual(['line 3', 'line 4', 'line 5', 'line 6']);
    expect(ben.chat.more.lobby).toBe(true);
    const last = nextEvent(ben, 'chat', (e) => e.kind === 'page');
    ben.loadOlderChat('lobby', 50);
    await last;
    expect(texts(ben, 'lobby')).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i}`));
    expect(ben.chat.more.lobby).toBe(false);
  });

  it('over the per-user rate a line is refused with the wait, and the rate refills with time', async () => {
    h = await startServer({ chat: { ratePerSecond: 1, burst: 2 } });
    const ann = h.client('ann');
    await ann.connect();
    ann.say('lobby', 'one');
    ann.say('lobby', 'two');
    const refused = nextEvent(ann, 'chatRejected');
    const ref = ann.say('lobby', 'three');
    const [r] = await refused;
    expect(r).toMatchObject({ ch: 'lobby', ref, reason: 'rate', message: 'at most 1 lines/s (burst 2)' });
    expect(r.retryInMs).toBe(1000);
    h.tick(30); // one second: one more line
    await say(ann, 'lobby', 'four', [ann]);
    expect(texts(ann, 'lobby')).toEqual(['one', 'two', 'four']);
    expect(h.server.health().chat).toMatchObject({ linesIn: 3, linesRejected: 1 });
  });

  it('lines follow the name rules: bidi and control characters are refused, spaces folded; the SDK checks first', async () => {
    h = await startServer();
    const ann = h.client('ann');
    await ann.connect();
    expect(() => ann.say('room', 'evil \u202Etxt.exe')).toThrow(/control, format \(bidi, zero-width\)/);
    expect(() => ann.say('room', 'x'.repeat(201))).toThrow(/1-200 characters/);
    // Straight onto the wire, past the SDK's check: refused by the server, the link stays open.
    const refused = nextEvent(ann, 'chatRejected');
    ann.sendRaw(encodeControl(MessageType.ChatSend, { ch: 'room', text: 'a\u0007b', ref: 9 }));
    expect((await refused)[0]).toMatchObject({ ref: 9, reason: 'text', message: expect.stringMatching(/must not contain control/) });
    await say(ann, 'room', '  many    spaces\n here ', [ann], 'many spaces here');
    expect(texts(ann, 'room')).toEqual(['many spaces here']);
  });

  it('a muted sender’s lines are not delivered, history included; unmuting brings new ones back', async () => {
    h = await startServer();
    const [ann, ben, cat] = [h.client('ann'), h.client('ben'), h.client('cat')];
    await ann.connect();
    await ben.connect();
    await cat.connect();
    await say(ben, 'room', 'before the mute', [ann, ben, cat]);
    const muted = nextEvent(ann, 'mutes', (users) => users.length === 1);
    ann.mute(ben.chatKey!);
    await muted;
    await say(ben, 'room', 'you cannot see this', [ben, cat]);
    await say(cat, 'room', 'but this', [ann, cat]);
    expect(texts(ann, 'room')).toEqual(['before the mute', 'but this']);
    // A page skips the muted sender too.
    const page = nextEvent(ann, 'chat', (e) => e.kind === 'page');
    ann.loadOlderChat('room');
    expect((await page)[0].lines).toEqual([]);
    const unmuted = nextEvent(ann, 'mutes', (users) => users.length === 0);
    ann.mute(ben.chatKey!, false);
    await unmuted;
    await say(ben, 'room', 'back again', [ann, ben]);
    expect(texts(ann, 'room')).toEqual(['before the mute', 'but this', 'back again']);
  });

  it('a flood of refused lines closes the client 4003; everyone else chats on', async () => {
    h = await startServer({ chat: { ratePerSecond: 1, burst: 1, maxRejectsInRow: 5 } });
    const [spam, ann] = [h.client('spam'), h.client('ann')];
    await spam.connect();
    await ann.connect();
    const closed = nextEvent(spam, 'close');
    for (let i = 0; i < 6; i++) spam.sendRaw(encodeControl(MessageType.ChatSend, { ch: 'lobby', text: `spam ${i}` }));
    const [c] = await closed;
    expect(c.code).toBe(CloseCode.RateLimited);
    expect(c.reason).toMatch(/chat flood: 5 lines in a row refused \(rate\)/);
    await h.logged((l) => l.msg === 'closing client' && l.code === CloseCode.RateLimited);
    await say(ann, 'lobby', 'still here', [ann]);
    expect(texts(ann, 'lobby')).toEqual(['spam 0', 'still here']);
  });

  it('a malformed chat message closes 4001; chat before JOIN closes 4002; chat off makes them unknown', async () => {
    h = await startServer();
    const bad = h.client('bad');
    await bad.connect();
    const closed = nextEvent(bad, 'close');
    bad.sendRaw(encodeControl(MessageType.ChatSend, { ch: 'everywhere', text: 'x' }));
    expect((await closed)[0]).toMatchObject({
      code: CloseCode.MalformedMessage,
      reason: expect.stringMatching(/CHAT_SEND.ch must be "room" or "lobby"/),
    });
    const early = await rawSocket(h.url);
    const result = closeOf(early);
    early.send(encodeControl(MessageType.ChatSend, { ch: 'lobby', text: 'first!' }));
    expect(await result).toMatchObject({ code: CloseCode.UnexpectedMessage, reason: 'chat before JOIN' });
    await h.close();

    h = await startServer({ roomTypes: [defineRoomType({ game: arenaGame })], chat: false });
    const quiet = h.client('quiet');
    await quiet.connect();
    const off = nextEvent(quiet, 'close');
    quiet.sendRaw(encodeControl(MessageType.ChatSend, { ch: 'room', text: 'x' }));
    expect((await off)[0]).toMatchObject({ code: CloseCode.MalformedMessage, reason: expect.stringMatching(/chat is off/) });
  });
});
