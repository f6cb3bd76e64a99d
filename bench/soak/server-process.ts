import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { probeHealth } from '../bots/server-probe';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The server in its own process, so its heap is not mixed with the bots': `npm start`'s entry
 * point on a free port, one room for everyone, logs at warn, and by default per-address
 * limits off (every bot comes from 127.0.0.1). Resolves once /health answers.
 */
export async function startServerProcess(
  maxPlayers: number,
  extraArgs: string[] = ['--per-ip-limits', 'off'],
): Promise<{ url: string; port: number; child: ChildProcess; stop(): Promise<number | null> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--max-players',
      String(maxPlayers),
      '--log-level',
      'warn',
      '--drain-seconds',
      '0',
      // A free port for the operator routes (the default, the game port + 1, may be taken).
      '--admin-port',
      '0',
      // Sessions under churn are what the soak measures; the database is measured apart.
      '--persistence',
      'off',
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `ws://127.0.0.1:${port}/ws`;
  const health = `http://127.0.0.1:${port}/health`;
  for (let i = 0; ; i++) {
    try {
      await probeHealth(health, 1000);
      break;
    } catch (err) {
      if (i >= 100 || child.exitCode !== null) throw new Error(`the soak's server did not come up on port ${port}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    port,
    child,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
