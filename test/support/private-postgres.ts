import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './redis-server';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';

/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, a free port, trust
 * auth, no fsync: a stop loses no commit, only a machine crash would), so a test can stop it and start it again without touching the shared one
 * at 127.0.0.1:5432. PostgreSQL refuses to run as root, so under root its tools run as the
 * `postgres` user (runuser). Needs Debian's `postgresql` package (`.ci/run` installs it).
 */
export async function privatePostgres() {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  const bin = (tool: string) => join('/usr/lib/postgresql', versions[versions.length - 1]!, 'bin', tool);
  const root = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    execFileSync(root ? 'runuser' : bin(tool), root ? ['-u', 'postgres', '--', bin(tool), ...args] : args, { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-pg-'));
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const server = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start(): void {
      run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    },
    /** As a crash or an operator's stop looks to clients: every connection ends at once. */
    stop(): void {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    close(): void {
      try {
        server.stop();
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  server.start();
  return server;
}
