import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { memoryServer } from '../support/memory-harness';
import { closeOf, flush, rawSocket, startServer } from '../support/server-harness';

const join = encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'x' });
const ping = (t: number) => encodeControl(MessageType.Ping, { t });

describe('clients that stop reading, and inbound control frames', () => {
  let h: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(() => h?.close());

  it('closes 4008 a client that keeps sending but answers no heartbeat, while a bystander plays on', async () => {
    h = await startServer({ idleTimeoutMs: 3000, readStallMs: 2000 });
    const bystander = h.client('bystander');
    await bystander.connect();
    const deaf = await rawSocket(h.url, { autoPong: false });
    const closed = closeOf(deaf);
    deaf.send(join);
    await h.logged((l) => l.msg === 'player joined', 2);
    // It talks every ~0.5 s, so it is never idle; it just never reads the heartbeats.
    let snapshots = 0;
    let ticks = 0;
    bystander.on('snapshot', () => snapshots++);
    for (let i = 0; i < 8 && deaf.readyState === 1; i++) {
      deaf.send(ping(i));
      h.tick(15);
      ticks += 15;
      await flush(bystander);
    }
    const r = await closed;
    expect(
      h.lines.some(
        (l) => l.msg === 'closing client' && l.code === CloseCode.TooSlow && /no answer to heartbeats for 2000 ms/.test(String(l.reason)),
      ),
    ).toBe(true);
    expect([CloseCode.TooSlow, CloseCode.ConnectionLost]).toContain(r.code); // the close frame, then the socket is dropped
    expect(h.server.health().totals.closeCodes[CloseCode.TooSlow]).toBe(1);
    expect(snapshots).toBe(ticks); // every tick's snapshot reached the bystander
  });

  it('closes 4008 a client whose inputs keep acknowledging an old snapshot, whatever it sends', async () => {
    h = await startServer({ readStallMs: 2000, idleTimeoutMs: 3000 });
    const bystander = h.client('bystander');
    await bystander.connect();
    const stuck = await rawSocket(h.url);
    const closed = closeOf(stuck);
    stuck.send(join);
    await h.logged((l) => l.msg === 'player joined', 2);
    h.tick(2);
    // Every tick one input, always acknowledging tick 1: it sends, it answers pings, it reads nothing.
    const input = (seq: number) => Uint8Array.of(0x10, 1, seq, 1, 0, 0, 0, 0);
    for (let seq = 1; seq <= 90 && stuck.readyState === 1; seq++) {
      stuck.send(input(seq));
      await flush(bystander);
      h.tick();
    }
    expect((await closed).code).toBeGreaterThan(0);
    expect(
      h.lines.some(
        (l) =>
          l.msg === 'closing client' && l.code === CloseCode.TooSlow && /inputs acknowledge a snapshot \d+ ms old/.test(String(l.reason)),
      ),
    ).toBe(true);
    expect(bystander.state).toBe(2); // Open: the bystander never noticed
  });

  it('rate-limits WebSocket ping frames like messages (4003)', async () => {
    h = await startServer({ messagesPerSecond: 10, messageBurst: 20 });
    const pinger = await rawSocket(h.url);
    const closed = closeOf(pinger);
    for (let i = 0; i < 40; i++) pinger.ping();
    expect((await closed).code).toBe(CloseCode.RateLimited);
  });
});

describe('a stalled link (in-memory, manual time)', () => {
  it('closes 4008 a client backed up past the threshold for readStallMs, and holds its seat', async () => {
    const m = memoryServer({ maxBufferedBytes: 300, maxQueuedBytes: 1 << 20, readStallMs: 3000, idleTimeoutMs: 6000 });
    const alice = m.client('alice', { reconnect: false, livenessTimeoutMs: 0 });
    const p = alice.connect();
    await m.settle();
    const wa = await p;
    m.links[0].stall();
    await m.advance(1000);
    const room = m.server.rooms.rooms.get(wa.roomId)!;
    expect(room.stats.snapshotsSkipped).toBeGreaterThan(0); // backpressure kicked in first
    await m.advance(3500);
    expect(
      m.lines.some(
        (l) =>
          l.msg === 'closing client' &&
          l.code === CloseCode.TooSlow &&
          /queued unread for 3000 ms|no answer to heartbeats for 3000 ms/.test(String(l.reason)),
      ),
    ).toBe(true);
    expect(room.isConnected(wa.playerId)).toBe(false); // a drop: the seat waits for a resume
    expect(m.server.sessions.size).toBe(0); // and the link, with what was queued for it, is gone
  });
});
