import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portOpen, startServer } from '../lib/load-server';
import { runClientScript, type ClientScriptReport } from './client-script';
import type { Contender } from './cpu-rounds';

/** What is installed: the 0.18 server core, its WebSocket transport, the schema and the 0.18 SDK. */
export const COLYSEUS_PACKAGES = ['@colyseus/core@0.18', '@colyseus/ws-transport@0.18', '@colyseus/schema@^5', '@colyseus/sdk@0.18'];

/** The versions installed in `rigDir`, by package name. */
export function installedVersions(rigDir: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of ['@colyseus/core', '@colyseus/ws-transport', '@colyseus/schema', '@colyseus/sdk']) {
    const file = join(rigDir, 'node_modules', name, 'package.json');
    if (existsSync(file)) versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return versions;
}

/**
 * Install Colyseus 0.18 into `rigDir` (outside the source tree: it is not a dependency of
 * tickwire) unless it is there, and copy our room and client scripts next to it, since they
 * import its packages.
 */
export function prepareColyseusRig(rigDir: string, log: (line: string) => void): void {
  mkdirSync(rigDir, { recursive: true });
  const versions = installedVersions(rigDir);
  if (!versions['@colyseus/core']?.startsWith('0.18.') || !versions['@colyseus/sdk']?.startsWith('0.18.')) {
    log(`installing ${COLYSEUS_PACKAGES.join(' ')} into ${rigDir}`);
    writeFileSync(join(rigDir, 'package.json'), '{"name":"tickwire-colyseus-rig","private":true,"type":"module"}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...COLYSEUS_PACKAGES], { cwd: rigDir, stdio: 'inherit' });
  }
  const here = fileURLToPath(new URL('./colyseus/', import.meta.url));
  for (const file of ['walk-server.mjs', 'walk-clients.mjs']) copyFileSync(join(here, file), join(rigDir, file));
}

/**
 * Colyseus 0.18 running `walk-server.mjs` (rooms of `maxClients`), driven by `walk-clients.mjs`
 * in one process, installed in `rigDir` by {@link prepareColyseusRig}.
 */
export function colyseusContender(rigDir: string, maxClients: number): Contender & ClientScriptReport {
  const report: Contender & ClientScriptReport = {
    name: 'colyseus',
    joined: 0,
    receivedPerSec: [],
    inputsPerSec: [],
    start: (port) =>
      startServer('node', ['walk-server.mjs', String(port), String(maxClients)], rigDir, () => portOpen(port), 20_000, {
        ...process.env,
        NODE_ENV: 'production',
      }).then((server) => {
        report.joined = 0;
        return server;
      }),
    drive: (port, clients, durationS, stop) =>
      runClientScript('walk-clients.mjs', [`ws://127.0.0.1:${port}`, String(clients), String(durationS)], rigDir, report, stop, {
        ...process.env,
        NODE_ENV: 'production',
      }),
    players: async () => report.joined,
  };
  return report;
}
