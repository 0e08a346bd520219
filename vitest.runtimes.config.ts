import { defineConfig } from 'vitest/config';

// The runtime tests (npm run test:runtimes): each starts a real runtime (Chromium, Deno, Bun,
// workerd) on the built package. Kept apart from the unit suite: they need those runtimes installed.
export default defineConfig({
  test: {
    include: ['test/runtimes/**/*.test.ts', 'test/package/pack-chromium.test.ts', 'test/package/pack-runtimes.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
