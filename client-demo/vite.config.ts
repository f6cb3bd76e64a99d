import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The demo folder (the Vite root) and the repo root, whose shared/ and src/sdk/ the demo imports. */
const demoRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * `npm run build:demo` writes client-demo/dist, which the tickwire server serves at `/`.
 * `npm run dev:demo` serves the demo with hot reload and forwards `/ws` to a server started
 * separately with `npm start` (port 8080 by default).
 */
export default defineConfig({
  root: demoRoot,
  // Relative asset URLs, so the built demo also works when served under a sub-path.
  base: './',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Three pages: the arena, the cursors board (a second game, /cursors.html), and the
    // operator's monitor (served at /monitor).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        monitor: fileURLToPath(new URL('./monitor.html', import.meta.url)),
        cursors: fileURLToPath(new URL('./cursors.html', import.meta.url)),
      },
    },
  },
  server: {
    // The bundle imports ../shared and ../src/sdk, outside the Vite root.
    fs: { allow: [repoRoot] },
    proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
});
