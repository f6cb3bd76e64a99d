import type { ChildProcess } from 'node:child_process';
import { forkTypeScript, shares } from '../../bots/processes';
import type { DropPart } from './drop-tally';
import type { RigFront, RigPlayerOptions } from './rig-player';
import type { Outcome } from './sigterm-outcome';

/** Parent → a players' process: one request, answered by a {@link PoolReply} of the same id. */
export type PoolRequest = { id: number } & (
  | { op: 'join'; firstIndex: number; count: number; options: RigPlayerOptions; front: RigFront; node: string | undefined }
  | { op: 'mark' | 'kills-stop' | 'recovering' | 'drops' | 'meter-start' | 'meter-end' | 'close' }
  | { op: 'settled'; settleMs: number }
  | { op: 'outcomes' | 'kills-start'; t0: number }
);
type Op = PoolRequest['op'];
type ArgsOf<R, O> = R extends { op: infer P } ? (O extends P ? Omit<R, 'id' | 'op'> : never) : never;
/** The fields a request of `op` carries besides its id and op. */
type Args<O extends Op> = ArgsOf<PoolRequest, O>;

export interface PoolReply {
  id: number;
  value?: unknown;
  error?: string;
}

/** One process's CPU and event-loop stall over a window. */
export interface ProcessUse {
  cpuMicros: number;
  ms: number;
  stallMs: number;
}

/** The epoch ms of now, comparable across processes (what the children's times are given in). */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * The rig's players, split over `processes` child processes (player-child.ts), each with its
 * share of the players (bench/bots' shares: player i keeps its index, loopback address and
 * seed whatever the split). So the measuring side is not one event loop doing every player's
 * TLS handshakes at once: a stall there would delay every player's snapshots and resumes and
 * be counted against the cluster. Each request goes to every process; the replies come back
 * as raw values, one per process, for the caller to merge.
 */
export class PlayerPool {
  private readonly children: ChildProcess[];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly processes: number) {
    this.children = Array.from({ length: processes }, (_, k) => {
      const child = forkTypeScript(new URL('./player-child.ts', import.meta.url));
      child.on('message', (m: PoolReply) => {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.error !== undefined) w.reject(new Error(`players' process ${k}: ${m.error}`));
        else w.resolve(m.value);
      });
      child.once('exit', (code, signal) => {
        for (const [, w] of this.waiting) w.reject(new Error(`players' process ${k} exited (${signal ?? `code ${code}`})`));
        this.waiting.clear();
      });
      return child;
    });
  }

  private ask<O extends Op>(k: number, op: O, args: Args<O>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.children[k]!.send({ id, op, ...args });
    });
  }

  /** Send `op` to every process; one reply each, in process order. */
  all<O extends Op>(op: O, args: Args<O>): Promise<unknown[]> {
    return Promise.all(this.children.map((_, k) => this.ask(k, op, args)));
  }

  /** Join `count` players (matchmade, or straight onto `node`), each process its share, all at once. */
  async join(
    count: number,
    options: RigPlayerOptions,
    front: RigFront,
    node?: string,
  ): Promise<{ joined: number; perNode: Map<string, number>; failures: string[] }> {
    const plan = shares(count, this.processes);
    const replies = (await Promise.all(
      plan.map((s, k) => this.ask(k, 'join', { firstIndex: s.firstBot, count: s.bots, options, front, node })),
    )) as { joined: number; perNode: Record<string, number>; failures: string[] }[];
    const perNode = new Map<string, number>();
    for (const r of replies) for (const [n, c] of Object.entries(r.perNode)) perNode.set(n, (perNode.get(n) ?? 0) + c);
    return { joined: replies.reduce((s, r) => s + r.joined, 0), perNode, failures: replies.flatMap((r) => r.failures) };
  }

  async outcomes(t0: number): Promise<Outcome[]> {
    return ((await this.all('outcomes', { t0 })) as Outcome[][]).flat();
  }

  async drops(): Promise<(DropPart & { unplanned: number })[]> {
    return (await this.all('drops', {})) as (DropPart & { unplanned: number })[];
  }

  /** Every process's CPU (% of a core) and longest stall since `meter-start`, as a line. */
  async use(): Promise<{ text: string; stallMs: number }> {
    const u = (await this.all('meter-end', {})) as (ProcessUse | null)[];
    const each = u.map((x) => (x ? `${Math.round(x.cpuMicros / 10 / x.ms)} %` : '–'));
    const stallMs = Math.max(0, ...u.map((x) => x?.stallMs ?? 0));
    return { text: `players' ${this.processes} processes ${each.join(', ')}, longest stall ${stallMs} ms`, stallMs };
  }

  /** Close every player, then end the processes. */
  async stop(): Promise<void> {
    await this.all('close', {}).catch(() => undefined);
    for (const c of this.children) if (c.exitCode === null) c.kill();
  }
}
