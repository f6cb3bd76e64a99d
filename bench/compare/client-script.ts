import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** What a client script says as it runs: "joined N", then one rates line at the end. */
export interface ClientScriptReport {
  /** Clients in now (the newest "joined N"). */
  joined: number;
  /** Messages received per client per second, one per run. */
  receivedPerSec: number[];
  /** Inputs sent per client per second, one per run. */
  inputsPerSec: number[];
}

/**
 * Run a client script (`node SCRIPT ...args` in `cwd`) until it exits or `stop` aborts it
 * (SIGINT: the script prints its rates and exits 0), reading its "joined N" lines and its
 * closing line "<received>/s per client R, inputs/s per client I" into `report`. Rejects when the
 * script exits other than with 0.
 */
export async function runClientScript(
  script: string,
  args: string[],
  cwd: string,
  report: ClientScriptReport,
  stop: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const child = spawn('node', [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'], env });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      const joined = /^joined (\d+)/.exec(line);
      if (joined) report.joined = Number(joined[1]);
      const rate = /^\w+\/s per client ([\d.]+), inputs\/s per client ([\d.]+)/.exec(line);
      if (rate) {
        report.receivedPerSec.push(Number(rate[1]));
        report.inputsPerSec.push(Number(rate[2]));
      }
    }
  });
  stop.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
}
