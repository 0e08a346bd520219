// Core benchmarks of the kernels and the engine, in one process so that every figure is a ratio
// measured in the same run: the multiply-add peak, the reference model's GEMM shapes as a
// fraction of it, training and inference throughput, and (in a fresh child process) peak RSS.
import { Bench } from 'tinybench';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadKernels, instantiateKernels, supportsRelaxedSimd } from '../dist/runtime/wasm.js';
import { Autoencoder } from '../dist/index.js';
import { loadMnist } from '../dist/mnist.js';

import { REFERENCE, BATCH } from './reference.js';

const LAYERS = [[784, 64], [64, 32], [32, 32], [32, 32], [32, 64], [64, 784]];

/** Kernels over a fresh memory with room for the largest GEMM operands, filled with noise. */
async function kernelsFor(build) {
  const { module } = await loadKernels({ build });
  const memory = new WebAssembly.Memory({ initial: 64 * 16 });
  const k = instantiateKernels(module, memory);
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < f.length; i++) f[i] = Math.sin(i) * 0.5;
  const base = Math.ceil(k.heapBase() / 64) * 64;
  const slot = 4 << 20; // 4 MiB per operand
  return { k, a: base, b: base + slot, c: base + 2 * slot, scratch: base + 3 * slot };
}

export function gemmShapes() {
  const shapes = [];
  LAYERS.forEach(([inp, out], l) => {
    shapes.push({ kind: 'NN', label: `L${l + 1} forward (${BATCH}×${inp})·(${inp}×${out})`, M: BATCH, K: inp, N: out });
  });
  LAYERS.forEach(([inp, out], l) => {
    shapes.push({ kind: 'TN', label: `L${l + 1} dW (${inp}×${BATCH})·(${BATCH}×${out})`, M: inp, K: BATCH, N: out });
  });
  LAYERS.forEach(([inp, out], l) => {
    // dX of layer 1 is never needed in training; its shape is listed because it is the
    // backward shape of the largest layer.
    shapes.push({ kind: 'NT', label: `L${l + 1} dX (${BATCH}×${out})·(${out}×${inp})`, M: BATCH, K: out, N: inp });
  });
  return shapes;
}

const PROBE_ITERATIONS = 200_000;

export async function kernelBench(builds, { time }) {
  const rows = [];
  for (const build of builds) {
    const { k, a, b, c, scratch } = await kernelsFor(build);
    const bench = new Bench({ time, warmupTime: time / 2 });
    bench.add(`${build} peak`, () => k.peakProbe(PROBE_ITERATIONS, 1));
    const shapes = gemmShapes();
    for (const s of shapes) {
      const run = s.kind === 'NN' ? () => k.gemmNN(c, a, b, b, s.M, s.K, s.N)
        : s.kind === 'TN' ? () => k.gemmTN(c, a, b, s.M, s.K, s.N)
          : () => k.gemmNT(c, a, b, scratch, s.M, s.K, s.N);
      bench.add(`${build} ${s.kind} ${s.label}`, run);
    }
    await bench.run();
    const median = (name) => bench.getTask(name).result.latency.p50 / 1000;
    const peak = (PROBE_ITERATIONS * k.peakProbeFlops()) / median(`${build} peak`) / 1e9;
    rows.push({ build, what: build === "relaxed" ? "peak: 12 independent f32x4 fused multiply-add chains" : "peak: 12 independent f32x4 mul+add chains", gflops: peak, ofPeak: 1 });
    for (const s of shapes) {
      const gflops = (2 * s.M * s.K * s.N) / median(`${build} ${s.kind} ${s.label}`) / 1e9;
      rows.push({ build, what: `${s.kind} ${s.label}`, gflops, ofPeak: gflops / peak });
    }
  }
  return rows;
}

export async function trainingBench(builds, mnist, { epochs, threadCounts }) {
  const rows = [];
  for (const build of builds) {
    for (const threads of threadCounts) {
      const ae = await Autoencoder.create({ ...REFERENCE, kernels: build, threads });
      const history = await ae.fit(mnist.train, { epochs, batchSize: BATCH });
      const later = history.epochs.slice(1).map((e) => e.samplesPerSec).sort((x, y) => x - y);
      const trainRate = later[later.length >> 1];
      const test = mnist.test.images;
      const bench = new Bench({ time: 1500, warmupTime: 300 });
      bench.add('reconstruct', () => {
        for (let at = 0; at < test.length; at += 1000 * 784) ae.reconstruct(test.subarray(at, at + 1000 * 784));
      });
      await bench.run();
      const inferRate = mnist.test.count / (bench.getTask('reconstruct').result.latency.p50 / 1000);
      rows.push({ build, threads: ae.backend.threads, trainSamplesPerSec: trainRate, inferImagesPerSec: inferRate,
        testMse: ae.evaluate(mnist.test).mse, epochs });
      await ae.dispose();
    }
  }
  return rows;
}

/** Microseconds per meeting of two training threads at a barrier, spinning first and not. */
export async function barrierBench(threads, iterations) {
  const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads });
  // The pool is internal; the benchmark reaches it on purpose.
  const pool = ae.pool;
  const engine = ae.engine;
  if (!pool) throw new Error('barrier benchmark: no worker pool (threads unavailable?)');
  await pool.measureBarrier(engine.layout, 2000, 20000);
  const spin = await pool.measureBarrier(engine.layout, iterations, 20000);
  const futex = await pool.measureBarrier(engine.layout, Math.ceil(iterations / 10), 0);
  await ae.dispose();
  return { threads, spinMicros: spin, futexMicros: futex, perStep: 2 };
}

/** Peak RSS of a fresh process that loads MNIST and trains the reference model for an epoch. */
export function rssBench(threads, flags = []) {
  const child = fileURLToPath(new URL('./rss-child.js', import.meta.url));
  // Through a small shell: on Linux a child's maxRSS starts from the process that forked it, and
  // this benchmark process is large by then; the shell's fork is small, and it execs Node fresh.
  const out = spawnSync('/bin/sh', ['-c', '"$0" "$@"; exit $?', process.execPath, ...flags, child, String(threads)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`rss child failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

export async function coreBench({ quick = false } = {}) {
  const builds = supportsRelaxedSimd() ? ['simd', 'relaxed'] : ['simd'];
  const mnist = await loadMnist(quick ? { trainLimit: 5000, testLimit: 1000 } : {});
  const kernels = await kernelBench(builds, { time: quick ? 100 : 400 });
  const training = await trainingBench(builds, mnist, { epochs: quick ? 2 : 4, threadCounts: [1, 2] });
  const barrier = await barrierBench(2, quick ? 2000 : 20000);
  const rss = quick ? null : [rssBench(1), rssBench(2)];
  return { builds, kernels, training, barrier, rss };
}

