import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { arenaGame, type ArenaInput, type ArenaState } from '../../shared/games/arena';
import { CursorField, cursorsGame, type CursorInput } from '../../shared/games/cursors';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl, type JoinMessage, type NoticeMessage } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { DEFAULT_MOVE_HOLD_MS, type RoomMoveOptions } from '../../src/cluster/room-mover';
import type { Room } from '../../src/rooms/room';
import { defineRoomType, type RoomTypeDefinition } from '../../src/rooms/room-type';
import { ClientState } from '../../src/sdk/client-state';
import type { ClientEvents, TickwireClient } from '../../src/sdk/tickwire-client';
import { startClusterNode, type Harness } from '../support/cluster-node';
import { closeOf, flush, nextEvent, rawSocket } from '../support/server-harness';
import { PrivateRedis } from '../support/redis-server';
import { TEST_SECRET, mintHs256 } from '../support/jwt-fixtures';
import type { TickwireServerOptions } from '../../src/server/tickwire-server';

/**
 * Live rooms move (issue 22, part 3): two real servers on one Redis. Players in a room on node A;
 * A drains; the room, its state and its seats go to B; every player resumes there with the same
 * player id, entity and score, and every input it sent around the move is applied.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis?.kill());

type Client = TickwireClient<ArenaState, ArenaInput, unknown>;
const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close().catch(() => undefined)));
});

let prefixes = 0;
const DRAIN_MS = 2000;

/** The aim each client stamps on its input for tick `seq`: the server's applied input says which one it used. */
const aimFor = (seq: number) => (seq * 97) & 0xffff;

/** Applied inputs, by player id then tick: what `slot.current` held when that tick was simulated, on whichever node. */
type Applied = Map<number, Map<number, number>>;

interface NodeSetup {
  type?: Partial<RoomTypeDefinition<ArenaState, ArenaInput, unknown>>;
  /** Every room type of the node, in place of the recording arena. */
  roomTypes?: TickwireServerOptions['roomTypes'];
  roomMoves?: RoomMoveOptions | false;
  auth?: TickwireServerOptions['auth'];
}

/** Nodes a and b on one Redis (a fresh key prefix), each recording the inputs its rooms apply. */
async function twoNodes(setup: { a?: NodeSetup; b?: NodeSetup } = {}) {
  const keyPrefix = `move${process.pid}-${++prefixes}:`;
  const applied: Applied = new Map();
  const record = (room: Room<ArenaState, ArenaInput, unknown>) => {
    for (const p of room.players) {
      let m = applied.get(p.id);
      if (!m) applied.set(p.id, (m = new Map()));
      m.set(room.tick, p.current.aim);
    }
  };
  const make = async (nodeId: string, s: NodeSetup = {}) => {
    const h = await startClusterNode(
      { redisUrl: redis.url, keyPrefix, nodeId, roomMoves: s.roomMoves },
      {
        roomTypes: s.roomTypes ?? [defineRoomType({ game: arenaGame, onTick: record, ...s.type })],
        // A drains (and its players follow when the room stays); B's own close ends the test.
        drainMs: nodeId === 'node-a' ? DRAIN_MS : 0,
        auth: s.auth,
      },
    );
    open.push(h);
    return h;
  };
  const a = await make('node-a', setup.a);
  const b = await make('node-b', setup.b);
  await Promise.all([a, b].map((n) => n.server.cluster!.heartbeat()));
  return { a, b, applied };
}

/** `n` players in one room on `home`, each matchmaking-capable (counted) so a re-matchmake would show. */
async function players(home: Harness, n: number, matchmakes: { count: number }) {
  const counting: typeof fetch = (input, init) => {
    matchmakes.count++;
    return fetch(input, init);
  };
  const clients: Client[] = [];
  for (let i = 0; i < n; i++) {
    const c = home.client(`p${i}`, { matchmake: { fetch: counting } }) as unknown as Client;
    await c.connect();
    clients.push(c);
  }
  return clients;
}

/** One player in a room on `a`, then `a` closes (drains): the player's first move, the old room and the close. */
async function drainWithOne(a: Harness, matchmakes = { count: 0 }) {
  const [c] = await players(a, 1, matchmakes);
  const oldRoom = c.welcome!.roomId;
  const moved = nextEvent(c, 'moved');
  const closing = a.server.close();
  const [m] = await moved;
  return { c, oldRoom, m, closing };
}

/** Each open client sends its input for its next tick; returns what each sent. */
function sendInputs(clients: Client[], sent: Map<Client, number[]>): void {
  for (const c of clients) {
    if (!c.isOpen) continue;
    const seq = c.lastInputTick + 1;
    expect(c.sendInput({ buttons: 0, aim: aimFor(seq) })).toBe(seq);
    sent.set(c, [...(sent.get(c) ?? []), seq]);
  }
}

/** One step of play: inputs out, the server has them (PING/PONG), one tick on `node`. */
async function play(node: Harness, clients: Client[], sent: Map<Client, number[]>, ticks: number): Promise<void> {
  for (let t = 0; t < ticks; t++) {
    sendInputs(clients, sent);
    await Promise.all(clients.map((c) => flush(c)));
    node.tick();
  }
}

/** The drain ends once every link has gone, seen at a pump: pump until it has. */
async function drained(h: Harness, closing: Promise<void>): Promise<void> {
  let done = false;
  void closing.then(() => (done = true));
  while (!done) {
    h.server.pump();
    await new Promise((r) => setTimeout(r, 10));
  }
}

function roomOf(h: Harness): Room<ArenaState, ArenaInput, unknown> | undefined {
  return [...h.server.rooms.rooms.values()][0] as Room<ArenaState, ArenaInput, unknown> | undefined;
}

function all<K extends keyof ClientEvents>(clients: Client[], event: K, accept?: (...args: ClientEvents[K]) => boolean) {
  return Promise.all(clients.map((c) => nextEvent(c, event, accept)));
}

describe('live rooms move on a drain', () => {
  it('the room goes to the other node at its tick; every player resumes there with its id, entity and score, and no input is lost', async () => {
    const { a, b, applied } = await twoNodes();
    const matchmakes = { count: 0 };
    const clients = await players(a, 3, matchmakes);
    const sent = new Map<Client, number[]>();
    await play(a, clients, sent, 20);
    const roomA = roomOf(a)!;
    // Scores the state carries: set here, so the move has something to keep.
    roomA.state.players.forEach((p, i) => (p.score = 10 + i));
    const ids = clients.map((c) => c.playerId);
    // Room chat before the move: its history travels with the room.
    const heard = nextEvent(clients[2], 'chat', (e) => e.lines.some((l) => l.text === 'before the move'));
    clients[0].say('room', 'before the move');
    await flush(clients[0]);
    a.tick();
    await heard;
    const notices: NoticeMessage[] = [];
    for (const c of clients) c.on('notice', (n) => notices.push(n));
    const moving = all(clients, 'moving');
    const moved = all(clients, 'moved');
    const closing = a.server.close();
    // Inputs in flight: sent as the drain begins, before the room freezes or after it.
    sendInputs(clients, sent);
    for (const [m] of await moving) expect(m).toMatchObject({ cause: 'room-moved', from: { roomId: roomA.id } });
    const frozenAt = roomA.tick;
    for (const [m] of await moved)
      expect(m).toMatchObject({ cause: 'room-moved', from: { roomId: roomA.id }, to: { node: 'node-b', roomId: roomA.id } });

    // The notice named the new node and its URL; the old links closed 4016.
    await a.logged((l) => l.msg === 'connection closed' && l.code === CloseCode.RoomMoved, 3);
    expect(notices.filter((n) => n.kind === 'move')).toHaveLength(3);
    expect(notices.find((n) => n.kind === 'move')).toMatchObject({ node: 'node-b', url: b.url });
    expect(notices.some((n) => n.kind === 'shutdown')).toBe(false);
    const roomB = roomOf(b)!;
    expect(roomB.id).toBe(roomA.id);
    expect(roomB.tick).toBeGreaterThanOrEqual(frozenAt);
    expect(a.server.rooms.rooms.size).toBe(0);
    for (const [i, c] of clients.entries()) {
      expect(c.state).toBe(ClientState.Open);
      expect(c.playerId).toBe(ids[i]);
      expect(c.welcome).toMatchObject({ roomId: roomA.id, resumed: true });
      expect(c.stats).toMatchObject({ roomMoves: 1, moves: 0 });
    }
    expect(matchmakes.count).toBe(0);

    // Play on, on B: the room was held until all three were back, then ticks from where it stopped.
    await play(b, clients, sent, 20);
    expect(roomB.tick).toBe(frozenAt + 20);
    for (const [i, c] of clients.entries()) {
      expect(c.latest.indexOf(c.playerId)).toBeGreaterThanOrEqual(0);
      expect(roomB.state.players.find((p) => p.id === ids[i])!.score).toBe(10 + i);
      // Every input it sent, before, around and after the move, was the one applied at its tick.
      const seqs = sent.get(c)!.filter((s) => s <= roomB.tick);
      expect(seqs.length).toBeGreaterThan(30);
      const got = applied.get(c.playerId)!;
      const lost = seqs.filter((s) => got.get(s) !== aimFor(s));
      expect(lost).toEqual([]);
    }
    // Room chat on B: the old lines are its history, and the moved players read it (membership followed the seats).
    expect(b.server.chat!.roomLines(roomB.id).map((l) => l.text)).toEqual(['before the move']);
    const chatOnB = all([clients[0], clients[2]], 'chat', (e) => e.ch === 'room' && e.lines.some((l) => l.text === 'after the move'));
    clients[1].say('room', 'after the move');
    await flush(clients[1]);
    b.tick();
    await chatOnB;
    expect(clients[2].chat.get('room').map((l) => l.text)).toEqual(['before the move', 'after the move']);
    // The registry maps the room to B.
    const listed = await b.server.cluster!.registry.rooms('arena');
    expect(listed.map((r) => [r.roomId, r.nodeId])).toEqual([[roomA.id, 'node-b']]);
    expect(b.server.mover!.stats.movedIn).toBe(1);
    await drained(a, closing);
    expect(a.server.mover!.stats.movedOut).toBe(1);
  });

  it('a moved room waits for its players only as long as the hold (500 ms by default): one who never comes back does not keep the others frozen', async () => {
    const { a, b } = await twoNodes();
    const [ann] = await players(a, 1, { count: 0 });
    // Gone for good: without reconnects, the move's notice closes it instead of resuming.
    const gone = a.client('gone', { reconnect: false }) as unknown as Client;
    await gone.connect();
    expect(gone.welcome!.roomId).toBe(ann.welcome!.roomId);
    await play(a, [ann, gone], new Map(), 5);
    const moved = nextEvent(ann, 'moved');
    const goneClosed = nextEvent(gone, 'close');
    const closing = a.server.close();
    await moved;
    await goneClosed;
    const roomB = roomOf(b)!;
    const frozenAt = roomB.tick;
    // Ann is back; the room waits for the other seat, from when B took it, until the hold ends.
    expect([...roomB.holdFor!]).toEqual([gone.playerId]);
    expect(roomB.holdUntil - b.clock.now()).toBe(500);
    expect(DEFAULT_MOVE_HOLD_MS).toBe(500);
    // 14 ticks of 33.3 ms: 467 ms, still held; by the 16th (533 ms) it runs.
    b.tick(14);
    expect(roomB.tick).toBe(frozenAt);
    b.tick(2);
    expect(roomB.tick).toBeGreaterThan(frozenAt);
    // Ann plays on while the other seat waits out its resume window.
    expect(ann.state).toBe(ClientState.Open);
    await drained(a, closing);
  });

  it('a room type that opts out (movable: false) drains as before: its players matchmake to a new room', async () => {
    const { a, b } = await twoNodes({ a: { type: { movable: false } }, b: { type: { movable: false } } });
    const matchmakes = { count: 0 };
    const { c, oldRoom, m, closing } = await drainWithOne(a, matchmakes);
    expect(m).toMatchObject({ cause: 'drain', from: { roomId: oldRoom } });
    expect(m.to.roomId).not.toBe(oldRoom);
    expect(matchmakes.count).toBeGreaterThan(0);
    expect(c.stats.roomMoves).toBe(0);
    expect(a.server.mover!.stats.movedOut).toBe(0);
    expect(roomOf(b)!.id).toBe(m.to.roomId);
    await drained(a, closing);
    c.close();
  });

  it('a room over the size limit drains as before, with the reason logged', async () => {
    const { a, b } = await twoNodes({ a: { roomMoves: { maxBytes: 200 } } });
    const { c, oldRoom, m, closing } = await drainWithOne(a);
    expect(m.cause).toBe('drain');
    expect(m.to.roomId).not.toBe(oldRoom);
    expect(a.lines.some((l) => l.msg.includes('over the size limit') && l.maxBytes === 200)).toBe(true);
    expect(a.server.mover!.stats).toMatchObject({ movedOut: 0, failed: 1 });
    expect(b.server.mover!.stats.movedIn).toBe(0);
    await drained(a, closing);
    c.close();
  });

  it('a target that does not answer in time: the room drains as before, and the late answer finds nothing to take', async () => {
    const { a, b } = await twoNodes({ a: { roomMoves: { timeoutMs: 300 } } });
    const rpc = (b.server as unknown as { rpc: { importHandler: (r: never) => Promise<unknown> } }).rpc;
    const realImport = rpc.importHandler;
    let release!: () => void;
    const late = new Promise<void>((r) => (release = r));
    let lateAnswer: Promise<unknown> | undefined;
    rpc.importHandler = (req) => (lateAnswer = late.then(() => realImport(req)));
    const { c, oldRoom, m, closing } = await drainWithOne(a);
    expect(m.cause).toBe('drain');
    expect(a.server.mover!.stats).toMatchObject({ movedOut: 0, failed: 1 });
    // B answers now: the blob is gone (A took it back when it gave up), so B refuses it.
    release();
    expect(await lateAnswer).toMatchObject({ ok: false });
    expect([...b.server.rooms.rooms.keys()]).not.toContain(oldRoom);
    expect(b.server.mover!.stats).toMatchObject({ movedIn: 0, refused: 1 });
    await drained(a, closing);
    c.close();
  });

  it('a forged or replayed resume token for a moved seat is refused 4009 on the new node, while a bystander plays on', async () => {
    const { a, b } = await twoNodes();
    const [mover, bystander] = await players(a, 2, { count: 0 });
    const sent = new Map<Client, number[]>();
    await play(a, [mover, bystander], sent, 5);
    const oldToken = mover.welcome!.resumeToken;
    const moved = all([mover, bystander], 'moved');
    const closing = a.server.close();
    await moved;
    // The token the seat moved with was used by its own resume: it rotated, so it is spent.
    expect(mover.welcome!.resumeToken).not.toBe(oldToken);
    const join = (resume: string): Uint8Array =>
      encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'thief', resume } satisfies JoinMessage);
    for (const token of [oldToken, 'A'.repeat(24), `${mover.welcome!.resumeToken.slice(0, -1)}x`]) {
      const ws = await rawSocket(b.url);
      const closed = closeOf(ws);
      ws.send(join(token));
      await play(b, [mover, bystander], sent, 1);
      expect((await closed).code).toBe(CloseCode.ResumeRejected);
    }
    // The old node, draining, takes no resume at all.
    const ws = await rawSocket(a.url).catch(() => undefined);
    expect(ws).toBeUndefined();
    await play(b, [mover, bystander], sent, 5);
    expect(bystander.state).toBe(ClientState.Open);
    expect(mover.state).toBe(ClientState.Open);
    const roomB = roomOf(b)!;
    expect(roomB.players.map((p) => p.connected)).toEqual([true, true]);
    expect(b.lines.filter((l) => l.code === CloseCode.ResumeRejected).length).toBeGreaterThanOrEqual(3);
    await drained(a, closing);
  });

  it('signed-in players move with their identity; a moved seat’s token presented by another identity is refused 4009', async () => {
    const auth = { secret: TEST_SECRET, audience: false, issuer: false } as const;
    const { a, b } = await twoNodes({ a: { auth }, b: { auth } });
    const ada = a.client('ada', { token: await mintHs256(TEST_SECRET, { subject: 'user-ada' }) }) as unknown as Client;
    const bo = a.client('bo', { token: await mintHs256(TEST_SECRET, { subject: 'user-bo' }) }) as unknown as Client;
    await ada.connect();
    await bo.connect();
    const moved = all([ada, bo], 'moved');
    const closing = a.server.close();
    await moved;
    const roomB = roomOf(b)!;
    expect(roomB.getPlayer(ada.playerId)!.userId).toBe('user-ada');
    expect(ada.welcome!.userId).toBe('user-ada');
    // Bo's own valid token with Ada's live resume token: refused, and Ada's seat stays hers.
    const ws = await rawSocket(b.url);
    const closed = closeOf(ws);
    ws.send(
      encodeControl(MessageType.Join, {
        v: PROTOCOL_VERSION,
        roomType: 'arena',
        name: 'bo',
        resume: ada.welcome!.resumeToken,
        token: await mintHs256(TEST_SECRET, { subject: 'user-bo' }),
      } satisfies JoinMessage),
    );
    const sent = new Map<Client, number[]>();
    await play(b, [ada, bo], sent, 1);
    const c = await closed;
    expect(c.code).toBe(CloseCode.ResumeRejected);
    expect(c.reason).toMatch(/another identity/);
    await play(b, [ada, bo], sent, 3);
    expect([ada.state, bo.state]).toEqual([ClientState.Open, ClientState.Open]);
    expect(roomB.getPlayer(ada.playerId)!.connected).toBe(true);
    await drained(a, closing);
  });

  it('a cursors room moves too (the default state codec): each pointer is where it was, on the new node', async () => {
    const cursors = { roomTypes: [defineRoomType({ game: cursorsGame, tickRate: 60, sendRate: 60 })] };
    const { a, b } = await twoNodes({ a: cursors, b: cursors });
    const pointer = (name: string) =>
      a.client(name, { game: cursorsGame, roomType: 'cursors' } as never) as unknown as TickwireClient<unknown, CursorInput>;
    const [ann, bob] = [pointer('ann'), pointer('bob')];
    await ann.connect();
    await bob.connect();
    for (let t = 0; t < 5; t++) {
      ann.sendInput({ x: 100, y: 200, present: 1 });
      bob.sendInput({ x: 300, y: 400, present: 1 });
      await Promise.all([flush(ann as never), flush(bob as never)]);
      a.tick();
    }
    a.tick(10);
    const moved = all([ann, bob] as never, 'moved');
    const closing = a.server.close();
    await moved;
    expect(roomOf(b)!.type.name).toBe('cursors');
    const snap = nextEvent(ann as never, 'snapshot');
    b.tick();
    await snap;
    const at = (c: TickwireClient<unknown, CursorInput>, id: number) => {
      const row = c.latest.indexOf(id);
      return [c.latest.get(row, CursorField.X), c.latest.get(row, CursorField.Y)];
    };
    expect(at(ann, ann.playerId)).toEqual([100, 200]);
    expect(at(ann, bob.playerId)).toEqual([300, 400]);
    expect([ann.stats.roomMoves, bob.stats.roomMoves]).toEqual([1, 1]);
    await drained(a, closing);
  });
});
