// Bun runs the built package (dist/) with two threads over one shared WebAssembly.Memory: it
// trains on MNIST, encodes with a model trained and saved in Node, and must give Node's bits. Bun
// reports a Node version (process.versions.node), so the library starts its workers through Bun's
// node:worker_threads, as in Node. The bun binary is the devDependency `bun`
// (node_modules/.bin/bun); a missing one fails this file.
//
// Command: `bun run fixtures/train-and-encode.mjs <job>`: no flags (Bun has no permission model);
// the fixture reads the model file and MNIST with Bun.file.
import { join } from 'node:path';
import { fixturesDir, runScript, trainAndEncodeJob } from './helpers.js';
import { describeTrainAndEncode, THREADS } from './train-and-encode-suite.js';

describeTrainAndEncode('Bun', 'bun', 'worker_threads', (bun, modelPath, cwd) =>
  runScript(bun.path, ['run', join(fixturesDir, 'train-and-encode.mjs'), trainAndEncodeJob(modelPath, THREADS)], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    timeoutMs: 60_000,
    exitWithinMs: 10_000,
  }),
);
