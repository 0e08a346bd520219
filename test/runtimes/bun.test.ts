// Bun runs the built package (dist/) with two threads over one shared WebAssembly.Memory: it
// trains on MNIST, encodes with a model trained and saved in Node, and must give Node's bits. Bun
// reports a Node version (process.versions.node), so the library starts its workers through Bun's
// node:worker_threads, as in Node. The bun binary is the devDependency `bun`
// (node_modules/.bin/bun); a missing one fails this file.
//
// Command: `bun run fixtures/train-and-encode.mjs <job>`: no flags (Bun has no permission model);
// the fixture reads the model file and MNIST with Bun.file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeRun, fixturesDir, killStragglers, logFacts, nodeReference, resultOf,
  runScript, runtimeBinary, tempDir, trainAndEncodeJob,
  type NodeReference, type RuntimeBinary, type ScriptRun, type TrainAndEncodeResult,
} from './helpers.js';

const THREADS = 2;
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

describe('Bun', () => {
  let bun: RuntimeBinary;
  let ref: NodeReference;
  let run: ScriptRun;
  let result: TrainAndEncodeResult;
  const dir = tempDir();

  beforeAll(async () => {
    bun = runtimeBinary('bun');
    ref = await nodeReference();
    const modelPath = join(dir.path, 'model.wae');
    writeFileSync(modelPath, ref.modelBytes);
    run = await runScript(bun.path, ['run', join(fixturesDir, 'train-and-encode.mjs'), trainAndEncodeJob(modelPath, THREADS)], {
      cwd: dir.path,
      env: { ...process.env, NO_COLOR: '1' },
      timeoutMs: 60_000,
      exitWithinMs: 10_000,
    });
    result = resultOf<TrainAndEncodeResult>(run);
    logFacts('bun', {
      version: bun.version, versionsNode: result.versionsNode, runMs: Math.round(run.ms), scriptMs: result.ms, exitAfterResultMs: Math.round(run.exitAfterResultMs ?? -1),
      hardwareConcurrency: result.hardwareConcurrency, waitAsync: result.hasWaitAsync,
      backends: Object.fromEntries(Object.entries(result.trained).map(([t, r]) => [t, r.backend])),
      before: result.trained[THREADS].before, after: result.trained[THREADS].after, losses: result.trained[THREADS].losses,
      fitMs: Object.fromEntries(Object.entries(result.trained).map(([t, r]) => [t, r.ms])),
    });
  }, 120_000);

  afterAll(() => {
    killStragglers();
    dir.remove();
  });

  it('runs the package with two threads (worker_threads)', () => {
    expect(result.runtime).toBe('bun');
    expect(result.hasSharedArrayBuffer).toBe(true);
    expect(result.trained[THREADS].backend).toEqual({ kernels: 'simd', threads: THREADS });
    expect(result.encoded[THREADS].backend).toEqual({ kernels: 'simd', threads: THREADS });
    expect(result.trained[1].backend).toEqual({ kernels: 'simd', threads: 1 });
  });

  it('training lowers the test MSE', () => {
    for (const r of Object.values(result.trained)) {
      expect(r.steps).toBe(ref.training.steps);
      expect(r.after).toBeLessThan(r.before);
      expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]);
    }
  });

  it('a threaded fit gives the same weights as one thread, and as Node', () => {
    const threaded = b64(result.trained[THREADS].weights), one = b64(result.trained[1].weights);
    expect(threaded.length).toBe(ref.training.weights.length);
    expect(threaded.equals(one)).toBe(true);
    // Beyond the brief's minimum: the same seed trains to Node's very bits (same kernels, same
    // order of every sum; the JS-side math — Adam's bias correction, Glorot draws — agrees too).
    expect(one.equals(ref.training.weights)).toBe(true);
    expect(result.trained[1].losses).toEqual(ref.training.losses);
  });

  it("encode gives Node's bits for a model saved in Node (threaded and one thread)", () => {
    for (const threads of [THREADS, 1]) {
      const codes = b64(result.encoded[threads].codes);
      expect(codes.length).toBe(ref.codes.length);
      expect(codes.equals(ref.codes), `codes with ${threads} thread(s) differ from Node's`).toBe(true);
    }
  });

  it('exits by itself after dispose()', () => {
    expect(run.killed, describeRun(run)).toBeNull();
    expect(run.exitCode).toBe(0);
    expect(run.exitAfterResultMs!).toBeLessThan(10_000);
  });
});
