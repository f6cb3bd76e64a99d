import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { portOpen, startServer } from '../lib/load-server';
import type { Contender } from './cpu-rounds';

const FLOOR_DIR = fileURLToPath(new URL('./floor/', import.meta.url));

/**
 * A floor: a bare server that sends each client one 72-byte message a tick at 30 Hz and reads
 * `inputsRate` inputs a second from each (default 30), driven by its clients script in one
 * process. `ws` (`floor/ws-floor-server.mjs`): what any Node WebSocket server on `ws` pays per
 * player before it does any work of its own. `tcp` (`floor/tcp-floor-server.mjs`): plain
 * `net` sockets, no framing: what Node itself pays per message. Measured the same way as the
 * other contenders.
 */
export function floorContender(kind: 'ws' | 'tcp', inputsRate = 30): Contender & { snapshotsPerSec: number[]; inputsPerSec: number[] } {
  let joined = 0;
  const snapshotsPerSec: number[] = [];
  const inputsPerSec: number[] = [];
  return {
    name: `${kind} floor`,
    snapshotsPerSec,
    inputsPerSec,
    start: (port) =>
      startServer('node', [`${kind}-floor-server.mjs`, String(port)], FLOOR_DIR, () => portOpen(port)).then((server) => {
        joined = 0;
        return server;
      }),
    async drive(port, clients, durationS, stop) {
      const target = kind === 'ws' ? `ws://127.0.0.1:${port}` : String(port);
      const script = `${kind}-floor-clients.mjs`;
      const child = spawn('node', [script, target, String(clients), String(durationS), String(inputsRate)], {
        cwd: FLOOR_DIR,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          const joinedLine = /^joined (\d+)/.exec(line);
          if (joinedLine) joined = Number(joinedLine[1]);
          const rate = /^snapshots\/s per client ([\d.]+), inputs\/s per client ([\d.]+)/.exec(line);
          if (rate) {
            snapshotsPerSec.push(Number(rate[1]));
            inputsPerSec.push(Number(rate[2]));
          }
        }
      });
      stop.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`${script} exited with ${code}`);
    },
    players: async () => joined,
  };
}
