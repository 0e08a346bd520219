// Deno runs the built package (dist/) with two threads (module Web Workers over one shared
// WebAssembly.Memory): it trains on MNIST, encodes with a model trained and saved in Node, and must
// give Node's bits. The deno binary is the devDependency `deno` (node_modules/.bin/deno); a missing
// one fails this file.
//
// Flags: `deno run --no-prompt --no-lock --allow-read=<model file>,<store folder>,<MNIST folder>,dist/,build/
//   --allow-write=<store folder>`.
//   - read of the model file and the MNIST folder: the fixture's Deno.readFile;
//   - read and write of the store folder: saveTo and loadFrom of a model file (node:fs in Deno);
//   - read of build/: the library reads the threads build of the kernels (build/*.wasm) itself;
//   - read of dist/: starting a Worker from dist/parallel/worker.js is a dynamic load, which Deno
//     checks against --allow-read (the static imports of dist/ need no permission);
//   - no --allow-env, --allow-sys, --allow-net, --allow-ffi, --allow-run;
//   - --no-prompt: a missing permission fails at once instead of waiting on a prompt;
//     --no-lock: Deno finds the package.json above the fixture (which is how the bare import of
//     fflate in dist/entries/idx.js resolves to node_modules) and must not write a deno.lock there.
import { join } from 'node:path';
import { buildDir, distDir, fixturesDir, mnistDir, runScript, storeDirOf, trainAndEncodeJob } from './helpers.js';
import { describeTrainAndEncode, THREADS } from './train-and-encode-suite.js';

describeTrainAndEncode('Deno', 'deno', 'module workers', (deno, modelPath, cwd) =>
  runScript(
    deno.path,
    [
      'run',
      '--no-prompt',
      '--no-lock',
      `--allow-read=${[modelPath, storeDirOf(modelPath), mnistDir, distDir, buildDir].join(',')}`,
      `--allow-write=${storeDirOf(modelPath)}`,
      join(fixturesDir, 'train-and-encode.mjs'),
      trainAndEncodeJob(modelPath, THREADS),
    ],
    {
      cwd,
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      timeoutMs: 60_000,
      exitWithinMs: 10_000,
    },
  ),
);
