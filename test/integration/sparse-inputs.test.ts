import { afterEach, describe, expect, it } from 'vitest';
import { decodeControlBody, encodeControl } from '../../shared/protocol/control-messages';
import { CloseCode } from '../../shared/protocol/close-codes';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { arenaGame, Button, tickRules, WORLD_H, WORLD_W, type ArenaState } from '../../shared/games/arena';
import { defineRoomType } from '../../src/rooms/room-type';
import { SPARSE_ACK_INTERVAL_MS, SPARSE_AFTER_LEAD_REPORTS } from '../../src/sdk/input-send-policy';
import { closeOf, flush, nextEvent, rawSocket, startServer } from '../support/server-harness';

describe('sparse inputs over a real WebSocket (port 0, manual time)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('a held input goes once a keepalive, yet the player moves every tick, predicted exactly, never starved; a silence still stops it', async () => {
    h = await startServer();
    const alice = h.client('alice', { clock: h.clock });
    const w = await alice.connect();
    const keepalive = w.inputKeepaliveTicks;
    expect(keepalive).toBe(4);
    const room = h.server.rooms.rooms.get(w.roomId)!;
    const slot = room.getPlayer(w.playerId)!;
    const me = (room.state as ArenaState).players.find((p) => p.id === w.playerId)!;
    [me.x, me.y] = [WORLD_W / 4, WORLD_H / 2];
    /** One tick: the input (if any) reaches the server first, then the tick's snapshot comes back. */
    const step = async (buttons: number | null) => {
      if (buttons !== null) alice.sendInput({ buttons, aim: 0 });
      await flush(alice);
      const snap = nextEvent(alice, 'snapshot');
      h.tick();
      await snap;
    };
    // Standing still until the input clock has measured its cushion: every input goes till then.
    for (let i = 0; i < 200 && alice.tickSync!.leadReports < SPARSE_AFTER_LEAD_REPORTS; i++) await step(0);
    expect(alice.tickSync!.leadReports).toBeGreaterThanOrEqual(SPARSE_AFTER_LEAD_REPORTS);
    const before = { ...alice.stats };
    const starvedBefore = [slot.starvedTicks, room.stats.inputsStarved, room.stats.inputsLate];

    const xs: number[] = [];
    for (let i = 0; i < 60; i++) {
      await step(Button.Right);
      xs.push(me.x);
      // Nothing is pending once the tick's snapshot is in: the prediction is the server's state.
      expect(alice.predicted!.x).toBe(me.x);
    }
    const inputs = alice.stats.inputsSent - before.inputsSent;
    expect(inputs).toBeLessThanOrEqual(60 / keepalive + 1);
    expect(inputs).toBeGreaterThanOrEqual(60 / keepalive);
    const stepPx = tickRules(30).playerStep;
    for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBe(stepPx);
    expect(alice.stats.mispredictions - before.mispredictions).toBe(0);
    // The INPUTs carried the acks: no standalone ACK went out.
    expect(alice.stats.acksSent - before.acksSent).toBe(0);
    expect([slot.starvedTicks, room.stats.inputsStarved, room.stats.inputsLate]).toEqual(starvedBefore);

    // A hidden tab: no input at all. The last input is repeated until repeatInputTicks have
    // passed beyond the keepalive's allowance, then the player stops; only silent ticks past
    // the keepalive are starved.
    const silent = room.type.repeatInputTicks + 2 * keepalive;
    const ackBefore = alice.stats.acksSent;
    const silentXs: number[] = [];
    for (let i = 0; i < silent; i++) {
      await step(null);
      silentXs.push(me.x);
    }
    // Stopped at repeatInputTicks + keepalive silent ticks counted from the last INPUT, which
    // went out up to keepalive - 1 ticks before the silence began.
    const rit = room.type.repeatInputTicks;
    const walked = (silentXs[silent - 1] - xs[xs.length - 1]) / stepPx;
    expect(walked).toBeGreaterThanOrEqual(rit);
    expect(walked).toBeLessThanOrEqual(rit + keepalive - 1);
    expect(silentXs[silent - 1]).toBe(silentXs[silent - keepalive]);
    // The silence began just after the last INPUT went out, up to keepalive - 1 ticks before.
    const starved = slot.starvedTicks - starvedBefore[0];
    expect(starved).toBeGreaterThanOrEqual(silent - (keepalive - 1) - (keepalive - 1));
    expect(starved).toBeLessThanOrEqual(silent);
    // Acks still flow, thinned: at most one per SPARSE_ACK_INTERVAL_MS.
    const acks = alice.stats.acksSent - ackBefore;
    expect(acks).toBeGreaterThan(0);
    expect(acks).toBeLessThanOrEqual(Math.ceil((silent * 1000) / 30 / SPARSE_ACK_INTERVAL_MS) + 1);
  });

  it('a JOIN whose inOrder is not a boolean is refused as malformed; a bystander plays on', async () => {
    h = await startServer();
    const bystander = h.client('bystander');
    await bystander.connect();
    const ws = await rawSocket(h.url);
    const closed = closeOf(ws);
    ws.send(encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'x', inOrder: 'yes' }));
    const c = await closed;
    expect(c.code).toBe(CloseCode.MalformedMessage);
    expect(c.reason).toMatch(/JOIN.inOrder must be a boolean/);
    const snap = nextEvent(bystander, 'snapshot');
    h.tick();
    await snap;
    expect(bystander.isOpen).toBe(true);
  });

  it('a client that says its link is not in order (an unordered simulator over ws) gets keepalive 1 and sends every input', async () => {
    h = await startServer();
    const ws = await rawSocket(h.url);
    const welcome = new Promise<Record<string, unknown>>((resolve) =>
      ws.on('message', (m: Buffer) => {
        if (m[0] === MessageType.Welcome) resolve(decodeWelcome(m));
      }),
    );
    ws.send(encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'x', inOrder: false }));
    expect((await welcome).inputKeepaliveTicks).toBe(1);
    const ordered = await rawSocket(h.url);
    const orderedWelcome = new Promise<Record<string, unknown>>((resolve) =>
      ordered.on('message', (m: Buffer) => {
        if (m[0] === MessageType.Welcome) resolve(decodeWelcome(m));
      }),
    );
    // Silent on the matter, a WebSocket is in order.
    ordered.send(encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'y' }));
    expect((await orderedWelcome).inputKeepaliveTicks).toBe(4);
    ws.close();
    ordered.close();
  });

  it('with interest on, whose deltas wait for acks, every input goes (keepalive 1) and nothing is starved', async () => {
    const interest = { width: WORLD_W, height: WORLD_H, viewWidth: 4000, viewHeight: 3000 };
    h = await startServer({ roomTypes: [defineRoomType({ game: arenaGame, replication: { interest } })] });
    const alice = h.client('alice', { clock: h.clock });
    const w = await alice.connect();
    expect(w.inputKeepaliveTicks).toBe(1);
    const room = h.server.rooms.rooms.get(w.roomId)!;
    const before = alice.stats.inputsSent;
    for (let i = 0; i < 80; i++) {
      alice.sendInput({ buttons: Button.Right, aim: 0 });
      await flush(alice);
      const snap = nextEvent(alice, 'snapshot');
      h.tick();
      await snap;
    }
    expect(alice.tickSync!.leadReports).toBeGreaterThanOrEqual(SPARSE_AFTER_LEAD_REPORTS);
    expect(alice.stats.inputsSent - before).toBe(80);
    expect(room.stats.inputsStarved).toBe(0);
  });
});

function decodeWelcome(m: Buffer): Record<string, unknown> {
  return decodeControlBody(m.subarray(1)) as Record<string, unknown>;
}
