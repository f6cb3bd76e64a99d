import type { HealthReport } from '../../src/server/health';

/** One reading of the server's `GET /health`, stamped with the local time it was taken. */
export interface HealthSample {
  /** Local `performance.now()` halfway through the request, ms: the best guess of when the server read its counters. */
  atMs: number;
  /** Server process CPU time so far, user + system, µs. */
  cpuMicros: number;
  heapUsedBytes: number;
  rssBytes: number;
  report: HealthReport;
}

/**
 * Read the server's health once. Throws with a sentence naming the URL on a network error, a
 * non-200 answer or a timeout (default 3000 ms), so the caller can report "no server figures".
 */
export async function probeHealth(url: string, timeoutMs = 3000): Promise<HealthSample> {
  const before = performance.now();
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    throw new Error(`GET ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  const report = (await res.json()) as HealthReport;
  const after = performance.now();
  const p = report.process;
  if (!p || typeof p.cpuUserMicros !== 'number') throw new Error(`GET ${url}: the answer has no process CPU figures`);
  return {
    atMs: (before + after) / 2,
    cpuMicros: p.cpuUserMicros + p.cpuSystemMicros,
    heapUsedBytes: p.heapUsedBytes,
    rssBytes: p.rssBytes,
    report,
  };
}

/** `probeHealth`, but a failure becomes `undefined` plus a note in `errors`. */
export async function tryProbeHealth(url: string, errors: string[]): Promise<HealthSample | undefined> {
  try {
    return await probeHealth(url);
  } catch (err) {
    errors.push((err as Error).message);
    return undefined;
  }
}
