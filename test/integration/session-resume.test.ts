import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Button, tickRules, type ArenaState } from '../../shared/games/arena';
import { CloseCode } from '../../shared/protocol/close-codes';
import { decodeControlBody, encodeControl, type NoticeMessage, type WelcomeMessage } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { ClientState } from '../../src/sdk/client-state';
import { closeOf, flush, nextEvent, rawSocket, startServer } from '../support/server-harness';

const STEP = tickRules(30).playerStep;

/** A raw JOIN that presents a resume token. */
const resumeJoin = (token: string, name = 'x') =>
  encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name, resume: token });

/** The next WELCOME a raw socket receives. */
function nextWelcome(ws: WebSocket): Promise<WelcomeMessage> {
  return new Promise((resolve) => {
    const onMessage = (m: Buffer) => {
      if (m[0] !== MessageType.Welcome) return;
      ws.off('message', onMessage);
      resolve(decodeControlBody(m.subarray(1)) as WelcomeMessage);
    };
    ws.on('message', onMessage);
  });
}

function playerOf(state: unknown, id: number): { x: number; score: number } {
  return (state as ArenaState).players.find((p) => p.id === id)! as unknown as { x: number; score: number };
}

describe('a player outlives its socket (real sockets)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('resumes after a killed connection: same player, score and position, every input applied once', async () => {
    h = await startServer();
    const alice = h.client('alice');
    const bob = h.client('bob');
    const wa = await alice.connect();
    await bob.connect();
    expect(wa.resumeToken).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect([wa.resumed, wa.resumeWindowMs, wa.lastSeq, wa.userId]).toEqual([false, 20_000, 0, null]);
    const first = nextEvent(alice, 'snapshot');
    h.tick();
    await first;
    const room = h.server.rooms.rooms.get(wa.roomId)!;
    const x0 = playerOf(room.state, wa.playerId).x;
    const towards = x0 < 800 * 8 ? Button.Right : Button.Left;
    const sign = towards === Button.Right ? 1 : -1;

    // Three inputs applied (stamped for ticks 2-4), and a score the resume must keep.
    let applied = 0;
    for (let i = 0; i < 3; i++) applied = alice.sendInput({ buttons: towards, aim: 0 });
    await flush(alice);
    h.tick(3);
    playerOf(room.state, wa.playerId).score = 5;
    // Two more reach the server but are not applied yet when the link dies.
    alice.sendInput({ buttons: towards, aim: 0 });
    const last = alice.sendInput({ buttons: towards, aim: 0 });
    await flush(alice);

    const dropped = nextEvent(alice, 'drop');
    const resumed = nextEvent(alice, 'resumed');
    const welcomeAgain = nextEvent(alice, 'welcome');
    alice.killLink();
    expect((await dropped)[0].code).toBe(CloseCode.ConnectionLost);
    await h.drops(1);
    const [w] = await welcomeAgain;
    await resumed;
    expect(alice.state).toBe(ClientState.Open);
    expect([w.resumed, w.playerId, w.roomId, w.lastSeq]).toEqual([true, wa.playerId, wa.roomId, applied]);
    expect(w.resumeToken).not.toBe(wa.resumeToken);
    expect(alice.stats.drops).toBe(1);
    expect(alice.stats.resumes).toBe(1);

    // The SDK resent the last two; the server already had them and applies each once.
    await flush(alice);
    const acked = nextEvent(alice, 'snapshot', (_t, ack) => ack === last);
    h.tick(2);
    await acked;
    const me = playerOf(room.state, wa.playerId);
    expect(me.x).toBe(x0 + sign * 5 * STEP);
    expect(me.score).toBe(5);
    expect(alice.predicted!.x).toBe(me.x);
    expect(alice.stats.mispredictions).toBe(0);
    expect(room.players.length).toBe(2);
    expect(h.server.health().totals).toMatchObject({ drops: 1, resumes: 1 });
  });

  it('shows a dropped player as detached to the others, holds the room, and lets its queued input play out then stand still', async () => {
    h = await startServer();
    const alice = h.client('alice', { reconnect: false });
    const bob = h.client('bob');
    const wa = await alice.connect();
    await bob.connect();
    const first = Promise.all([nextEvent(alice, 'snapshot'), nextEvent(bob, 'snapshot')]);
    h.tick();
    await first;
    expect(bob.detachedPlayers).toEqual([]);
    const room = h.server.rooms.rooms.get(wa.roomId)!;
    const x0 = playerOf(room.state, wa.playerId).x;
    const sign = x0 < 800 * 8 ? 1 : -1;
    // Stamped for tick 2: Alice has seen tick 1's snapshot.
    expect(alice.sendInput({ buttons: sign > 0 ? Button.Right : Button.Left, aim: 0 })).toBe(2);
    await flush(alice);
    const closed = nextEvent(alice, 'close');
    alice.killLink();
    expect((await closed)[0].code).toBe(CloseCode.ConnectionLost); // reconnect off: the client is done
    await h.drops(1);
    const seen = nextEvent(bob, 'snapshot');
    h.tick(12); // more than repeatInputTicks: a connected player would repeat, a detached one stands
    await seen;
    await flush(bob);
    expect(bob.detachedPlayers).toEqual([wa.playerId]);
    expect(bob.isDetached(wa.playerId)).toBe(true);
    expect(bob.players.has(wa.playerId)).toBe(true);
    expect(playerOf(room.state, wa.playerId).x).toBe(x0 + sign * STEP); // the queued input, then nothing
    expect(room.isConnected(wa.playerId)).toBe(false);
    expect(h.server.health()).toMatchObject({ players: 2, detachedPlayers: 1 });
  });

  it('frees the seat when the window runs out: onLeave runs, the others are told, and the token is refused 4009', async () => {
    h = await startServer({ resumeWindowMs: 1000 });
    const alice = h.client('alice', { reconnect: false });
    const bob = h.client('bob');
    const wa = await alice.connect();
    await bob.connect();
    alice.killLink();
    await h.drops(1);
    h.tick(25); // 833 ms: still held
    expect(h.server.rooms.rooms.get(wa.roomId)!.players.length).toBe(2);
    const left = nextEvent(bob, 'playerLeft');
    h.tick(10); // past 1000 ms, on the next housekeeping pass
    await h.leaves(1);
    h.tick();
    expect((await left)[0].playerId).toBe(wa.playerId);
    expect(h.server.health().detachedPlayers).toBe(0);
    expect(h.lines.some((l) => l.msg === 'resume window over; seat freed')).toBe(true);

    const late = await rawSocket(h.url);
    const result = closeOf(late);
    late.send(resumeJoin(wa.resumeToken));
    expect((await result).code).toBe(CloseCode.ResumeRejected);
  });

  it('disposes a room whose last seat expires, and never while a seat is held', async () => {
    h = await startServer({ resumeWindowMs: 1000 });
    const alice = h.client('alice', { reconnect: false });
    const wa = await alice.connect();
    alice.killLink();
    await h.drops(1);
    h.tick(20);
    expect(h.server.rooms.rooms.has(wa.roomId)).toBe(true);
    const disposed = once(h.server.rooms, 'room-disposed');
    h.tick(20);
    expect((await disposed)[0].id).toBe(wa.roomId);
  });

  it('refuses a replayed token (single use) and accepts the rotated one', async () => {
    h = await startServer();
    const alice = h.client('alice', { reconnect: false });
    const wa = await alice.connect();
    alice.killLink();
    await h.drops(1);
    const second = await rawSocket(h.url);
    const welcomed = nextWelcome(second);
    second.send(resumeJoin(wa.resumeToken));
    const w2 = await welcomed;
    expect([w2.resumed, w2.playerId]).toEqual([true, wa.playerId]);

    const replay = await rawSocket(h.url);
    const replayed = closeOf(replay);
    replay.send(resumeJoin(wa.resumeToken));
    const r = await replayed;
    expect(r.code).toBe(CloseCode.ResumeRejected);
    expect(r.reason).toMatch(/unknown, already used, or expired/);
    // The rightful holder is untouched: its link is still up and its seat is still its own.
    expect(second.readyState).toBe(1);
    expect(h.server.rooms.rooms.get(wa.roomId)!.isConnected(wa.playerId)).toBe(true);
  });

  it('closes a half-open predecessor with 4012 when its player resumes on a new link', async () => {
    h = await startServer();
    const alice = h.client('alice', { reconnect: false });
    const wa = await alice.connect();
    // The server still thinks Alice's first link is up (as with a dead Wi-Fi and no FIN).
    const oldClosed = nextEvent(alice, 'close');
    const fresh = await rawSocket(h.url);
    const welcomed = nextWelcome(fresh);
    fresh.send(resumeJoin(wa.resumeToken));
    const [e] = await oldClosed;
    expect(e.code).toBe(CloseCode.Superseded);
    await h.logged((l) => l.msg === 'player resumed; old link closed');
    expect((await welcomed).playerId).toBe(wa.playerId);
    // The old link's close did not detach or free the seat the new link holds.
    const room = h.server.rooms.rooms.get(wa.roomId)!;
    expect([room.players.length, room.isConnected(wa.playerId), room.detachedCount]).toEqual([1, true, 0]);
  });

  it('frees the seat at once on a deliberate close (1000), with no resume possible', async () => {
    h = await startServer();
    const alice = h.client('alice');
    const bob = h.client('bob');
    const wa = await alice.connect();
    await bob.connect();
    alice.close();
    await h.leaves(1);
    expect(h.server.health().detachedPlayers).toBe(0);
    expect(h.server.rooms.rooms.get(wa.roomId)!.players.length).toBe(1);
    const again = await rawSocket(h.url);
    const closed = closeOf(again);
    again.send(resumeJoin(wa.resumeToken));
    expect((await closed).code).toBe(CloseCode.ResumeRejected);
  });

  it('calls onDrop with the close code and onResume on return, and a heartbeat timeout is a drop', async () => {
    const calls: string[] = [];
    const { arenaGame } = await import('../../shared/games/arena');
    const { defineRoomType } = await import('../../src/rooms/room-type');
    h = await startServer({
      idleTimeoutMs: 3000,
      roomTypes: [
        defineRoomType({
          game: arenaGame,
          onDrop: (_r, p, code) => void calls.push(`drop ${p.id} ${code}`),
          onResume: (_r, p) => void calls.push(`resume ${p.id}`),
        }),
      ],
    });
    // A raw client that never answers heartbeats: the server times it out (4005), a drop.
    const silent = await rawSocket(h.url, { autoPong: false });
    const welcomed = nextWelcome(silent);
    silent.send(encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'silent' }));
    const w = await welcomed;
    const gone = once(silent, 'close');
    h.tick(100); // 3.3 s of silence
    await gone;
    await h.logged((l) => l.msg === 'player dropped; seat held for resume');
    expect(calls).toEqual([`drop ${w.playerId} ${CloseCode.Timeout}`]);
    const back = await rawSocket(h.url);
    back.send(resumeJoin(w.resumeToken, 'silent'));
    await h.logged((l) => l.msg === 'player resumed');
    expect(calls).toEqual([`drop ${w.playerId} ${CloseCode.Timeout}`, `resume ${w.playerId}`]);
    back.close();
  });

  it('drains on close(): a NOTICE with the seconds left, play goes on, new connections are refused, then 1001', async () => {
    h = await startServer({ drainMs: 5000 });
    const alice = h.client('alice');
    await alice.connect();
    const notice = nextEvent(alice, 'notice');
    const closing = h.server.close();
    const [n] = (await notice) as [NoticeMessage];
    expect(n).toEqual({ kind: 'shutdown', message: 'the server is shutting down', secondsLeft: 5 });
    expect(h.server.health().status).toBe('draining');
    // The room still ticks during the drain.
    const snap = nextEvent(alice, 'snapshot');
    h.tick();
    await snap;
    // A newcomer is turned away at the door.
    const newcomer = new WebSocket(h.url);
    newcomer.on('error', () => {});
    const [request, response] = (await once(newcomer, 'unexpected-response')) as [{ destroy(): void }, { statusCode: number }];
    expect(response.statusCode).toBe(503);
    request.destroy();
    const closed = nextEvent(alice, 'close');
    h.tick(5000 / (1000 / 30) + 1);
    expect((await closed)[0].code).toBe(CloseCode.GoingAway);
    await closing;
    expect(alice.state).toBe(ClientState.Closed);
  });
});
