import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { replay } from '../../shared/game/replay';
import { writeInputHeader } from '../../shared/protocol/input-message';
import { MessageType } from '../../shared/protocol/message-types';
import type { WelcomeMessage } from '../../shared/protocol/control-messages';
import { EntityTable } from '../../shared/replication/entity-table';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import { arenaGame, arenaEntitySchema, Button, PlayerField, tickRules, type ArenaInput } from '../../shared/games/arena';
import { Room } from '../../src/rooms/room';
import { defineRoomType, resolveRoomType } from '../../src/rooms/room-type';
import { MemoryClient } from '../support/memory-client';
import { randomInputs } from '../support/arena-fixtures';

const defaults = { tickRate: 30, sendRate: 30, maxPlayers: 32, resumeWindowMs: 20_000 };
function arenaRoom(overrides: Partial<Parameters<typeof defineRoomType>[0]> = {}) {
  return new Room('r1', resolveRoomType(defineRoomType({ game: arenaGame, seed: () => 1234, ...overrides }), defaults));
}

/** An INPUT message body (after the type byte) carrying `inputs` from `firstSeq`. */
function inputMessage(firstSeq: number, inputs: ArenaInput[], ackTick = 0): ByteReader {
  const w = new ByteWriter();
  writeInputHeader(w, ackTick, firstSeq, inputs.length);
  for (const i of inputs) arenaGame.input.write(w, i);
  const r = new ByteReader(w.bytes());
  r.u8();
  return r;
}

describe('Room', () => {
  it('welcomes a joiner with the room settings and tells everyone once per tick', () => {
    const room = arenaRoom();
    const a = new MemoryClient();
    const b = new MemoryClient();
    room.join(a, 'ann');
    room.join(b, 'bob');
    const welcome = b.control<WelcomeMessage>(MessageType.Welcome)[0];
    expect(welcome).toMatchObject({
      playerId: 2,
      roomId: 'r1',
      roomType: 'arena',
      tickRate: 30,
      sendRate: 30,
      players: [
        [1, 'ann'],
        [2, 'bob'],
      ],
    });
    expect(a.control(MessageType.PlayerJoined)).toEqual([]);
    room.step();
    // One message for both joins, the same bytes for both players.
    expect(a.control(MessageType.PlayerJoined)).toEqual([
      {
        players: [
          [1, 'ann'],
          [2, 'bob'],
        ],
      },
    ]);
    expect(b.ofType(MessageType.PlayerJoined)).toEqual(a.ofType(MessageType.PlayerJoined));
    // Someone who joins and leaves between two ticks is only announced as gone.
    const c = room.join(new MemoryClient(), 'cat');
    room.leave(room.getPlayer(1)!);
    room.leave(c);
    room.step();
    expect(b.control(MessageType.PlayerJoined)).toHaveLength(1);
    expect(b.control(MessageType.PlayerLeft)).toEqual([{ playerIds: [1, 3] }]);
  });

  it('does not reuse a wrapped-around id whose leave is not yet announced', () => {
    const room = arenaRoom();
    const watcher = new MemoryClient();
    room.join(watcher, 'watcher'); // id 1
    const early = room.join(new MemoryClient(), 'early'); // id 2
    room.step();
    // Jump the allocator to the top of the u16 range rather than churn 65,000 joins.
    (room as unknown as { nextPlayerId: number }).nextPlayerId = 0xffff;
    expect(room.join(new MemoryClient(), 'top').id).toBe(0xffff);
    room.leave(early); // id 2 leaves, unannounced until the next tick
    const late = room.join(new MemoryClient(), 'late'); // wraps: 1 is taken, 2 is not yet free
    expect(late.id).toBe(3);
    room.step();
    // Applying the tick's roster messages in order leaves the newcomer in the watcher's list.
    const roster = new Map<number, string>();
    for (const m of watcher.control<{ players: [number, string][] }>(MessageType.PlayerJoined))
      for (const [id, name] of m.players) roster.set(id, name);
    for (const m of watcher.control<{ playerIds: number[] }>(MessageType.PlayerLeft)) for (const id of m.playerIds) roster.delete(id);
    expect([...roster.values()].sort()).toEqual(['late', 'top', 'watcher']);
    // Once announced, the id is free again.
    (room as unknown as { nextPlayerId: number }).nextPlayerId = 2;
    expect(room.join(new MemoryClient(), 'reuse').id).toBe(2);
  });

  it('applies each input at the tick it is stamped for, whatever order they arrive in, once', () => {
    const room = arenaRoom();
    const a = new MemoryClient();
    const slot = room.join(a, 'ann');
    const me = (room.state as { players: { x: number; y: number }[] }).players[0];
    [me.x, me.y] = [2000, 2000];
    const right = { buttons: Button.Right, aim: 0 };
    const down = { buttons: Button.Down, aim: 0 };
    // Tick 3's input first, then 1 and 2 together, then every one again (redundancy).
    room.acceptInputs(slot, inputMessage(3, [down]));
    room.acceptInputs(slot, inputMessage(1, [right, right]));
    room.acceptInputs(slot, inputMessage(1, [right, right, down]));
    const step = tickRules(30).playerStep;
    room.step();
    expect([me.x, me.y, a.snapshots().at(-1)!.ackSeq]).toEqual([2000 + step, 2000, 1]);
    room.step();
    room.step();
    expect([me.x, me.y, a.snapshots().at(-1)!.ackSeq]).toEqual([2000 + 2 * step, 2000 + step, 3]);
    expect(room.stats.inputsLate).toBe(0);
  });

  it('uses up a starved tick: its input, arriving late, is refused rather than applied twice', () => {
    const room = arenaRoom();
    const a = new MemoryClient();
    const slot = room.join(a, 'ann');
    const me = (room.state as { players: { x: number }[] }).players[0];
    me.x = 2000;
    const right = { buttons: Button.Right, aim: 0 };
    const idle = { buttons: 0, aim: 0 };
    room.acceptInputs(slot, inputMessage(1, [right]));
    room.step();
    room.step(); // tick 2's input has not come: the last one repeats, and tick 2 is used up
    expect(a.snapshots().at(-1)!.ackSeq).toBe(2);
    const step = tickRules(30).playerStep;
    expect(me.x).toBe(2000 + 2 * step);
    room.acceptInputs(slot, inputMessage(2, [idle, idle])); // tick 2 late, tick 3 in time
    expect(room.stats.inputsLate).toBe(1);
    room.acceptInputs(slot, inputMessage(2, [idle, idle])); // resent copies: not late twice
    expect(room.stats.inputsLate).toBe(1);
    room.step();
    expect(me.x).toBe(2000 + 2 * step);
    expect(a.snapshots().at(-1)!.ackSeq).toBe(3);
  });

  it('drops an input stamped beyond the buffer (a second of ticks), and counts it', () => {
    const room = arenaRoom();
    const slot = room.join(new MemoryClient(), 'ann');
    room.acceptInputs(slot, inputMessage(32, [{ buttons: Button.Right, aim: 0 }]));
    expect(room.stats.inputsTooEarly).toBe(0);
    room.acceptInputs(slot, inputMessage(33, [{ buttons: Button.Right, aim: 0 }]));
    expect(room.stats.inputsTooEarly).toBe(1);
  });

  it('tells each client how early its inputs arrived: the least lead since its last snapshot, ms', () => {
    const room = arenaRoom();
    const a = new MemoryClient();
    const slot = room.join(a, 'ann');
    const idle = { buttons: 0, aim: 0 };
    const stepMs = 1000 / 30;
    room.loop.start(0);
    room.acceptInputs(slot, inputMessage(1, [idle]), 10); // tick 1 runs at 33.3 ms
    room.acceptInputs(slot, inputMessage(2, [idle]), 12);
    room.advance(stepMs);
    expect(a.snapshots().at(-1)!.inputLeadMs).toBe(Math.round(stepMs - 10));
    room.advance(2 * stepMs); // no input in between: no lead to report
    expect(a.snapshots().at(-1)!.inputLeadMs).toBeNaN();
    // The room stalls at tick 2: tick 3 was due at 100 ms. Inputs for ticks 4 and 5 arrive at
    // 120 and 172 ms, past their scheduled times, but a room running behind runs tick 3 as soon
    // as it wakes: they are one and two ticks early, not late.
    room.acceptInputs(slot, inputMessage(4, [idle]), 3 * stepMs + 20);
    room.acceptInputs(slot, inputMessage(5, [idle]), 5 * stepMs + 5);
    room.advance(5 * stepMs + 5);
    expect(
      a
        .snapshots()
        .map((s) => s.inputLeadMs)
        .slice(-3),
    ).toEqual([Math.round(stepMs), Number.NaN, Number.NaN]);
    expect(room.stats.inputsLate).toBe(0);
  });

  it('repeats a missing input for repeatInputTicks ticks, then stops the player but keeps its aim', () => {
    const room = arenaRoom();
    const a = new MemoryClient();
    const slot = room.join(a, 'ann');
    const me = (room.state as { players: { x: number; aim: number }[] }).players[0];
    me.x = 2000; // far from the walls
    room.acceptInputs(slot, inputMessage(1, [{ buttons: Button.Right, aim: 12345 }]));
    room.step();
    const xs: number[] = [];
    for (let i = 0; i < 12; i++) {
      room.step();
      xs.push(me.x);
    }
    const moved = xs.filter((x, i) => x !== (i === 0 ? 2000 + tickRules(30).playerStep : xs[i - 1])).length;
    expect(moved).toBe(8);
    // Every starved tick used up its input slot.
    expect(a.snapshots().at(-1)!.ackSeq).toBe(13);
    expect(slot.starvedTicks).toBe(12);
    expect(slot.current).toEqual({ buttons: 0, aim: 12345 });
    expect(me.aim).toBe(12345);
  });

  it('encodes one body per tick per distinct baseline, however many players', () => {
    const room = arenaRoom();
    const slots = Array.from({ length: 6 }, (_, i) => room.join(new MemoryClient(), `p${i}`));
    for (let i = 0; i < 3; i++) room.step();
    // Nobody has acknowledged anything: every client gets the same full body each tick.
    expect(room.stats.bodiesEncoded).toBe(3);
    expect(room.stats.fullSnapshots).toBe(18);
    // Half acknowledge tick 3, half tick 2: two bodies next tick, deltas against each.
    slots.forEach((s, i) => room.acknowledge(s, i % 2 === 0 ? 3 : 2));
    room.step();
    expect(room.stats.bodiesEncoded).toBe(5);
    expect(room.stats.fullSnapshots).toBe(18);
    const baselines = slots.map((s) => (s.client as MemoryClient).snapshots().at(-1)!.baselineTick);
    expect(baselines).toEqual([3, 2, 3, 2, 3, 2]);
  });

  it('ignores an acknowledgement of a tick it never sent that client', () => {
    const room = arenaRoom({ sendRate: 15 });
    const slot = room.join(new MemoryClient(), 'p');
    for (let i = 0; i < 4; i++) room.step();
    const sent = (slot.client as MemoryClient).snapshots().map((s) => s.tick);
    expect(sent).toEqual([1, 3]);
    room.acknowledge(slot, 2); // never sent: a snapshot is every other tick
    room.acknowledge(slot, 9); // the future
    expect(slot.ackTick).toBe(0);
    expect(room.stats.invalidAcks).toBe(2);
    room.acknowledge(slot, 3);
    expect(slot.ackTick).toBe(3);
  });

  it('staggers snapshots over the send interval: half the players each tick at half the tick rate', () => {
    const room = arenaRoom({ sendRate: 15 });
    const a = new MemoryClient();
    const b = new MemoryClient();
    room.join(a, 'a');
    room.join(b, 'b');
    for (let i = 0; i < 6; i++) room.step();
    expect(a.snapshots().map((s) => s.tick)).toEqual([1, 3, 5]);
    expect(b.snapshots().map((s) => s.tick)).toEqual([2, 4, 6]);
    // Off: everyone on the same ticks.
    const together = arenaRoom({ sendRate: 15, replication: { staggerSends: false } });
    const c = new MemoryClient();
    const d = new MemoryClient();
    together.join(c, 'c');
    together.join(d, 'd');
    for (let i = 0; i < 6; i++) together.step();
    expect(c.snapshots().map((s) => s.tick)).toEqual(d.snapshots().map((s) => s.tick));
  });

  it('gives every player the same body bytes behind its own header', () => {
    const room = arenaRoom();
    const clients = [new MemoryClient(), new MemoryClient(), new MemoryClient()];
    clients.forEach((c, i) => room.join(c, `p${i}`));
    room.step();
    const bodies = clients.map((c) => c.snapshots()[0].shared);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    // and that body decodes to the room's players
    const out = new EntityTable(arenaEntitySchema);
    const first = clients[0].snapshots()[0];
    expect(first.detached).toEqual([]);
    new DeltaCodec(arenaEntitySchema).decode(new ByteReader(first.body), null, out);
    expect(Array.from(out.ids.subarray(0, out.count))).toEqual([1, 2, 3]);
    const state = room.state as { players: { x: number }[] };
    expect(out.get(0, PlayerField.X)).toBe(state.players[0].x);
    // Each frame is its own buffer: the socket may hold it after send().
    expect(
      clients[0].sent.at(-1)!.buffer === clients[1].sent.at(-1)!.buffer &&
        clients[0].sent.at(-1)!.byteOffset === clients[1].sent.at(-1)!.byteOffset,
    ).toBe(false);
  });

  it('sends snapshots at the send rate, separately from the tick rate', () => {
    const room = arenaRoom({ tickRate: 60, sendRate: 20 });
    const a = new MemoryClient();
    room.join(a, 'ann');
    for (let i = 0; i < 60; i++) room.step();
    const ticks = a.snapshots().map((s) => s.tick);
    expect(ticks.length).toBe(20);
    expect(new Set(ticks.slice(1).map((t, i) => t - ticks[i]))).toEqual(new Set([3]));
  });

  it('skips snapshots for a backed-up client without affecting the others', () => {
    const room = arenaRoom();
    const slow = new MemoryClient();
    const fast = new MemoryClient();
    room.join(slow, 'slow');
    room.join(fast, 'fast');
    slow.bufferedAmount = 1 << 20;
    for (let i = 0; i < 10; i++) room.step();
    expect(slow.snapshots().length).toBe(0);
    expect(fast.snapshots().length).toBe(10);
    expect(room.stats.snapshotsSkipped).toBe(10);
    slow.bufferedAmount = 0;
    room.step();
    expect(slow.snapshots().length).toBe(1);
  });

  it('refuses to start a replay mid-session, where it could not be rebuilt from the seed', () => {
    const room = arenaRoom();
    room.join(new MemoryClient(), 'a');
    expect(() => room.startRecording()).toThrow(/set recordReplays on the room type/);
  });

  it('records from creation with recordReplays, including the leave after the last tick', () => {
    const room = arenaRoom({ recordReplays: true });
    expect(room.recording).toBe(true);
    const slots = ['a', 'b', 'c'].map((n) => room.join(new MemoryClient(), n));
    const drive = randomInputs(9);
    const input = arenaGame.input.create();
    for (let t = 0; t < 120; t++) {
      drive(input);
      room.acceptInputs(slots[0], inputMessage(t + 1, [input]));
      room.step();
    }
    room.leave(slots[2]); // after the last step, as a disposing room's final leave would be
    const log = room.stopRecording()!;
    expect(room.recording).toBe(false);
    expect(log.finalHash).toBe(arenaGame.hash(room.state as never));
    expect(replay(arenaGame, log).hash).toBe(log.finalHash);
  });

  it('records a replay that rebuilds the room state bit for bit', () => {
    const room = arenaRoom();
    const recorder = room.startRecording();
    const clients = [new MemoryClient(), new MemoryClient(), new MemoryClient()];
    const slots = clients.map((c, i) => room.join(c, `p${i}`));
    const drivers = slots.map((s) => randomInputs(s.id));
    const seqs = slots.map(() => 1);
    const input = arenaGame.input.create();
    for (let t = 0; t < 400; t++) {
      slots.forEach((slot, i) => {
        if (t % 7 === i) return; // some ticks without input: the repeat path is recorded too
        drivers[i](input);
        room.acceptInputs(slot, inputMessage(seqs[i]++, [input]));
      });
      if (t === 200) room.leave(slots[1]);
      room.step();
    }
    const log = recorder.finish(room.state);
    expect(log.finalHash).toBe(arenaGame.hash(room.state as never));
    expect(replay(arenaGame, JSON.parse(JSON.stringify(log))).hash).toBe(log.finalHash);
  });

  it('refuses a join when full and validates its settings', () => {
    const room = arenaRoom({ maxPlayers: 1 });
    room.join(new MemoryClient(), 'a');
    expect(room.isFull).toBe(true);
    expect(() => room.join(new MemoryClient(), 'b')).toThrow(/full/);
    expect(() => resolveRoomType(defineRoomType({ game: arenaGame, tickRate: 200 }), defaults)).toThrow(
      /tickRate must be an integer from 10 to 128/,
    );
    expect(() => resolveRoomType(defineRoomType({ game: arenaGame, tickRate: 30, sendRate: 31 }), defaults)).toThrow(/sendRate/);
    expect(resolveRoomType(defineRoomType({ game: arenaGame, maxPlayers: 500 }), defaults).maxPlayers).toBe(500);
  });

  it('runs a 500-player room', () => {
    // A budget that fits a full snapshot of 500 players (see the budget tests for the default).
    const room = arenaRoom({ maxPlayers: 500, replication: { bandwidthBytesPerSecond: 1 << 20 } });
    const clients = Array.from({ length: 500 }, () => new MemoryClient());
    clients.forEach((c, i) => room.join(c, `p${i}`));
    room.step();
    const out = new EntityTable(arenaEntitySchema);
    new DeltaCodec(arenaEntitySchema).decode(new ByteReader(clients[499].snapshots()[0].body), null, out);
    expect(out.count).toBe(500);
  });
});

describe('Room seats that outlive their link', () => {
  it('detaches a dropped player: listed in every snapshot, skipped by sends, held until reattached', () => {
    const room = arenaRoom();
    const a = new MemoryClient();
    const b = new MemoryClient();
    const sa = room.join(a, 'a');
    const sb = room.join(b, 'b');
    room.detach(sa, 1006, 1000);
    expect([sa.connected, sa.detachedAt, sa.dropCode, room.detachedCount]).toEqual([false, 1000, 1006, 1]);
    room.step();
    expect(a.snapshots().length).toBe(0);
    expect(b.snapshots().at(-1)!.detached).toEqual([sa.id]);
    const oldToken = sa.resumeToken;
    const a2 = new MemoryClient();
    room.reattach(sa, a2);
    expect(sa.resumeToken).not.toBe(oldToken);
    expect(sa.client).toBe(a2);
    // WELCOME (resumed) and a snapshot at once, before the next tick.
    const [welcome] = a2.control<{ resumed: boolean; playerId: number; resumeToken: string }>(MessageType.Welcome);
    expect([welcome.resumed, welcome.playerId, welcome.resumeToken]).toEqual([true, sa.id, sa.resumeToken]);
    expect(a2.snapshots().length).toBe(1);
    expect(a2.snapshots()[0].detached).toEqual([]);
    room.step();
    expect(b.snapshots().at(-1)!.detached).toEqual([]);
    expect(room.stats).toMatchObject({ drops: 1, resumes: 1 });
    expect(room.players.map((p) => p.id)).toEqual([sa.id, sb.id]);
  });

  it('lets the room type play a detached player (onDetachedInput), else it goes neutral', () => {
    const played: number[] = [];
    const room = arenaRoom({
      onDetachedInput: (_room, player, input) => {
        played.push(player.id);
        (input as { buttons: number }).buttons = Button.Right;
      },
    });
    const slot = room.join(new MemoryClient(), 'a');
    room.detach(slot, 1006, 0);
    room.step();
    room.step();
    expect(played).toEqual([slot.id, slot.id]);
    expect((slot.current as { buttons: number }).buttons).toBe(Button.Right);
    const plain = arenaRoom();
    const p = plain.join(new MemoryClient(), 'p');
    (p.current as { buttons: number }).buttons = Button.Up;
    plain.detach(p, 1006, 0);
    plain.step();
    expect((p.current as { buttons: number }).buttons).toBe(0);
    expect(plain.stats.inputsStarved).toBe(0); // a detached player is not a starving one
  });
});

describe('Room names', () => {
  it('never lets two players share a name: a taken one is numbered, and freed again on leave', () => {
    const room = arenaRoom();
    const a = room.join(new MemoryClient(), 'Ada');
    const b = room.join(new MemoryClient(), 'ada');
    const c = room.join(new MemoryClient(), 'ＡＤＡ');
    expect([a.name, b.name, c.name]).toEqual(['Ada', 'ada 2', 'ＡＤＡ 3']);
    room.leave(a);
    expect(room.join(new MemoryClient(), 'ADA').name).toBe('ADA');
  });
});
