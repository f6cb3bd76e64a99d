import { describe, expect, it } from 'vitest';
import { median } from '../../bench/lib/stats';
import { cpuSecondsFromStat } from '../../bench/lib/proc-cpu';
import { bucketProfile, classifyFrame, type CpuProfile } from '../../bench/profile/cpuprofile-buckets';
import { bucketPerfScript, classifyPerfFrame } from '../../bench/profile/perf-buckets';

describe('profile buckets', () => {
  it('classifies frames by source file, room.ts by method, natives as inherit', () => {
    expect(classifyFrame('sendFrame', 'file:///x/node_modules/ws/lib/sender.js', undefined)).toBe('ws framing');
    expect(classifyFrame('writeGeneric', 'node:internal/stream_base_commons', undefined)).toBe('socket I/O');
    expect(classifyFrame('emit', 'node:events', undefined)).toBe('inherit');
    expect(classifyFrame('writev', '', undefined)).toBe('inherit');
    expect(classifyFrame('message', 'file:///x/dist/chunk.js', '../src/session/session.ts')).toBe('session');
    expect(classifyFrame('acceptInputs', 'file:///x/dist/chunk.js', '../src/rooms/room.ts')).toBe('input decode');
    expect(classifyFrame('read', 'file:///x/dist/chunk.js', '../shared/games/arena/arena-input.ts')).toBe('input decode');
    expect(classifyFrame('runTick', 'file:///x/dist/chunk.js', '../src/rooms/room.ts')).toBe('step');
    // The parts split out of room.ts keep their buckets.
    expect(classifyFrame('accept', 'file:///x/dist/chunk.js', '../src/rooms/room-inputs.ts')).toBe('input decode');
    expect(classifyFrame('sendTo', 'file:///x/dist/chunk.js', '../src/rooms/room-snapshots.ts')).toBe('replication');
    expect(classifyFrame('tellNews', 'file:///x/dist/chunk.js', '../src/rooms/room-roster.ts')).toBe('step');
    expect(classifyFrame('joinParts', 'file:///x/dist/chunk.js', '../src/wire/delivery.ts')).toBe('session');
    expect(classifyFrame('stall', 'file:///x/dist/chunk.js', '../src/session/session-liveness.ts')).toBe('session');
    expect(classifyFrame('encode', 'file:///x/dist/chunk.js', '../shared/replication/delta-codec.ts')).toBe('encode');
    expect(classifyFrame('(garbage collector)', '', undefined)).toBe('GC');
    expect(classifyFrame('(idle)', '', undefined)).toBe('idle');
  });

  it("sums self time per bucket, a native taking its caller's, within the window only", () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
        { id: 2, callFrame: frame('sendFrame', 'file:///n/node_modules/ws/lib/sender.js'), children: [3] },
        { id: 3, callFrame: frame('writev', '') },
        { id: 4, callFrame: frame('(idle)', '') },
        { id: 5, callFrame: frame('(garbage collector)', '') },
      ],
      samples: [3, 3, 2, 4, 5, 3],
      timeDeltas: [100, 100, 50, 1000, 30, 100],
    };
    const all = bucketProfile(profile);
    expect(all.byBucket['ws framing']).toBe(350);
    expect(all.byBucket.GC).toBe(30);
    expect(all.idleUs).toBe(1000);
    expect(all.totalUs).toBe(1380);
    // Samples end at 100, 200, 250, 1250, 1280, 1380 µs: the window [200, 1300) holds 3 of them.
    const part = bucketProfile(profile, undefined, { fromUs: 200, toUs: 1300 });
    expect(part.byBucket['ws framing']).toBe(150);
    expect(part.totalUs).toBe(1180);
  });

  it('buckets perf samples by their innermost telling frame; other threads apart', () => {
    const script = [
      '42    1000 ',
      '\t ffff finish_task_switch.isra.0 ([kernel.kallsyms])',
      '\t 1234 __GI___writev (/usr/lib/libc.so.6)',
      '\t 7f00 JS:*writeGeneric node:internal/stream_base_commons:100:20 (/tmp/perf-42.map)',
      '',
      '42    1000 ',
      '\t ffff finish_task_switch.isra.0 ([kernel.kallsyms])',
      '\t 1234 epoll_pwait (/usr/lib/libc.so.6)',
      '\t 5678 uv_run (/usr/bin/node)',
      '',
      '42    1000 ',
      '\t 7f01 JS:*send /n/node_modules/ws/lib/sender.js:354:7 (/tmp/perf-42.map)',
      '',
      '43    1000 ',
      '\t 9999 v8::internal::Heap::Scavenge (/usr/bin/node)',
      '',
    ].join('\n');
    const b = bucketPerfScript(script, 42);
    expect(b.mainThread).toBe(3);
    expect(b.helperThreads).toBe(1);
    expect(b.byBucket['socket I/O']).toBe(1);
    expect(b.byBucket['event loop, wakeups']).toBe(1);
    expect(b.byBucket['ws framing']).toBe(1);
    expect(classifyPerfFrame('Builtins_LoadIC')).toBe('inherit');
    // perf's line and column are 1-based, a source map's 0-based.
    const asked: number[] = [];
    classifyPerfFrame('JS:*message file:///x/dist/c.js:10:5', (_url, line, column) => {
      asked.push(line, column);
      return '../src/session/session.ts';
    });
    expect(asked).toEqual([9, 4]);
  });

  it('reads utime + stime from /proc/PID/stat, a name with spaces and parentheses included', () => {
    const stat = '123 (node (x) y) S 1 123 123 0 -1 4194304 98 0 0 0 250 50 0 0 20 0 11 0 35761';
    expect(cpuSecondsFromStat(stat, 100)).toBe(3);
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
