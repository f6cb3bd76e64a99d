import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second that /proc/PID/stat counts CPU time in (`getconf CLK_TCK`, 100 on Linux). */
let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * User + system CPU seconds from the text of `/proc/PID/stat`. The process name (field 2) is
 * in parentheses and may hold spaces, so fields are counted from the last ')': utime and stime
 * are fields 14 and 15, in clock ticks.
 */
export function cpuSecondsFromStat(stat: string, ticksPerSec: number): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field N is rest[N - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return (utime + stime) / ticksPerSec;
}

/** A process's CPU seconds so far (every thread), read from /proc. */
export function processCpuSeconds(pid: number): number {
  return cpuSecondsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond());
}

/** Starts a CPU window on `pid`; `stop()` gives its CPU over the window as % of one core. */
export function cpuWindow(pid: number): { stop(): number } {
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  return {
    stop() {
      const cpu = processCpuSeconds(pid) - cpu0;
      return (100 * cpu * 1000) / (performance.now() - t0);
    },
  };
}
