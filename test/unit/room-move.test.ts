import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { plainStateCodec } from '../../shared/game/state-codec';
import { arenaGame, arenaStateCodec, hashArena, type ArenaInput, type ArenaState } from '../../shared/games/arena';
import { cursorsGame } from '../../shared/games/cursors';
import { writeInputHeader } from '../../shared/protocol/input-message';
import { CloseCode } from '../../shared/protocol/close-codes';
import { Room } from '../../src/rooms/room';
import { decodeMovedRoom, encodeMovedRoom, isMovable, MoveRefusedError, restoreMovedRoom, stateCodecOf } from '../../src/rooms/room-move';
import { defineRoomType, resolveRoomType, type ResolvedRoomType } from '../../src/rooms/room-type';
import { MemoryClient } from '../support/memory-client';
import { randomInputs } from '../support/arena-fixtures';

const defaults = { tickRate: 30, sendRate: 30, maxPlayers: 32, resumeWindowMs: 20_000 };

/** An arena state after `ticks` steps of seeded random play (moves, shots, hits) by `players`. */
function playedArena(players: number, ticks: number): ArenaState {
  const s = arenaGame.createState({ seed: 99, tickRate: 30 });
  for (let id = 1; id <= players; id++) arenaGame.addPlayer(s, id, `p${id}`);
  const inputs = new Map<number, ArenaInput>();
  const next = new Map<number, (i: ArenaInput) => void>();
  for (let id = 1; id <= players; id++) {
    inputs.set(id, arenaGame.input.create());
    next.set(id, randomInputs(id * 7));
  }
  for (let t = 0; t < ticks; t++) {
    for (const [id, input] of inputs) next.get(id)!(input);
    arenaGame.step(s, { get: (id) => inputs.get(id) });
  }
  return s;
}

describe('state codecs', () => {
  it('the default codec keeps plain data, typed arrays included, and turns a Map into an object', () => {
    const codec = plainStateCodec<Record<string, unknown>>();
    const state = { tick: 7, list: [1, { a: 'x' }], hist: new Int32Array([1, -2, 3]), on: true, none: null, m: new Map([[1, 2]]) };
    const back = codec.decode(codec.encode(state));
    expect(back.hist).toBeInstanceOf(Int32Array);
    expect([...(back.hist as Int32Array)]).toEqual([1, -2, 3]);
    expect(back).toMatchObject({ tick: 7, list: [1, { a: 'x' }], on: true, none: null });
    // Not a Map any more: a game whose state holds Maps writes its own codec.
    expect(back.m).toEqual({ 1: 2 });
  });

  it('an arena state decodes to the same hash and steps on identically, shots in flight included', () => {
    const s = playedArena(6, 400);
    expect(s.projectiles.length + s.players.reduce((n, p) => n + p.score, 0)).toBeGreaterThan(0);
    const copy = arenaStateCodec.decode(arenaStateCodec.encode(s));
    expect(hashArena(copy)).toBe(hashArena(s));
    expect(copy.players.map((p) => p.score)).toEqual(s.players.map((p) => p.score));
    expect(copy.players[0].histX).toBeInstanceOf(Int32Array);
    // The scratch comes back fresh and the step carries on the same: 300 more ticks on both.
    const inputs = new Map<number, ArenaInput>();
    const next = randomInputs(5);
    for (const p of s.players) inputs.set(p.id, arenaGame.input.create());
    for (let t = 0; t < 300; t++) {
      for (const input of inputs.values()) next(input);
      arenaGame.step(s, { get: (id) => inputs.get(id) });
      arenaGame.step(copy, { get: (id) => inputs.get(id) });
      expect(hashArena(copy)).toBe(hashArena(s));
    }
  });

  it('the cursors game moves with the default codec: same hash after a round trip', () => {
    const s = cursorsGame.createState({ seed: 1, tickRate: 60 });
    cursorsGame.addPlayer(s, 1, 'a');
    cursorsGame.addPlayer(s, 2, 'b');
    const input = { x: 100, y: 200, present: 1 };
    for (let t = 0; t < 10; t++) cursorsGame.step(s, { get: () => input });
    const resolved = resolveRoomType(defineRoomType({ game: cursorsGame }), defaults) as unknown as ResolvedRoomType<typeof s>;
    const codec = stateCodecOf(resolved);
    const back = codec.decode(codec.encode(s));
    expect(cursorsGame.hash(back)).toBe(cursorsGame.hash(s));
    expect(cursorsGame.tickOf(back)).toBe(10);
  });

  it('movable: the room type decides, else the game, else yes', () => {
    const t = (over: object, game = arenaGame as typeof arenaGame) =>
      isMovable(resolveRoomType(defineRoomType({ game, ...over }), defaults) as never);
    expect(t({})).toBe(true);
    expect(t({ movable: false })).toBe(false);
    expect(t({}, { ...arenaGame, movable: false })).toBe(false);
    expect(t({ movable: true }, { ...arenaGame, movable: false })).toBe(true);
  });
});

describe('a moved room', () => {
  function inputMessage(firstSeq: number, inputs: ArenaInput[]): ByteReader {
    const w = new ByteWriter();
    writeInputHeader(w, 0, firstSeq, inputs.length);
    for (const i of inputs) arenaGame.input.write(w, i);
    const r = new ByteReader(w.bytes());
    r.u8();
    return r;
  }

  it('comes back at its tick with every seat detached and held by the same token, its buffered inputs in place', () => {
    const type = resolveRoomType(defineRoomType({ game: arenaGame, seed: () => 42 }), defaults) as unknown as ResolvedRoomType;
    const room = new Room('arena-x', type);
    const a = room.join(new MemoryClient(), 'ann', { userId: 'u-ann', claims: { sub: 'u-ann', role: 'x' } });
    const b = room.join(new MemoryClient(), 'bob');
    for (let t = 0; t < 50; t++) room.step();
    // Ann has inputs queued for ticks 51-53 (ahead of the room at 50); Bob dropped 2 s ago.
    room.acceptInputs(
      a,
      inputMessage(51, [
        { buttons: 1, aim: 10 },
        { buttons: 2, aim: 20 },
        { buttons: 4, aim: 30 },
      ]),
    );
    room.detach(b, CloseCode.ConnectionLost, 1000);
    const bytes = encodeMovedRoom(room, 3000, 'node-a', []);
    const moved = decodeMovedRoom(bytes);
    expect(moved).toMatchObject({ roomId: 'arena-x', type: 'arena', tick: 50, seed: 42, from: 'node-a' });

    const there = restoreMovedRoom(moved, type, {}, 10_000, 500);
    expect(there.tick).toBe(50);
    expect(type.game.hash(there.state)).toBe(type.game.hash(room.state));
    const a2 = there.getPlayer(a.id)!;
    const b2 = there.getPlayer(b.id)!;
    expect(a2.resumeToken).toBe(a.resumeToken);
    expect(b2.resumeToken).toBe(b.resumeToken);
    expect(a2.identity).toEqual({ userId: 'u-ann', claims: { sub: 'u-ann', role: 'x' } });
    expect([a2.connected, b2.connected]).toEqual([false, false]);
    expect(a2.dropCode).toBe(CloseCode.RoomMoved);
    // Bob's resume window goes on counting from his drop: 2 s of it used.
    expect(10_000 - b2.detachedAt).toBe(2000);
    expect(there.detachedCount).toBe(2);
    // It waits for Ann (connected when it left), not for Bob.
    expect([...there.holdFor!]).toEqual([a.id]);
    expect(there.isHeld(10_499)).toBe(true);
    expect(there.isHeld(10_500)).toBe(false);
    // Ann's inputs for ticks 51-53 play on the new node.
    const out = arenaGame.input.create();
    expect(a2.inputs.take(52, out)).toBe(true);
    expect(out).toEqual({ buttons: 2, aim: 20 });
    expect(a2.inputs.take(50, out)).toBe(false);
    // Its snapshots up to tick 50 came from the old node: an ack of one is not taken as this node's.
    there.reattach(a2, new MemoryClient());
    there.acknowledge(a2, 50);
    expect(a2.ackTick).toBe(0);
    // New players get fresh ids, not one of the moved seats'.
    const c = there.join(new MemoryClient(), 'cat');
    expect(c.id).toBe(3);
    there.step();
    expect(there.tick).toBe(51);
  });

  it('a codec that decodes to another tick is refused, by name', () => {
    const type = resolveRoomType(defineRoomType({ game: arenaGame }), defaults) as unknown as ResolvedRoomType;
    const room = new Room('r', type);
    room.join(new MemoryClient(), 'ann');
    room.step();
    const moved = decodeMovedRoom(encodeMovedRoom(room, 0, 'a'));
    const broken = resolveRoomType(
      defineRoomType({
        game: { ...arenaGame, stateCodec: { ...arenaStateCodec, decode: (b) => ({ ...arenaStateCodec.decode(b), tick: 0 }) } },
      }),
      defaults,
    ) as unknown as ResolvedRoomType;
    expect(() => restoreMovedRoom(moved, broken, {}, 0, 0)).toThrow(MoveRefusedError);
    expect(() => decodeMovedRoom(Uint8Array.of(1, 2, 3))).toThrow(MoveRefusedError);
  });
});
