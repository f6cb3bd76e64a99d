// The SQLite worker from the TypeScript sources (tsx, vitest): register tsx's loader in this
// thread, then run the worker. A built package starts dist/sqlite-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-worker.ts');
