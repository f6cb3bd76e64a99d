import { describe, expect, it } from 'vitest';
import { emptyNetcodeRaw, type BotsPart } from '../../bench/bots/bots-part';
import { FELL_BEHIND_CPU_PERCENT, FELL_BEHIND_LAG_P99_MS, mergeParts } from '../../bench/bots/merge';
import { shares } from '../../bench/bots/processes';
import { formatSummary } from '../../bench/bots/report';

/** A part of a run with `clients` bots, every one joined and measured; `over` replaces fields. */
function part(processIndex: number, clients: number, over: Partial<BotsPart> = {}): BotsPart {
  return {
    processIndex,
    url: 'ws://127.0.0.1:1/ws',
    transport: 'ws',
    behavior: 'walk',
    clientsRequested: clients,
    clientsConnected: clients,
    failureReasons: {},
    disconnectedDuringRun: 0,
    disconnectReasons: {},
    roomIds: Array.from({ length: clients }, (_, i) => `room-${i % 2}`),
    playersPerNode: null,
    tickRateHz: 30,
    sendRateHz: 30,
    durationS: 10,
    joinPhaseS: 1,
    warmupS: 1,
    windowS: 8,
    clientsMeasured: clients,
    snapRates: new Float64Array(clients).fill(30),
    byteRates: new Float64Array(clients).fill(2000),
    inputRates: new Float64Array(clients).fill(30),
    snapTotal: clients * 240,
    byteTotal: clients * 16000,
    clientsBehind: 0,
    fireTicks: 0,
    inputsSentTotal: clients * 300,
    rttMs: new Float64Array(0),
    pingMs: new Float64Array(0),
    resumeMs: new Float64Array(0),
    dropRatePerBotPerMinute: 0,
    kills: 0,
    unplannedDrops: 0,
    resumes: 0,
    failedResumes: 0,
    resumeFailureReasons: {},
    netcode: {
      ...emptyNetcodeRaw({ latencyMs: 0, jitterMs: 0, loss: 0, fps: 0 }),
      inputsSent: clients * 240,
      interpolationDelaysMs: new Float64Array(clients).fill(100),
      inputLeadsMs: new Float64Array(clients).fill(10),
      targetLeadsMs: new Float64Array(clients).fill(8),
    },
    chat: null,
    process: {
      processIndex,
      clients,
      cpuPercent: 40,
      rssBytes: 100e6,
      eventLoopDelayP99Ms: 5,
      driverSkippedInputs: 0,
      driverWakesPerS: 200,
    },
    server: null,
    serverErrors: [],
    ...over,
  };
}

describe('mergeParts (one summary from several bots processes)', () => {
  it('takes percentiles over the pooled samples, not the mean of each process’s percentile', () => {
    // Process 0: 99 fast round trips; process 1: one slow one. Pooled, the p99 is still fast
    // (rank 99 of 100); the mean of the processes' p99s would be (1 + 500) / 2.
    const fast = new Float64Array(99).fill(1);
    const merged = mergeParts([part(0, 3, { rttMs: fast }), part(1, 3, { rttMs: Float64Array.of(500) })], null, []);
    expect(merged.inputAckRttMs).toEqual({ p50: 1, p99: 1, max: 500, samples: 100 });
  });

  it('pools the per-client rates: min, median and max over every bot of every process', () => {
    const merged = mergeParts(
      [part(0, 3, { snapRates: Float64Array.of(30, 29, 30) }), part(1, 2, { snapRates: Float64Array.of(12, 31) })],
      null,
      [],
    );
    expect(merged.snapshotsPerSecPerClient).toEqual({ mean: 26.4, median: 30, min: 12, max: 31 });
  });

  it('adds up counts and reasons, and counts distinct rooms over the processes', () => {
    const merged = mergeParts(
      [
        part(0, 5, {
          clientsConnected: 4,
          failureReasons: { '4004 every room is full': 1 },
          disconnectedDuringRun: 1,
          disconnectReasons: { '4008 heartbeat': 1 },
          clientsMeasured: 4,
          roomIds: ['a', 'b', 'b', 'c'],
        }),
        part(1, 4, {
          clientsConnected: 2,
          failureReasons: { '4004 every room is full': 1, 'join timeout (10000 ms)': 1 },
          disconnectReasons: {},
          clientsMeasured: 2,
          roomIds: ['c', 'd'],
        }),
      ],
      null,
      [],
    );
    expect(merged).toMatchObject({
      processes: 2,
      clientsRequested: 9,
      clientsConnected: 6,
      failedJoins: 3,
      failureReasons: { '4004 every room is full': 2, 'join timeout (10000 ms)': 1 },
      disconnectedDuringRun: 1,
      clientsMeasured: 6,
      rooms: 4,
    });
    expect(merged.bots.processes.map((p) => p.clients)).toEqual([5, 4]);
    expect(merged.bots.cpuPercent).toBe(80);
  });

  it('says a process fell behind on loop lag or on CPU, and not otherwise', () => {
    const calm = part(0, 2);
    const lagging = part(1, 2, {
      process: {
        processIndex: 1,
        clients: 2,
        cpuPercent: 60,
        rssBytes: 1,
        eventLoopDelayP99Ms: FELL_BEHIND_LAG_P99_MS + 1,
        driverSkippedInputs: 0,
        driverWakesPerS: 200,
      },
    });
    const busy = part(2, 2, {
      process: {
        processIndex: 2,
        clients: 2,
        cpuPercent: FELL_BEHIND_CPU_PERCENT,
        rssBytes: 1,
        eventLoopDelayP99Ms: 3,
        driverSkippedInputs: 0,
        driverWakesPerS: 200,
      },
    });
    expect(mergeParts([calm, part(1, 2)], null, []).bots.fellBehind).toBe(false);
    const merged = mergeParts([calm, lagging, busy], null, []);
    expect(merged.bots.fellBehind).toBe(true);
    expect(merged.bots.processes.map((p) => p.fellBehind)).toEqual([false, true, true]);
    expect(merged.bots.eventLoopDelayP99Ms).toBe(FELL_BEHIND_LAG_P99_MS + 1);
    const text = formatSummary(merged);
    expect(text).toContain('bots process 1 fell behind (loop lag p99 51.0 ms, CPU 60.0 %): the figures measure the bots, not the server');
    // Lagging with CPU to spare is the machine's shortage; at a full core, the process's own.
    expect(text).toMatch(/bots process 1 fell behind .*the machine is short of cores/);
    expect(text).toMatch(/bots process 2 fell behind \(loop lag p99 3.0 ms, CPU 95.0 %\).*its core was full\)/);
    expect(text).not.toContain('bots process 0 fell behind');
  });

  it('does not claim every drop resumed while drops are still resuming', () => {
    const dropped = { dropRatePerBotPerMinute: 0, kills: 0, unplannedDrops: 1000, resumes: 600, failedResumes: 0 };
    const merged = mergeParts([part(0, 1000, dropped), part(1, 1000, { ...dropped, resumes: 601 })], null, []);
    expect(merged.drops).toMatchObject({ unplannedDrops: 2000, resumes: 1201, failedResumes: 0, inFlight: 799, allResumed: false });
    const text = formatSummary(merged);
    expect(text).toContain('1201 resumed, 0 failed, 799 still resuming');
    expect(text).toContain('NOT every drop resumed: 799 still resuming when the bots left');
    expect(text).not.toContain('every drop resumed\n');
  });

  it('says every drop resumed when all did', () => {
    const merged = mergeParts(
      [part(0, 10, { dropRatePerBotPerMinute: 2, kills: 4, resumes: 4, resumeMs: Float64Array.of(120, 130, 140, 150) })],
      null,
      [],
    );
    expect(merged.drops).toMatchObject({ inFlight: 0, allResumed: true, resumeMs: { p50: 130, max: 150, samples: 4 } });
    expect(formatSummary(merged)).toContain('— every drop resumed');
  });
});

describe('mergeParts: netcode', () => {
  it('takes the largest correction over the processes that measured one, and sums the counters', () => {
    const withNetcode = (k: number, corrections: number, max: number) => {
      const p = part(k, 2);
      return { ...p, netcode: { ...p.netcode, fps: 30, corrections, correctionMaxUnits: max, frames: 600 } };
    };
    const merged = mergeParts([withNetcode(0, 0, Number.NaN), withNetcode(1, 3, 2.5), withNetcode(2, 1, 0.7)], null, []);
    expect(merged.netcode).toMatchObject({ corrections: 4, correctionMaxUnits: 2.5, frames: 1800, interpolationDelayMs: 100 });
    expect(mergeParts([withNetcode(0, 0, Number.NaN)], null, []).netcode.correctionMaxUnits).toBeNull();
  });
});

describe('shares (each bots process’s slice of the clients)', () => {
  it('covers every bot once, contiguous, as evenly as it can', () => {
    expect(shares(2000, 2)).toEqual([
      { firstBot: 0, bots: 1000 },
      { firstBot: 1000, bots: 1000 },
    ]);
    expect(shares(7, 3)).toEqual([
      { firstBot: 0, bots: 3 },
      { firstBot: 3, bots: 2 },
      { firstBot: 5, bots: 2 },
    ]);
  });
});
