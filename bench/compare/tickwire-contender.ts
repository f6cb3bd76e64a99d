import { resolve } from 'node:path';
import type { BotsSummary } from '../bots/report';
import { benchServerArgs, runBotsProcesses, startServer, tickwirePlayers } from '../lib/load-server';
import type { Contender } from './cpu-rounds';

/**
 * The compiled tickwire server of checkout `dir` (`node dist/cli.js`: build it first), driven
 * by this checkout's `npm run bots` walkers in `processes` bots processes.
 */
export function tickwireContender(
  name: string,
  dir: string,
  maxPlayers: number,
  processes: number,
): Contender & { snapshotsPerSec: number[]; inputsPerSec: number[] } {
  const serverDir = resolve(dir);
  const snapshotsPerSec: number[] = [];
  const inputsPerSec: number[] = [];
  return {
    name,
    snapshotsPerSec,
    inputsPerSec,
    start: (port) => startServer('node', benchServerArgs(port, maxPlayers), serverDir, `http://127.0.0.1:${port}/health`),
    async drive(port, clients, durationS, stop) {
      // Each build's own bots (its SDK): a build whose protocol differs refuses the other's.
      const summaries = await runBotsProcesses(
        serverDir,
        `ws://127.0.0.1:${port}/ws`,
        clients,
        processes,
        [
          '--duration',
          String(durationS),
          '--warmup',
          '1',
          // Spread the joins and give each longer: on a loaded box a join storm of hundreds
          // times out in the bots' event loop, not in the server.
          '--ramp-ms',
          String(clients * 5),
          '--join-timeout',
          '30',
        ],
        stop,
      );
      // Means over the bots processes, each weighted by the clients it measured.
      const measured = summaries.reduce((n, s) => n + s.clientsMeasured, 0);
      const weighted = (pick: (s: BotsSummary) => number | null): number =>
        summaries.reduce((sum, s) => sum + (pick(s) ?? Number.NaN) * s.clientsMeasured, 0) / measured;
      snapshotsPerSec.push(weighted((s) => s.snapshotsPerSecPerClient.mean));
      inputsPerSec.push(weighted((s) => s.inputsPerSecPerClient.mean));
    },
    players: (port) => tickwirePlayers(`http://127.0.0.1:${port}/health`),
  };
}
