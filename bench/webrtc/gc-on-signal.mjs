// Preloaded into the server by bench/webrtc/churn.ts (with --expose-gc): SIGUSR2 runs a full
// collection, so the heap figures read after it are live objects, not garbage not yet swept.
process.on('SIGUSR2', () => globalThis.gc?.());
