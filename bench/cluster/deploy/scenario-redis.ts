import { trustingFetch } from '../../../test/support/haproxy';
import { msSpread, pct, spread, type ScenarioResult } from './aim-report';
import type { ClusterRig } from './cluster-rig';
import { drive, playerAddress, type RigPlayer } from './rig-player';
import { bringPlayers, cpuMeter, sleep, waitFor, type ScenarioOptions } from './scenario-kit';

/** Per player over a window: snapshots a second and the longest gap. */
async function window(players: RigPlayer[], ms: number, during?: () => Promise<void>): Promise<{ rates: number[]; gaps: number[] }> {
  const counts = players.map((p) => p.snapshots);
  for (const p of players) p.markWatch();
  const t0 = performance.now();
  await Promise.all([sleep(ms), during?.()]);
  const s = (performance.now() - t0) / 1000;
  return { rates: players.map((p, i) => (p.snapshots - counts[i]!) / s), gaps: players.map((p) => p.maxGapMs) };
}

/** Lobby lines said in a window and how they were answered; matchmaking answers by kind. */
interface Activity {
  said: number;
  refused: number;
  delivered: number;
  answers: Map<string, number>;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

/**
 * d. Redis stopped (SIGKILL) for `outageSeconds` during play, then started again, empty, on its
 * port. Compares each player's snapshot rate and longest gap during the outage with the same
 * window before it, with the same load in both: it says lobby chat lines every second (refused, or delivered?) and asks POST
 * /matchmake twice a second through the proxy, each from a new address (answered how?); after
 * the restart, times how long until every node reads the whole registry again and lobby chat
 * gets through, with no node restarted.
 */
export async function runRedis(rig: ClusterRig, o: ScenarioOptions): Promise<ScenarioResult> {
  const clients = o.clients ?? 100;
  const players = await bringPlayers(rig, clients, { decode: false, fire: false, dropRate: 0, tlsResume: o.tlsResume }, o.log);
  const stop = drive(() => players);
  await sleep(3000);
  const outageMs = o.outageSeconds * 1000;

  // Lobby chat: a line a second from a rotating speaker, each answered by its echo or a refusal.
  const reasons = new Set<string>();
  const sayLobby = async (p: RigPlayer, text: string): Promise<'delivered' | 'refused' | 'no answer'> => {
    const c = p.client;
    return new Promise((resolve) => {
      const done = (how: 'delivered' | 'refused' | 'no answer') => {
        offChat();
        offRejected();
        clearTimeout(timer);
        resolve(how);
      };
      const offChat = c.on('chat', (e) => e.ch === 'lobby' && e.lines.some((l) => l.text === text) && done('delivered'));
      const offRejected = c.on('chatRejected', (e) => {
        reasons.add(`${e.reason}: ${e.message}`);
        done('refused');
      });
      const timer = setTimeout(() => done('no answer'), 3000);
      c.say('lobby', text);
    });
  };
  // Matchmaking asks, each from an address no player uses.
  let nextAddress = clients + 10;
  const ask = async (): Promise<string> => {
    try {
      const res = await trustingFetch(rig.ca, playerAddress(nextAddress++))(`${rig.base}/matchmake?roomType=arena`, { method: 'POST' });
      const body = (await res.json().catch(() => ({}))) as { nodeId?: string; error?: string };
      return res.status === 200 ? `200 (seat on ${body.nodeId})` : `${res.status} ${body.error ?? ''}`.trim();
    } catch (err) {
      return `error ${(err as Error).message}`;
    }
  };
  let k = 0;
  /**
   * The same load in both windows (so only Redis differs): from 1.5 s in (a heartbeat to
   * notice) to 1 s before the end, a lobby line a second and two matchmaking asks.
   */
  const activity = (into: Activity) => async (): Promise<void> => {
    const start = performance.now();
    await sleep(1500);
    while (performance.now() - start < outageMs - 1000) {
      const speaker = players[k++ % players.length]!;
      const [said, a1, a2] = await Promise.all([sayLobby(speaker, `line ${k}`), ask(), sleep(500).then(ask)]);
      into.said++;
      if (said === 'refused') into.refused++;
      if (said === 'delivered') into.delivered++;
      for (const a of [a1, a2]) into.answers.set(a, (into.answers.get(a) ?? 0) + 1);
      await sleep(500);
    }
  };
  const quiet: Activity = { said: 0, refused: 0, delivered: 0, answers: new Map() };
  const chat: Activity = { said: 0, refused: 0, delivered: 0, answers: new Map() };
  o.log(`measuring ${o.outageSeconds} s with Redis up…`);
  const cpuBefore = await cpuMeter(rig);
  const before = await window(players, outageMs, activity(quiet));
  const cpuUseBefore = (await cpuBefore()).text;

  o.log(`stopping Redis for ${o.outageSeconds} s`);
  await rig.redis.kill();
  const downAt = performance.now();
  const cpu = await cpuMeter(rig);
  const during = await window(players, outageMs, activity(chat));
  const use = await cpu();
  const cpuUse = use.text;
  const answers = chat.answers;
  o.log(`starting Redis again after ${((performance.now() - downAt) / 1000).toFixed(1)} s down`);
  await rig.redis.restart();
  const upAt = performance.now();
  let firstMatchmakeMs = Number.NaN;
  let registryMs = Number.NaN;
  let chatBackMs = Number.NaN;
  await waitFor(async () => {
    if (Number.isNaN(firstMatchmakeMs) && (await ask()).startsWith('200')) firstMatchmakeMs = performance.now() - upAt;
    if (Number.isNaN(registryMs)) {
      const views = await Promise.all(rig.nodes.map((n) => n.clusterView()));
      if (views.every((v) => v?.nodes.length === rig.nodes.length)) registryMs = performance.now() - upAt;
    }
    if (Number.isNaN(chatBackMs) && (await sayLobby(players[k++ % players.length]!, `back ${k}`)) === 'delivered')
      chatBackMs = performance.now() - upAt;
    return !Number.isNaN(firstMatchmakeMs) && !Number.isNaN(registryMs) && !Number.isNaN(chatBackMs);
  }, 30_000);
  stop();
  const dropped = players.reduce((n, p) => n + p.unplannedDrops, 0);
  for (const p of players) p.close();
  const rateBefore = mean(before.rates);
  const rateDuring = mean(during.rates);
  const gapBefore = spread(before.gaps);
  const gapDuring = spread(during.gaps);
  const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never (30 s)');
  return {
    scenario: `redis: ${players.length} players on three nodes, Redis down ${o.outageSeconds} s`,
    rows: [
      {
        what: 'snapshots/s per player, mean: before → during',
        value: `${rateBefore.toFixed(2)} → ${rateDuring.toFixed(2)} (min ${Math.min(...during.rates).toFixed(2)})`,
        aim: 'during ≥ 98 % of before',
        pass: rateDuring >= 0.98 * rateBefore,
      },
      { what: 'longest gap per player, before: p50 / p99 / max', value: msSpread(gapBefore), aim: '', pass: null },
      {
        what: 'longest gap per player, during: p50 / p99 / max',
        value: msSpread(gapDuring),
        aim: `p99 ≤ before p99 + 50 ms (players' own stall: ${use.stallMs} ms)`,
        pass: gapDuring.p99 <= gapBefore.p99 + 50,
      },
      { what: 'players dropped', value: String(dropped), aim: '0', pass: dropped === 0 },
      {
        what: "nodes' late ticks during the outage (overruns, dropped steps)",
        value: String(use.lateTicks),
        aim: '0',
        pass: use.lateTicks === 0,
      },
      { what: 'with Redis up: CPU (% of a core), stalls, late ticks', value: cpuUseBefore, aim: '', pass: null },
      { what: 'during the outage: CPU (% of a core), stalls, late ticks', value: cpuUse, aim: '', pass: null },
      {
        what: 'with Redis up: lobby lines delivered; matchmaking',
        value: `${pct(quiet.delivered, quiet.said)}; ${[...quiet.answers].map(([a, n]) => `${n} × ${a}`).join(', ')}`,
        aim: '',
        pass: null,
      },
      {
        what: 'lobby lines refused during the outage',
        value: pct(chat.refused, chat.said),
        aim: '100 %, with a reason',
        pass: chat.said > 0 && chat.refused === chat.said,
      },
      { what: 'matchmaking during the outage', value: [...answers].map(([a, n]) => `${n} × ${a}`).join(', '), aim: '', pass: null },
      {
        what: 'restart → every node reads all 3 nodes again',
        value: secs(registryMs),
        aim: 'by itself',
        pass: Number.isFinite(registryMs),
      },
      {
        what: 'restart → first matchmake answered 200 (answered by one node during it)',
        value: secs(firstMatchmakeMs),
        aim: 'by itself',
        pass: Number.isFinite(firstMatchmakeMs),
      },
      { what: 'restart → a lobby line delivered again', value: secs(chatBackMs), aim: 'by itself', pass: Number.isFinite(chatBackMs) },
    ],
    figures: {
      players: players.length,
      rateBefore,
      rateDuring,
      rateDuringMin: Math.min(...during.rates),
      gapBefore,
      gapDuring,
      dropped,
      chatBefore: { said: quiet.said, delivered: quiet.delivered },
      matchmakeBefore: Object.fromEntries(quiet.answers),
      chat: { said: chat.said, refused: chat.refused, delivered: chat.delivered, reasons: [...reasons] },
      matchmakeDuring: Object.fromEntries(answers),
      registryMs,
      firstMatchmakeMs,
      chatBackMs,
      cpu: cpuUse,
      cpuBefore: cpuUseBefore,
    },
    notes: [...reasons].slice(0, 2).map((r) => `lobby refusal: ${r}`),
  };
}
