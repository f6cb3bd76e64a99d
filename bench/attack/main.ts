#!/usr/bin/env node
/**
 * `npm run attack -- [--attackers 20] [--seconds 5] [--json]`
 *
 * The front door under fire. A server with its default limits runs in a child process; a
 * bystander joins from 127.0.0.2 and plays; then, one kind at a time, `--attackers` clients
 * from 127.0.0.1 (one address) attack for `--seconds`. For each kind the bystander's snapshot
 * rate and the server's dropped ticks are reported. Every loop is bounded in count and time,
 * and every target is this machine's loopback. The server runs with WebRTC on (its signalling
 * is attacked too) and its embedded database in a temporary folder (its reads are attacked
 * too). Where many addresses are the point (the whole 127.0.0.0/8 is loopback), the WebRTC
 * cases attack from 127.0.0.10-13, the database reads from 127.0.0.10-40, and the matchmaking
 * and operator-route cases from one address per attacker, 127.0.0.100 and up. The last kind,
 * a TOKEN_REFRESH flood, needs authentication, so it runs against a second server with JWT
 * auth on and a bystander of its own.
 *
 * This file is the runner: its arguments, the servers, the bystanders, the phase loop, the
 * verdict and the report. The kinds live in `kinds/`, one file per surface, each with its aim
 * and its after-phase check beside it; what they share is in `attack-kit.ts`. To add a kind,
 * export an `AttackKind` from its surface's file and list it in `KINDS` below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type WebSocket from 'ws';
import { numberArg, parseStrictArgs, UsageError } from '../../src/cli/cli-args';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import { startServerProcess } from '../soak/server-process';
import { startReverseProxy } from '../lib/reverse-proxy';
import { type AttackKind, type AttackTarget, BYSTANDER_ADDRESS, clientFrom, health, sleep } from './attack-kit';
import { chatHistoryPages, profileLeaderboardReads } from './kinds/data-reads';
import { clientsThatNeverRead, connectionFlood, httpFlood, malformed, messageFlood, pingFrameFlood, slowloris } from './kinds/front-door';
import { matchmakingHolds } from './kinds/matchmaking';
import { operatorRoutesViaProxy } from './kinds/operator-routes';
import { AUTH_SERVER_ARGS, mintAttackerTokens, mintToken, tokenRefreshFlood } from './kinds/token-refresh';
import { webrtcAbandoned, webrtcChunkedBody } from './kinds/webrtc-signalling';

/** The kinds run against the first server, in this order (the report's and the JSON's). */
const KINDS: AttackKind[] = [
  connectionFlood,
  slowloris,
  httpFlood,
  messageFlood,
  pingFrameFlood,
  clientsThatNeverRead,
  matchmakingHolds,
  operatorRoutesViaProxy,
  profileLeaderboardReads,
  chatHistoryPages,
  malformed,
  webrtcAbandoned,
  webrtcChunkedBody,
];

interface PhaseResult {
  attack: string;
  bystanderSnapshotsPerSec: number;
  droppedTicks: number;
  overruns: number;
  attackers: Record<string, number>;
}

/**
 * One kind of attack for `seconds` from `attackers` clients, against `server`, while
 * `bystander` plays, then the kind's after-phase check: the bystander's snapshot rate and the
 * server's dropped ticks and overruns, with what the attackers (and the check) counted.
 */
async function runPhase(
  server: AttackTarget,
  bystander: TickwireClient<unknown, unknown, unknown>,
  { name, attack, afterPhase }: AttackKind,
  attackers: number,
  seconds: number,
  proxyPort?: number,
): Promise<PhaseResult> {
  const before = await health(server.port);
  const snaps0 = bystander.stats.snapshots;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  const tally: Record<string, number> = {};
  const held: WebSocket[] = [];
  await Promise.all(
    Array.from({ length: attackers }, (_, index) => attack({ url: server.url, port: server.port, until, tally, held, index, proxyPort })),
  );
  await afterPhase?.({ server, t0, before, tally, held });
  const elapsed = (performance.now() - t0) / 1000;
  const rate = (bystander.stats.snapshots - snaps0) / elapsed;
  const after = await health(server.port);
  const row = {
    attack: name,
    bystanderSnapshotsPerSec: Math.round(rate * 100) / 100,
    droppedTicks: after.totals.droppedSteps - before.totals.droppedSteps,
    overruns: after.totals.overruns - before.totals.overruns,
    attackers: tally,
  };
  process.stderr.write(
    `${name.padEnd(26)} bystander ${row.bystanderSnapshotsPerSec.toFixed(2)} snapshots/s, ${row.droppedTicks} ticks dropped; attackers: ${JSON.stringify(tally)}\n`,
  );
  return row;
}

/** A bystander from 127.0.0.2 that plays at 30 Hz (stop it with the returned function). */
async function startBystander(url: string, token?: string) {
  const bystander = clientFrom(url, BYSTANDER_ADDRESS, 'bystander', { token });
  await bystander.connect();
  const input = { buttons: 0, aim: 0 };
  const inputs = setInterval(() => bystander.sendInput(input), 1000 / 30);
  return { bystander, stop: () => clearInterval(inputs) };
}

async function main(): Promise<void> {
  let attackers: number;
  let seconds: number;
  let json: boolean;
  try {
    const v = parseStrictArgs(process.argv.slice(2), {
      attackers: { type: 'string' },
      seconds: { type: 'string' },
      json: { type: 'boolean' },
    });
    attackers = numberArg('--attackers', v.attackers ?? '20', 1, 200);
    seconds = numberArg('--seconds', v.seconds ?? '5', 1, 60, false);
    json = v.json === true;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tickwire attack: ${err.message}\nUsage: npm run attack -- [--attackers 20] [--seconds 5] [--json]\n`);
    process.exit(2);
  }
  // Its warnings go to its own stdout, sampled per address; error level keeps this report readable.
  // WebRTC on for every case, so all rows come from the same server: it only loads geckos.io
  // and answers signalling; the WebSocket path is the same with it off.
  // The embedded database in a folder of its own: the reads below go to it.
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'tickwire-attack-'));
  const server = await startServerProcess(64, ['--log-level', 'error', '--webrtc', 'on', '--persistence', 'on', '--data-dir', dataDir]);
  const proxy = await startReverseProxy(server.port);
  const results: PhaseResult[] = [];
  try {
    const { bystander, stop } = await startBystander(server.url);
    await sleep(1000);
    for (const kind of KINDS) {
      results.push(await runPhase(server, bystander, kind, attackers, seconds, proxy.port));
      await sleep(1500); // let the door's counts drain before the next kind
    }
    // The refresh flood needs auth: a second server with JWT auth on, and its own bystander.
    await mintAttackerTokens(1000);
    const authed = await startServerProcess(64, ['--log-level', 'error', ...AUTH_SERVER_ARGS]);
    let guardStillIn = false;
    try {
      const guard = await startBystander(authed.url, await mintToken('bystander'));
      await sleep(1000);
      results.push(await runPhase(authed, guard.bystander, tokenRefreshFlood, attackers, seconds));
      guard.stop();
      guardStillIn = guard.bystander.isOpen;
      guard.bystander.close();
    } finally {
      await authed.stop();
    }
    stop();
    const h = await health(server.port);
    process.stdout.write(
      `\nafter every attack: ${h.connections} connections, server heap ${(h.process.heapUsedBytes / 1e6).toFixed(1)} MB, bystander ${bystander.isOpen ? 'still playing' : 'GONE'}, the auth server's bystander ${guardStillIn ? 'still playing' : 'GONE'}\n`,
    );
    const failures = results.flatMap((r) => {
      const judged = [...KINDS, tokenRefreshFlood].find((k) => k.name === r.attack)?.judge?.(r.attackers);
      return judged ? [`${r.attack}: ${judged}`] : [];
    });
    for (const f of failures) process.stdout.write(`FAILED ${f}\n`);
    const ok =
      failures.length === 0 &&
      results.every((r) => r.bystanderSnapshotsPerSec >= 29 && r.droppedTicks === 0) &&
      bystander.isOpen &&
      guardStillIn;
    process.stdout.write(
      ok
        ? 'the bystander kept ≥ 29 snapshots/s and no tick was dropped in every attack\n'
        : 'an attack hurt the bystander or the tick (see above)\n',
    );
    if (json) process.stdout.write(`${JSON.stringify({ attackers, seconds, results, ok })}\n`);
    bystander.close();
    process.exitCode = ok ? 0 : 1;
  } finally {
    await proxy.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`tickwire attack: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
