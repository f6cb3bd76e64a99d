import { defineConfig } from 'tsup';

/**
 * The package build: ESM JavaScript and bundled type declarations in dist/, one file per public
 * entry (shared code split into chunks). Dependencies stay external: npm installs them.
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    client: 'src/client.ts',
    game: 'shared/index.ts',
    arena: 'shared/games/arena/index.ts',
    cli: 'src/cli/main.ts',
    // The embedded database's thread, loaded by path (src/persistence/sqlite-thread.ts).
    'sqlite-worker': 'src/persistence/sqlite-worker.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: { entry: { index: 'src/index.ts', client: 'src/client.ts', game: 'shared/index.ts', arena: 'shared/games/arena/index.ts' } },
  outDir: 'dist',
});
