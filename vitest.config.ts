import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/runtimes/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Many suites train tiny models on a few dozen rows on purpose; fit's few-steps warning
    // (asserted in test/model/fit-warnings.test.ts) would bury the report.
    onConsoleLog: (log) => !log.startsWith('Autoencoder.fit: an epoch of'),
  },
});
