import { defineConfig } from 'vitest/config';

// Five projects: `npm test` runs unit, integration and hostile; `npm run test:e2e` runs the real-Chromium
// test of the demo, and `npm run test:docs` opens every page of the built docs site (`npm run docs` first).
export default defineConfig({
  test: {
    projects: [
      // Unit files share one module context per worker (isolate: false): they hold no global state
      // (time is a ManualClock, servers are in-memory), and importing shared/ and src/ once per
      // worker instead of once per file halves the project's wall time (19.9 s → 9.8 s).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000 } },
      // Attackers against a real server with a bystander, and fuzzed decoders: in `npm test`.
      { extends: true, test: { name: 'hostile', include: ['test/hostile/**/*.test.ts'], testTimeout: 30_000 } },
      // One e2e file at a time, as when they were one file: each drives a real Chromium and servers.
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 90_000, fileParallelism: false },
      },
      { extends: true, test: { name: 'docs', include: ['test/docs/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 60_000 } },
    ],
  },
});
