import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The sources' '#platform' (package.json "imports") is the Node platform's source here, as the
  // 'node' condition picks dist/platform/node.js for the built package.
  resolve: { alias: { '#platform': fileURLToPath(new URL('./src/platform/node.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      'test/runtimes/**',
      'test/package/pack-chromium.test.ts',
      'test/package/pack-runtimes.test.ts',
      'node_modules/**',
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Many suites train tiny models on a few dozen rows on purpose; fit's few-steps warning
    // (asserted in test/model/fit-warnings.test.ts) would bury the report.
    onConsoleLog: (log) => !log.startsWith('Autoencoder.fit: an epoch of'),
  },
});
