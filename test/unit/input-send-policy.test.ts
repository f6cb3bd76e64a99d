import { describe, expect, it } from 'vitest';
import { netcodeRig } from '../../bench/netcode/netcode-rig';
import { Button, type ArenaInput } from '../../shared/games/arena';
import { ManualClock } from '../../src/loop/clock';
import { inputKeepaliveTicks, neutralizeAfterTicks, silenceIsStarved } from '../../src/rooms/input-keepalive';
import { InputSendPolicy, SPARSE_ACK_INTERVAL_MS, SPARSE_AFTER_LEAD_REPORTS } from '../../src/sdk/input-send-policy';

/** One input as its encoding: a byte of buttons and one of aim. */
function encode(policy: InputSendPolicy, buttons: number, aim = 0): void {
  const w = policy.scratch.reset();
  w.u8(buttons);
  w.u8(aim);
}

/** Offers seqs `from`..`to` holding `buttons`; returns the seqs that went out. */
function offer(policy: InputSendPolicy, clock: ManualClock, from: number, to: number, buttons: (seq: number) => number): number[] {
  const sent: number[] = [];
  for (let seq = from; seq <= to; seq++) {
    clock.advance(1000 / 30);
    encode(policy, buttons(seq));
    if (policy.mustSend(seq)) {
      policy.sent(seq, clock.now());
      sent.push(seq);
    }
  }
  return sent;
}

describe('InputSendPolicy', () => {
  it('the keepalive is half of repeatInputTicks, 1-6; a silence is starved only from the keepalive on', () => {
    expect([1, 2, 3, 8, 9, 12, 40].map(inputKeepaliveTicks)).toEqual([1, 1, 1, 4, 4, 6, 6]);
    // Sending every 4th tick leaves 3 silent ticks in a row: none starved; the 4th is.
    expect([1, 2, 3, 4, 5].map((streak) => silenceIsStarved(streak, 4))).toEqual([false, false, false, true, true]);
    // Keepalive 1 (a link not in order): every silent tick is starved, as before.
    expect(silenceIsStarved(1, 1)).toBe(true);
    // Stopped after repeatInputTicks past the allowance: 9 silent ticks as before, 12 sparse.
    expect([neutralizeAfterTicks(8, 1), neutralizeAfterTicks(8, 4)]).toEqual([9, 12]);
  });

  it('in order: sparse only after the input clock has its lead reports; then changes at once, else a keepalive every K ticks', () => {
    const clock = new ManualClock(0);
    const policy = new InputSendPolicy(2);
    policy.start(4, true);
    expect(policy.sparse).toBe(true);
    expect(policy.skipsInputs(SPARSE_AFTER_LEAD_REPORTS - 1)).toBe(false);
    expect(policy.skipsInputs(SPARSE_AFTER_LEAD_REPORTS)).toBe(true);
    // Held right for 20 ticks: the first, then every 4th.
    expect(offer(policy, clock, 1, 20, () => Button.Right)).toEqual([1, 5, 9, 13, 17]);
    // A change goes at once, and the keepalive counts from it.
    expect(offer(policy, clock, 21, 30, (seq) => (seq < 23 ? Button.Right : Button.Left))).toEqual([21, 23, 27]);
    // A change in the aim byte alone is a change too.
    encode(policy, Button.Left, 7);
    expect(policy.mustSend(28)).toBe(true);
  });

  it('a new link (start) sends its first input whatever it is', () => {
    const clock = new ManualClock(0);
    const policy = new InputSendPolicy(2);
    policy.start(4, true);
    expect(offer(policy, clock, 1, 2, () => Button.Up)).toEqual([1]);
    policy.start(4, true);
    expect(offer(policy, clock, 3, 4, () => Button.Up)).toEqual([3]);
  });

  it('not in order (WebRTC, an unordered simulated link) or keepalive 1: every input and every ACK goes, as before', () => {
    const clock = new ManualClock(0);
    for (const [keepalive, inOrder] of [
      [4, false],
      [1, true],
      [undefined, true],
    ] as const) {
      const policy = new InputSendPolicy(2);
      policy.start(keepalive, inOrder);
      expect(policy.sparse).toBe(false);
      expect(policy.skipsInputs(1000)).toBe(false);
      expect(offer(policy, clock, 1, 6, () => Button.Right)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(policy.ackDue(clock.now())).toBe(true);
      policy.ackSent(clock.now());
      expect(policy.ackDue(clock.now())).toBe(true);
    }
  });

  it('in order: a standalone ACK at most once per SPARSE_ACK_INTERVAL_MS, counting the ack an INPUT carries', () => {
    const clock = new ManualClock(1000);
    const policy = new InputSendPolicy(2);
    policy.start(4, true);
    expect(policy.ackDue(clock.now())).toBe(true);
    policy.ackSent(clock.now());
    clock.advance(SPARSE_ACK_INTERVAL_MS - 1);
    expect(policy.ackDue(clock.now())).toBe(false);
    clock.advance(1);
    expect(policy.ackDue(clock.now())).toBe(true);
    // An INPUT carries the ack: the interval starts again from it.
    encode(policy, Button.Down);
    policy.sent(1, clock.now());
    clock.advance(SPARSE_ACK_INTERVAL_MS / 2);
    expect(policy.ackDue(clock.now())).toBe(false);
  });
});

describe('sparse inputs through the real server and SDK (netcode rig, manual time)', () => {
  /** One walker holding right for 20 s after the warm-up, over `ordered` or unordered links. */
  async function holdRight(ordered: boolean) {
    const rig = await netcodeRig({ net: { up: { latencyMs: 40 }, down: { latencyMs: 40 }, ordered } });
    const walk = await rig.join('walker', (input: ArenaInput) => void (input.buttons = Button.Right));
    const me = rig.room.state.players.find((p) => p.id === walk.client.playerId)!;
    [me.x, me.y] = [1000, 3000];
    rig.run(5000);
    const before = { ...walk.client.stats };
    const room = { ...rig.room.stats };
    rig.run(20_000);
    const s = walk.client.stats;
    return {
      inputs: s.inputsSent - before.inputsSent,
      acks: s.acksSent - before.acksSent,
      corrections: s.mispredictions - before.mispredictions,
      starved: rig.room.stats.inputsStarved - room.inputsStarved,
      late: rig.room.stats.inputsLate - room.inputsLate,
      keepalive: walk.client.welcome!.inputKeepaliveTicks,
      tickInputs: 20 * 30,
    };
  }

  it('in order: an input a keepalive, no standalone ACK, nothing starved, late or corrected', async () => {
    const r = await holdRight(true);
    expect(r.keepalive).toBe(4);
    expect(r.inputs).toBeGreaterThanOrEqual(r.tickInputs / r.keepalive - 1);
    expect(r.inputs).toBeLessThanOrEqual(r.tickInputs / r.keepalive + 1);
    expect(r.acks).toBe(0);
    expect([r.starved, r.late, r.corrections]).toEqual([0, 0, 0]);
  });

  it('unordered (as WebRTC): every tick an INPUT, as before, and the server counts nothing starved', async () => {
    const r = await holdRight(false);
    expect(r.keepalive).toBe(1);
    expect(r.inputs).toBeGreaterThanOrEqual(r.tickInputs - 2);
    expect([r.starved, r.corrections]).toEqual([0, 0]);
  });
});
