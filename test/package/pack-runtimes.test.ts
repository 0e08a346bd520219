// README.md's first example in Deno and Bun, from the packed tarball installed in an empty folder
// (npm run test:runtimes: it needs their binaries). Each resolves 'wasm-autoencoder' through
// node_modules with its own conditions (Deno: 'deno', so dist/platform/deno.js; Bun: 'bun' then
// 'node', so dist/platform/node.js), and a second script trains with two threads, which starts
// that platform's workers from the installed files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeBinary } from '../runtimes/helpers.js';
import { exampleAsJs, MAX_EXAMPLE_MSE, packAndInstall, printedMse, type Installed } from './helpers.js';

const THREADS_PROBE = `import { Autoencoder } from 'wasm-autoencoder';
const ae = await Autoencoder.create({ encoder: [32], latent: 8, seed: 1, threads: 2 });
const images = new Uint8Array(256 * 784).map((_, i) => (i * 37) % 256);
const { epochs } = await ae.fit(images, { epochs: 2, batchSize: 128 });
console.log(JSON.stringify({ backend: ae.backend, losses: epochs.map((e) => e.loss) }));
await ae.dispose();
`;

let installed: Installed;
let app: string;

beforeAll(async () => {
  installed = packAndInstall();
  app = join(installed.dir, 'app');
  writeFileSync(join(app, 'example.mjs'), await exampleAsJs());
  writeFileSync(join(app, 'threads.mjs'), THREADS_PROBE);
});

afterAll(() => {
  if (installed) rmSync(installed.dir, { recursive: true, force: true });
});

/** The command line of `runtime` running `script` in the app folder, with no more rights than it needs. */
function command(runtime: 'deno' | 'bun', script: string): string[] {
  // Deno: read the app (its node_modules: the package, its workers and kernels); --no-lock: no
  // deno.lock written into the folder.
  return runtime === 'deno' ? ['run', '--no-prompt', '--no-lock', `--allow-read=${app}`, script] : [script];
}

describe.each(['deno', 'bun'] as const)('the packed package in %s', (runtime) => {
  it("runs README's first example as written", () => {
    const binary = runtimeBinary(runtime);
    const run = spawnSync(binary.path, command(runtime, 'example.mjs'), {
      cwd: app,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const mse = printedMse(run.stdout);
    expect(mse).toBeGreaterThanOrEqual(0);
    expect(mse).toBeLessThan(MAX_EXAMPLE_MSE);
  });

  it('trains with two threads (the platform starts its workers from the installed files)', () => {
    const binary = runtimeBinary(runtime);
    const run = spawnSync(binary.path, command(runtime, 'threads.mjs'), {
      cwd: app,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const { backend, losses } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      backend: { threads: number };
      losses: number[];
    };
    expect(backend.threads).toBe(2);
    expect(losses).toHaveLength(2);
    expect(losses[1]).toBeLessThan(losses[0]);
  });
});
