import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Button, PlayerField, tickRules, WORLD_W } from '../../shared/games/arena';
import { flush, nextEvent, startServer } from '../support/server-harness';

describe('an arena session over real sockets', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('two players join, see each other, move, predict exactly, leave, and the room is disposed', async () => {
    h = await startServer();
    const alice = h.client('alice');
    const bob = h.client('bob');
    const wa = await alice.connect();
    const bobJoined = nextEvent(alice, 'playerJoined');
    const wb = await bob.connect();
    // Roster changes go out once per tick, so the first tick announces Bob to Alice.
    const first = Promise.all([nextEvent(alice, 'snapshot'), nextEvent(bob, 'snapshot')]);
    h.tick();
    expect((await bobJoined)[0]).toEqual({ playerId: wb.playerId, name: 'bob' });
    expect(wb.roomId).toBe(wa.roomId);
    expect(wb.players).toEqual([
      [wa.playerId, 'alice'],
      [wb.playerId, 'bob'],
    ]);
    expect(h.server.rooms.rooms.size).toBe(1);

    // That tick's snapshot holds both players, for both of them.
    await first;
    for (const c of [alice, bob]) expect([c.latest.indexOf(wa.playerId) >= 0, c.latest.indexOf(wb.playerId) >= 0]).toEqual([true, true]);
    const x0 = bob.latest.get(bob.latest.indexOf(wa.playerId), PlayerField.X);

    // Alice walks towards the middle for 4 ticks (the input buffer holds 4): spawns are random,
    // and one near a wall would be clamped.
    const sign = x0 < WORLD_W / 2 ? 1 : -1;
    // Each input is stamped for the server tick it is meant for: the ticks after the newest
    // snapshot's (tick 1), since this client does not run its input clock.
    let last = 0;
    for (let i = 0; i < 4; i++) last = alice.sendInput({ buttons: sign > 0 ? Button.Right : Button.Left, aim: 0 });
    expect(last).toBe(5);
    expect(alice.predicted!.x).toBe(x0 + sign * 4 * tickRules(30).playerStep);
    await flush(alice);
    const acked = nextEvent(alice, 'snapshot', (_tick, ackSeq) => ackSeq === last);
    const bobSees = nextEvent(bob, 'snapshot', (tick) => tick === 5);
    h.tick(4);
    await Promise.all([acked, bobSees]);
    const serverX = alice.latest.get(alice.latest.indexOf(wa.playerId), PlayerField.X);
    expect(serverX).toBe(x0 + sign * 4 * tickRules(30).playerStep);
    expect(alice.predicted!.x).toBe(serverX); // reconciled: nothing pending, prediction = server
    expect(alice.stats.mispredictions).toBe(0);
    expect(alice.pendingCount).toBe(0);
    expect(bob.latest.get(bob.latest.indexOf(wa.playerId), PlayerField.X)).toBe(serverX);

    // Alice leaves: Bob is told, the room stays; Bob leaves: the room is disposed.
    const aliceLeft = nextEvent(bob, 'playerLeft');
    alice.close();
    await h.leaves(1);
    h.tick();
    expect((await aliceLeft)[0]).toEqual({ playerId: wa.playerId, name: 'alice' });
    expect(bob.players.has(wa.playerId)).toBe(false);
    expect(h.server.rooms.rooms.size).toBe(1);
    const disposed = once(h.server.rooms, 'room-disposed');
    bob.close();
    const [room, reason] = await disposed;
    expect([room.id, reason]).toEqual([wa.roomId, 'empty']);
    expect(h.server.rooms.rooms.size).toBe(0);
  });

  it('reconciles a misprediction: the server state wins and pending inputs replay on top', async () => {
    h = await startServer();
    const alice = h.client('alice');
    const wa = await alice.connect();
    const first = nextEvent(alice, 'snapshot');
    h.tick();
    await first;
    // The server moves Alice behind her back (as a knockback or a teleport would).
    const room = h.server.rooms.rooms.get(wa.roomId)!;
    const me = (room.state as { players: { id: number; x: number }[] }).players.find((p) => p.id === wa.playerId)!;
    me.x = 3000;
    const s1 = alice.sendInput({ buttons: Button.Right, aim: 0 });
    alice.sendInput({ buttons: Button.Right, aim: 0 });
    await flush(alice);
    const acked = nextEvent(alice, 'snapshot', (_t, ack) => ack === s1);
    h.tick(); // applies the first only; the second stays pending
    await acked;
    expect(alice.stats.mispredictions).toBe(1);
    expect(alice.predicted!.x).toBe(3000 + 2 * tickRules(30).playerStep);
  });

  it('splits players over rooms at --max-players and keeps the rooms apart', async () => {
    h = await startServer({ maxPlayers: 2 });
    const welcomes = await Promise.all(['a', 'b', 'c'].map((n) => h.client(n).connect()));
    expect(welcomes[0].roomId).toBe(welcomes[1].roomId);
    expect(welcomes[2].roomId).not.toBe(welcomes[0].roomId);
    expect(welcomes[2].players.length).toBe(1);
  });

  it('measures input→acknowledgement round trips', async () => {
    h = await startServer();
    const alice = h.client('alice');
    await alice.connect();
    const seq = alice.sendInput({ buttons: 0, aim: 0 });
    await flush(alice);
    const acked = nextEvent(alice, 'snapshot', (_t, ack) => ack === seq);
    h.tick();
    await acked;
    expect(alice.stats.lastInputRttMs).toBeGreaterThan(0);
  });

  it('withholds inputs once 4 s of them are unacknowledged, and resumes when acks arrive', async () => {
    h = await startServer();
    const alice = h.client('alice');
    await alice.connect();
    // 30 Hz: room for 120 unacknowledged inputs. The server has not ticked, so none is acked.
    for (let i = 1; i <= 120; i++) expect(alice.sendInput({ buttons: Button.Right, aim: 0 })).toBe(i);
    expect(alice.sendInput({ buttons: Button.Right, aim: 0 })).toBe(0);
    expect([alice.stats.inputsSent, alice.stats.inputsWithheld, alice.pendingCount]).toEqual([120, 1, 120]);
    await flush(alice);
    // They are stamped for ticks 1-120. The server keeps a second's worth (32 at 30 Hz), drops
    // the rest as too early, and applies the first: seq 1 is acknowledged, and there is room again.
    const acked = nextEvent(alice, 'snapshot');
    h.tick();
    expect((await acked)[1]).toBe(1);
    // Counted per copy: the message carrying seq k repeats k-7..k, so min(8, k - 32) of its
    // inputs are beyond tick 32.
    let tooEarly = 0;
    for (let k = 33; k <= 120; k++) tooEarly += Math.min(8, k - 32);
    expect(h.server.health().totals.inputsTooEarly).toBe(tooEarly);
    expect(alice.pendingCount).toBe(119);
    expect(alice.sendInput({ buttons: Button.Right, aim: 0 })).toBe(121);
  });

  it('draws remote players a send interval behind the newest snapshot, between snapshots', async () => {
    h = await startServer();
    const alice = h.client('alice');
    // Bob reads the server's own ManualClock: snapshots arrive at exact tick times.
    const bob = h.client('bob', { clock: h.clock });
    const wa = await alice.connect();
    await bob.connect();
    const first = Promise.all([nextEvent(alice, 'snapshot'), nextEvent(bob, 'snapshot')]);
    h.tick();
    await first;
    // Walk towards the middle, so no wall stops her.
    const towardsMiddle = bob.latest.get(bob.latest.indexOf(wa.playerId), PlayerField.X) < WORLD_W / 2 ? Button.Right : Button.Left;
    const xs = new Map<number, number>();
    for (let i = 0; i < 10; i++) {
      alice.sendInput({ buttons: towardsMiddle, aim: 0 });
      await flush(alice);
      const snap = nextEvent(bob, 'snapshot');
      const hers = nextEvent(alice, 'snapshot'); // her next input is stamped after it
      h.tick();
      const [tick] = await snap;
      await hers;
      xs.set(tick, bob.latest.get(bob.latest.indexOf(wa.playerId), PlayerField.X));
    }
    const view = bob.createView();
    const latest = bob.latestTick;
    // Snapshots came exactly on time: no jitter to absorb, so Bob draws one send interval and
    // a 4 ms margin behind the newest.
    const tickMs = 1000 / 30;
    expect(bob.interpolationDelayMs).toBeCloseTo(tickMs + 4);
    const row = () => Array.from(view.ids.subarray(0, view.count)).indexOf(wa.playerId);
    const xAt = (tick: number) => {
      const a = Math.floor(tick);
      return xs.get(a)! + (xs.get(a + 1)! - xs.get(a)!) * (tick - a);
    };
    bob.sampleRemote(h.clock.now(), view);
    expect(view.get(row(), PlayerField.X)).toBeCloseTo(xAt(latest - 1 - 4 / tickMs));
    // Half a tick later: half a tick further along, between the two newest snapshots.
    h.clock.advance(tickMs / 2);
    bob.sampleRemote(h.clock.now(), view);
    expect(view.get(row(), PlayerField.X)).toBeCloseTo(xAt(latest - 0.5 - 4 / tickMs));
    expect(Math.abs(xs.get(latest)! - xs.get(latest - 2)!)).toBe(2 * tickRules(30).playerStep);
    expect([bob.stats.frames, bob.stats.framesWithoutNewer, bob.stats.remoteJumps]).toEqual([2, 0, 0]);
  });
});
