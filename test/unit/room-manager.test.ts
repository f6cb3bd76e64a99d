import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { GameDefinition } from '../../shared/game/game-definition';
import { CloseCode } from '../../shared/protocol/close-codes';
import { arenaGame } from '../../shared/games/arena';
import { JoinRejectedError, RoomManager } from '../../src/rooms/room-manager';
import { defineRoomType, resolveRoomType } from '../../src/rooms/room-type';
import { MemoryClient } from '../support/memory-client';
import { counterGame } from '../support/counter-game';

const defaults = { tickRate: 30, sendRate: 30, maxPlayers: 2, resumeWindowMs: 20_000 };
const log = pino({ level: 'silent' });

describe('RoomManager', () => {
  it('joins the first room with space and makes a new one when all are full', () => {
    const m = new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame }), defaults)], { log });
    const joins = Array.from({ length: 5 }, (_, i) => m.join(new MemoryClient(), 'arena', `p${i}`));
    const roomIds = joins.map((j) => j.room.id);
    expect(new Set(roomIds).size).toBe(3);
    expect(roomIds[0]).toBe(roomIds[1]);
    expect(roomIds[2]).toBe(roomIds[3]);
    // A seat freed in the first room is filled before the last room.
    m.leave(joins[0].room, joins[0].slot);
    expect(m.join(new MemoryClient(), 'arena', 'late').room.id).toBe(roomIds[0]);
  });

  it('disposes a room when it empties', () => {
    const m = new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame }), defaults)], { log });
    const disposed: string[] = [];
    m.on('room-disposed', (room, reason) => disposed.push(`${room.id}:${reason}`));
    const a = m.join(new MemoryClient(), 'arena', 'a');
    const b = m.join(new MemoryClient(), 'arena', 'b');
    m.leave(a.room, a.slot);
    expect(m.rooms.size).toBe(1);
    m.leave(b.room, b.slot);
    expect(m.rooms.size).toBe(0);
    expect(disposed).toEqual([`${a.room.id}:empty`]);
  });

  it('rejects unknown room types and the room limit with a join-rejected code', () => {
    const m = new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame, maxPlayers: 1 }), defaults)], { log, maxRooms: 1 });
    const err = (() => {
      try {
        m.join(new MemoryClient(), 'chess', 'a');
      } catch (e) {
        return e as JoinRejectedError;
      }
    })();
    expect(err).toBeInstanceOf(JoinRejectedError);
    expect(err!.closeCode).toBe(CloseCode.JoinRejected);
    expect(err!.message).toMatch(/unknown room type "chess"; this server has: arena/);
    m.join(new MemoryClient(), 'arena', 'a');
    expect(() => m.join(new MemoryClient(), 'arena', 'b')).toThrow(/room limit \(1\)/);
  });

  it('hosts a second game next to the arena without changes to the core', () => {
    const hooks: string[] = [];
    const counter = defineRoomType({
      game: counterGame,
      tickRate: 10,
      onCreate: () => hooks.push('create'),
      onJoin: (_room, p) => hooks.push(`join ${p.name}`),
      onLeave: (_room, p) => hooks.push(`leave ${p.name}`),
      onDispose: () => hooks.push('dispose'),
    });
    const m = new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame }), defaults), resolveRoomType(counter, defaults)], {
      log,
    });
    const c = new MemoryClient();
    const { room, slot } = m.join(c, 'counter', 'cat');
    for (let i = 0; i < 5; i++) room.step();
    expect((room.state as { total: number }).total).toBe(5);
    expect(room.type.tickRate).toBe(10);
    m.leave(room, slot);
    expect(hooks).toEqual(['create', 'join cat', 'leave cat', 'dispose']);
  });

  it('refuses a join with 4006 when a room cannot be created, and survives a throwing onDispose', () => {
    const lines: { msg: string }[] = [];
    const captured = pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const broken = defineRoomType({
      game: counterGame,
      name: 'broken',
      onCreate: () => {
        throw new Error('bad setup');
      },
    });
    const grumpy = defineRoomType({
      game: counterGame,
      name: 'grumpy',
      onDispose: () => {
        throw new Error('bad teardown');
      },
    });
    const m = new RoomManager(
      [
        resolveRoomType(broken, defaults),
        resolveRoomType(grumpy, defaults),
        resolveRoomType(defineRoomType({ game: arenaGame }), defaults),
      ],
      { log: captured },
    );
    expect(() => m.join(new MemoryClient(), 'broken', 'a')).toThrow(expect.objectContaining({ closeCode: CloseCode.RoomCrashed }));
    expect(m.rooms.size).toBe(0);
    expect(lines.some((l) => l.msg === 'room creation failed')).toBe(true);
    m.join(new MemoryClient(), 'grumpy', 'g');
    const arenaClient = new MemoryClient();
    m.join(arenaClient, 'arena', 'a');
    m.disposeAll(CloseCode.GoingAway, 'server shutting down');
    expect(m.rooms.size).toBe(0);
    expect(arenaClient.closed?.code).toBe(CloseCode.GoingAway);
    expect(lines.some((l) => l.msg === 'room onDispose threw')).toBe(true);
  });

  it('leaves no orphan room when a room-created listener throws', () => {
    const hooks: string[] = [];
    const counter = defineRoomType({ game: counterGame, onCreate: () => hooks.push('create'), onDispose: () => hooks.push('dispose') });
    const m = new RoomManager([resolveRoomType(counter, defaults)], { log: pino({ level: 'silent' }) });
    const off = () => m.off('room-created', listener);
    const listener = () => {
      off();
      throw new Error('listener bug');
    };
    m.on('room-created', listener);
    expect(() => m.join(new MemoryClient(), 'counter', 'a')).toThrow(expect.objectContaining({ closeCode: CloseCode.RoomCrashed }));
    expect(m.rooms.size).toBe(0);
    expect(hooks).toEqual(['create', 'dispose']);
    // The next join makes a fresh room and is the only one in it.
    const { room } = m.join(new MemoryClient(), 'counter', 'b');
    expect([...m.rooms.values()]).toEqual([room]);
    expect(room.players.map((p) => p.name)).toEqual(['b']);
  });

  it('contains a crash: the faulty room is disposed with 4006, the others keep ticking', () => {
    const faulty: GameDefinition<{ tick: number }, { v: number }> = {
      ...counterGame,
      name: 'faulty',
      step: (s: { tick: number }) => {
        if (++s.tick === 3) throw new Error('bug in game code');
      },
    } as never;
    const lines: { msg: string; room?: string }[] = [];
    const captured = pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const m = new RoomManager(
      [resolveRoomType(defineRoomType({ game: arenaGame }), defaults), resolveRoomType(defineRoomType({ game: faulty }), defaults)],
      { log: captured },
    );
    const crashed: string[] = [];
    m.on('room-crashed', (room) => crashed.push(room.id));
    const arenaClient = new MemoryClient();
    const faultyClient = new MemoryClient();
    const healthy = m.join(arenaClient, 'arena', 'a').room;
    const bad = m.join(faultyClient, 'faulty', 'f').room;
    healthy.loop.start(0);
    bad.loop.start(0);
    for (let t = 1; t <= 10; t++) m.pump((t * 1000) / 30);
    expect(crashed).toEqual([bad.id]);
    expect(faultyClient.closed).toEqual({ code: CloseCode.RoomCrashed, reason: 'room crashed' });
    expect(m.rooms.has(bad.id)).toBe(false);
    expect(healthy.loop.steps).toBe(10);
    expect(arenaClient.snapshots().length).toBe(10);
    expect(m.crashes).toBe(1);
    expect(lines.some((l) => l.msg === 'room crashed; disposing it' && l.room === bad.id)).toBe(true);
  });
});

describe('RoomManager seats: resume, identity, expiry, ids', () => {
  const arena = () =>
    new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame }), { ...defaults, maxPlayers: 8, resumeWindowMs: 1000 })], { log });
  const ada = { userId: 'ada', claims: { sub: 'ada' } };

  it('never reuses a live room id, even when the id source repeats itself', () => {
    const ids = ['same', 'same', 'other'];
    const m = new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame, maxPlayers: 1 }), defaults)], {
      log,
      roomId: () => ids.shift()!,
    });
    const first = m.join(new MemoryClient(), 'arena', 'a');
    const second = m.join(new MemoryClient(), 'arena', 'b');
    expect([first.room.id, second.room.id]).toEqual(['same', 'other']);
    expect(m.rooms.get('same')).toBe(first.room);
  });

  it('hands a seat back for its token once, rotates the token, and refuses the old one', () => {
    const m = arena();
    const { room, slot } = m.join(new MemoryClient(), 'arena', 'a');
    const token = slot.resumeToken;
    m.detach(room, slot, 1006, 0);
    const back = m.resume(new MemoryClient(), token, 'arena');
    expect([back.slot, back.previous, back.detachedAt]).toEqual([slot, undefined, 0]);
    expect(() => m.resume(new MemoryClient(), token, 'arena')).toThrow(expect.objectContaining({ closeCode: CloseCode.ResumeRejected }));
    expect(() => m.resume(new MemoryClient(), slot.resumeToken, 'counter')).toThrow(/for a "arena" room/);
  });

  it('binds a token to its identity: a guest or another user cannot use it, and it stays valid for its owner', () => {
    const m = arena();
    const { room, slot } = m.join(new MemoryClient(), 'arena', 'ada', ada);
    m.detach(room, slot, 1006, 0);
    expect(() => m.resume(new MemoryClient(), slot.resumeToken, 'arena')).toThrow(/another identity/);
    expect(() => m.resume(new MemoryClient(), slot.resumeToken, 'arena', { userId: 'eve', claims: {} })).toThrow(/another identity/);
    expect(m.resume(new MemoryClient(), slot.resumeToken, 'arena', ada).slot).toBe(slot);
  });

  it('gives one identity one seat per room type: a second login takes the seat over', () => {
    const m = arena();
    const firstTab = new MemoryClient();
    const first = m.join(firstTab, 'arena', 'ada', ada);
    const second = m.join(new MemoryClient(), 'arena', 'ada again', ada);
    expect(second.slot).toBe(first.slot);
    expect(second.previous).toBe(firstTab);
    expect(first.room.players.length).toBe(1);
  });

  it('frees seats whose window ran out, and disposes the emptied room', () => {
    const m = arena();
    const disposed: string[] = [];
    m.on('room-disposed', (r, reason) => disposed.push(reason));
    const a = m.join(new MemoryClient(), 'arena', 'a');
    const b = m.join(new MemoryClient(), 'arena', 'b');
    m.detach(a.room, a.slot, 1006, 0);
    m.detach(b.room, b.slot, 1006, 500);
    expect(m.expireSeats(999)).toBe(0);
    expect(m.detachedSeats).toBe(2);
    expect(m.expireSeats(1000)).toBe(1);
    expect(a.room.players).toEqual([b.slot]);
    expect(() => m.resume(new MemoryClient(), a.slot.resumeToken, 'arena')).toThrow(/unknown, already used, or expired/);
    expect(m.expireSeats(1500)).toBe(1);
    expect(disposed).toEqual(['empty']);
    expect(m.rooms.size).toBe(0);
  });

  it('frees the seat at once when the room type holds none (resumeWindowMs 0)', () => {
    const m = new RoomManager([resolveRoomType(defineRoomType({ game: arenaGame, resumeWindowMs: 0 }), defaults)], { log });
    const { room, slot } = m.join(new MemoryClient(), 'arena', 'a');
    m.detach(room, slot, 1006, 0);
    expect(m.rooms.size).toBe(0);
  });
});
