import { describe, expect, it } from 'vitest';
import { ChatIdSource } from '../../src/chat/chat-id';
import { ChatChannel, type ChatReader } from '../../src/chat/chat-channel';
import { ChatLog } from '../../src/sdk/chat-log';
import { decodeControlBody } from '../../shared/protocol/control-messages';
import type { ChatMessage } from '../../shared/protocol/chat-messages';
import type { StoredChatMessage } from '../../src/persistence/chat-store';

const line = (id: string, sender = 'a', text = id): StoredChatMessage => ({
  id,
  channel: 'lobby',
  sender,
  senderName: sender,
  text,
  at: 0,
});

describe('chat ids', () => {
  it('sort in time order as strings, within one ms too, and differ between nodes', () => {
    const a = new ChatIdSource('a');
    const b = new ChatIdSource('b');
    const ids = [a.next(1000), a.next(1000), b.next(1000), a.next(999), a.next(1001), a.next(36 ** 5)];
    expect([...ids].sort()).toEqual([ids[0], ids[1], ids[3], ids[2], ids[4], ids[5]].sort());
    expect(ids[1]! > ids[0]!).toBe(true);
    expect(ids[3]! > ids[1]!).toBe(true); // a clock that stepped back is held at the last ms
    expect(ids[5]! > ids[4]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('a chat channel', () => {
  const reader = (mutes: string[] = []) => {
    const got: ChatMessage[] = [];
    const r: ChatReader & { got: ChatMessage[]; bytes: Uint8Array[] } = {
      mutes: new Set(mutes),
      got,
      bytes: [],
      send(bytes) {
        this.bytes.push(bytes);
        got.push(decodeControlBody(bytes.subarray(1)) as ChatMessage);
      },
    };
    return r;
  };

  it('encodes a flush once for readers without mutes, and filters for a reader with them', () => {
    const ch = new ChatChannel('lobby', 'lobby', 3);
    const [x, y, muter] = [reader(), reader(), reader(['b'])];
    for (const r of [x, y, muter]) ch.readers.add(r);
    ch.say(line('1', 'a'));
    ch.say(line('2', 'b'));
    expect(ch.flush()).toBe(3);
    expect(x.bytes[0]).toBe(y.bytes[0]); // the very same bytes
    expect(x.got[0]!.lines.map((l) => l[0])).toEqual(['1', '2']);
    expect(muter.got[0]!.lines.map((l) => l[0])).toEqual(['1']);
    ch.say(line('3', 'b'));
    expect(ch.flush()).toBe(2); // nothing left for the muter: nothing sent to it
  });

  it('keeps the newest lines for history; a joiner never gets a line twice', () => {
    const ch = new ChatChannel('lobby', 'lobby', 3);
    for (const id of ['1', '2', '3', '4']) ch.say(line(id));
    ch.flush();
    ch.say(line('5'));
    const joiner = reader();
    joiner.send(ch.history(joiner, 2)!);
    ch.readers.add(joiner);
    ch.flush();
    expect(joiner.got.map((m) => [m.kind, m.lines.map((l) => l[0]), m.more])).toEqual([
      ['history', ['3', '4'], true],
      ['live', ['5'], undefined],
    ]);
    expect(ch.olderInMemory('4', 10)).toMatchObject({ complete: false, more: true });
    expect(ch.olderInMemory('5', 1)).toMatchObject({ complete: true, more: true });
  });
});

describe('the SDK chat log', () => {
  it('merges history, pages and live lines by id, each once, and keeps at most its cap', () => {
    const log = new ChatLog(4);
    const l = (id: string): [string, number, string, string, string] => [id, 0, 'u', 'n', id];
    expect(log.add('lobby', [l('3'), l('4')]).map((e) => e.id)).toEqual(['3', '4']);
    expect(log.add('lobby', [l('4'), l('5')]).map((e) => e.id)).toEqual(['5']);
    expect(log.add('lobby', [l('1'), l('2')]).map((e) => e.id)).toEqual(['1', '2']);
    expect(log.get('lobby').map((e) => e.id)).toEqual(['2', '3', '4', '5']);
    expect(log.oldestId('lobby')).toBe('2');
    expect(log.get('room')).toEqual([]);
  });
});
