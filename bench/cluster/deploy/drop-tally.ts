import type { DropSink, ResumeParts } from './rig-player';

/** One process's drops, as raw samples: merged by concatenating (see {@link mergeDropParts}). */
export interface DropPart {
  /** Kill → first snapshot after the resumed WELCOME, ms, one per resume. */
  times: number[];
  rightSeat: number;
  lost: string[];
  /** Resumes by the SDK's reconnect attempts they took. */
  attempts: Record<number, number>;
  backoff: number[];
  toWelcome: number[];
  toSnapshot: number[];
}

/** Collects every player's resumes of one process (a {@link DropSink}). */
export class DropTally implements DropSink {
  private readonly p: DropPart = { times: [], rightSeat: 0, lost: [], attempts: {}, backoff: [], toWelcome: [], toSnapshot: [] };

  resumed(ms: number, right: boolean, tries: number, parts: ResumeParts): void {
    const p = this.p;
    p.times.push(ms);
    p.attempts[tries] = (p.attempts[tries] ?? 0) + 1;
    p.backoff.push(parts.backoffMs);
    p.toWelcome.push(parts.welcomeMs);
    p.toSnapshot.push(parts.snapshotMs);
    if (right) p.rightSeat++;
    else p.lost.push('resumed, but not on its seat');
  }

  lost(why: string): void {
    this.p.lost.push(why);
  }

  part(): DropPart {
    return this.p;
  }
}

/** The parts of every process as one. */
export function mergeDropParts(parts: readonly DropPart[]): DropPart {
  const out: DropPart = { times: [], rightSeat: 0, lost: [], attempts: {}, backoff: [], toWelcome: [], toSnapshot: [] };
  for (const p of parts) {
    out.times.push(...p.times);
    out.rightSeat += p.rightSeat;
    out.lost.push(...p.lost);
    for (const [k, n] of Object.entries(p.attempts)) out.attempts[Number(k)] = (out.attempts[Number(k)] ?? 0) + n;
    out.backoff.push(...p.backoff);
    out.toWelcome.push(...p.toWelcome);
    out.toSnapshot.push(...p.toSnapshot);
  }
  return out;
}
