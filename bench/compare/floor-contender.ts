import { fileURLToPath } from 'node:url';
import { portOpen, startServer } from '../lib/load-server';
import { runClientScript, type ClientScriptReport } from './client-script';
import type { Contender } from './cpu-rounds';

const FLOOR_DIR = fileURLToPath(new URL('./floor/', import.meta.url));

/**
 * A floor (`floor/floor-server.mjs KIND`): a bare server that sends each client one 72-byte
 * message a tick at 30 Hz and reads `inputsRate` inputs a second from each (default 30), driven
 * by `floor/floor-clients.mjs` in one process. `ws`: what any Node WebSocket server on `ws` pays
 * per player before it does any work of its own. `tcp`: plain `net` sockets, no framing: what
 * Node itself pays per message. Measured the same way as the other contenders.
 */
export function floorContender(kind: 'ws' | 'tcp', inputsRate = 30): Contender & ClientScriptReport {
  const report: Contender & ClientScriptReport = {
    name: `${kind} floor`,
    joined: 0,
    receivedPerSec: [],
    inputsPerSec: [],
    start: (port) =>
      startServer('node', ['floor-server.mjs', kind, String(port)], FLOOR_DIR, () => portOpen(port)).then((server) => {
        report.joined = 0;
        return server;
      }),
    drive: (port, clients, durationS, stop) =>
      runClientScript(
        'floor-clients.mjs',
        [kind, String(port), String(clients), String(durationS), String(inputsRate)],
        FLOOR_DIR,
        report,
        stop,
      ),
    players: async () => report.joined,
  };
  return report;
}
