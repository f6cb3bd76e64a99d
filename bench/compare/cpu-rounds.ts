import { cpuWindow } from '../lib/proc-cpu';
import { median } from '../lib/stats';
import { sleep, type ServerProcess } from '../lib/load-server';

/** A server under test and the load that drives it, for {@link runCpuRounds}. */
export interface Contender {
  name: string;
  /** Start the server on `port`; resolves once it answers. */
  start(port: number): Promise<ServerProcess>;
  /**
   * Run `clients` walking clients against it for `durationS` seconds, or until `stop`;
   * resolves when they are done.
   */
  drive(port: number, clients: number, durationS: number, stop: AbortSignal): Promise<void>;
  /** Clients in a room now (polled before the warm-up starts and at the window's ends). */
  players(port: number): Promise<number>;
}

/** What one contender cost, one figure per round: server CPU over the window, % of one core. */
export interface CpuRoundsResult {
  name: string;
  cpuPct: number[];
  /** Clients in a room over each round's window (the mean of its two ends). */
  players: number[];
  /** Each round's CPU per client in a room, % of one core. */
  perClientPct: number[];
  median: number;
  medianPerClient: number;
}

export interface CpuRoundsOptions {
  clients: number;
  rounds: number;
  /** Seconds after every client joined before the window opens. */
  warmupS: number;
  /** Length of the window, s. */
  measureS: number;
  port: number;
  /** Told of each round's figure as it comes. */
  progress?: (line: string) => void;
}

/**
 * Each round runs every contender once, one at a time and in turn (A B, B A, A B...), so all
 * see the same drift in the machine's load. Each is measured the same way from outside: its
 * process's user + system CPU from /proc over the window.
 */
export async function runCpuRounds(contenders: Contender[], opts: CpuRoundsOptions): Promise<CpuRoundsResult[]> {
  const results: CpuRoundsResult[] = contenders.map((c) => ({
    name: c.name,
    cpuPct: [],
    players: [],
    perClientPct: [],
    median: Number.NaN,
    medianPerClient: Number.NaN,
  }));
  for (let round = 0; round < opts.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      // Each round starts one contender later, so none always runs first (or after the same one).
      const i = (k + round) % contenders.length;
      const c = contenders[i]!;
      const server = await c.start(opts.port);
      try {
        // Join time varies: the clients run long enough for any join time, and are stopped
        // once the window closes.
        const durationS = opts.warmupS + opts.measureS + 150;
        const stop = new AbortController();
        const driving = c.drive(opts.port, opts.clients, durationS, stop.signal);
        await waitForJoins(() => c.players(opts.port), opts.clients, `${c.name} clients`);
        await sleep(opts.warmupS * 1000);
        const before = await c.players(opts.port);
        const window = cpuWindow(server.pid);
        await sleep(opts.measureS * 1000);
        const pct = window.stop();
        const players = (before + (await c.players(opts.port))) / 2;
        results[i]!.cpuPct.push(pct);
        results[i]!.players.push(players);
        results[i]!.perClientPct.push(pct / players);
        opts.progress?.(`round ${round + 1}: ${c.name} ${pct.toFixed(1)} % of a core, ${players} clients in`);
        stop.abort();
        await driving;
      } finally {
        await server.stop();
      }
    }
  }
  for (const r of results) {
    r.median = median(r.cpuPct);
    r.medianPerClient = median(r.perClientPct);
  }
  return results;
}

/**
 * Wait until all `clients` are in, or (on a machine too loaded for every bot to join within its
 * timeout) at least 90 % of them and no more joining for 5 s; throws below that after 120 s.
 */
export async function waitForJoins(players: () => Promise<number>, clients: number, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = -1;
  let steadySince = Date.now();
  for (;;) {
    const now = await players().catch(() => -1);
    if (now >= clients) return;
    if (now !== last) {
      last = now;
      steadySince = Date.now();
    } else if (now >= 0.9 * clients && Date.now() - steadySince >= 5000) return;
    if (Date.now() > deadline) throw new Error(`only ${now} of ${clients} ${what} joined within 120 s`);
    await sleep(250);
  }
}
