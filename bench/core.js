// Core benchmarks of the kernels and the engine, in one process so that every figure is a ratio
// measured in the same run: the multiply-add peak, the reference model's GEMM shapes as a
// fraction of it, training and inference throughput, and (in a fresh child process) peak RSS.
import { Bench } from 'tinybench';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadKernels, instantiateKernels, supportsRelaxedSimd } from '../dist/runtime/wasm.js';
import { Autoencoder } from '../dist/entries/index.js';
import { measureBarrier } from '../dist/model/internal.js';
import { loadMnist } from '../dist/entries/mnist.js';

import { normalizeOptions } from '../dist/model/options.js';
import { layerPlan } from '../dist/model/layerPlan.js';
import { buildNetwork } from '../dist/engine/network.js';
import { CHUNK_ROWS } from '../dist/engine/layout.js';
import { REFERENCE, CONV, BATCH } from './reference.js';

/** The engine's view of a model: its layer records, built as the library builds them. */
export function networkOf(options) {
  const config = normalizeOptions(options);
  const { layers, codeLayer } = layerPlan(config);
  return buildNetwork(layers, {
    alpha: 0.3,
    loss: config.loss,
    codeLayer,
    latent: config.latent,
    variational: false,
    beta: 0,
    classes: 0,
  });
}

/** Multiply-adds of one example through layer L: per output position, a weight row of every input. */
function layerMacs(L) {
  const positions = L.conv ? L.conv.OH * L.conv.OW : 1;
  return positions * L.weightRows * L.weightCols;
}

/** FLOPs (2 × multiply-adds) per example: forward, and training (forward, dW of every layer, dX of
 *  every layer but the first). */
export function flopsOf(spec) {
  const macs = spec.layers.map(layerMacs);
  const forward = macs.reduce((a, b) => a + b, 0);
  return { forward: 2 * forward, training: 2 * (3 * forward - macs[0]) };
}

/** The GEMMs the engine calls for one chunk of CHUNK_ROWS examples of a conv model: forward, dW, dX. */
export function convGemmShapes(spec) {
  const shapes = [];
  spec.layers.forEach((L, l) => {
    const name = `${l + 1} ${L.kind}`;
    const rows = CHUNK_ROWS * (L.conv ? L.conv.OH * L.conv.OW : 1);
    const [inner, outer] = L.kind === 'conv2dTranspose' ? [L.weightCols, L.weightRows] : [L.weightRows, L.weightCols];
    shapes.push({
      kind: 'NN',
      label: `${name} forward (${rows}×${inner})·(${inner}×${outer})`,
      M: rows,
      K: inner,
      N: outer,
    });
    shapes.push({
      kind: 'TN',
      label: `${name} dW (${L.weightRows}×${rows})·(${rows}×${L.weightCols})`,
      M: L.weightRows,
      K: rows,
      N: L.weightCols,
    });
    if (l > 0)
      shapes.push({
        kind: 'NN',
        label: `${name} dX (${rows}×${outer})·(${outer}×${inner})`,
        M: rows,
        K: outer,
        N: inner,
      });
  });
  return shapes;
}

const LAYERS = [
  [784, 64],
  [64, 32],
  [32, 32],
  [32, 32],
  [32, 64],
  [64, 784],
];

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
    // dX = dZ·Wᵀ as the engine computes it: Wᵀ by transpose (once per step in training), then
    // gemmNN. dX of layer 1 is never needed in training; its shape is listed because it is the
    // backward shape of the largest layer.
    shapes.push({ kind: 'NT', label: `L${l + 1} dX (${BATCH}×${out})·(${out}×${inp})`, M: BATCH, K: out, N: inp });
  });
  return shapes;
}

const PROBE_ITERATIONS = 200_000;

export async function kernelBench(builds, { time, shapes = gemmShapes() }) {
  const rows = [];
  for (const build of builds) {
    const { k, a, b, c, scratch } = await kernelsFor(build);
    const bench = new Bench({ time, warmupTime: time / 2 });
    bench.add(`${build} peak`, () => k.peakProbe(PROBE_ITERATIONS, 1));
    for (const s of shapes) {
      const run =
        s.kind === 'NN'
          ? () => k.gemmNN(c, a, b, b, s.M, s.K, s.N, 0, 0)
          : s.kind === 'TN'
            ? () => k.gemmTN(c, a, b, s.M, s.K, s.N, 1)
            : () => {
                k.transpose(scratch, b, s.N, s.K);
                k.gemmNN(c, a, scratch, 0, s.M, s.K, s.N, 0, 0);
              };
      bench.add(`${build} ${s.kind} ${s.label}`, run);
    }
    await bench.run();
    const median = (name) => bench.getTask(name).result.latency.p50 / 1000;
    const peak = (PROBE_ITERATIONS * k.peakProbeFlops()) / median(`${build} peak`) / 1e9;
    rows.push({
      build,
      what:
        build === 'relaxed'
          ? 'peak: 12 independent f32x4 fused multiply-add chains'
          : 'peak: 12 independent f32x4 mul+add chains',
      gflops: peak,
      ofPeak: 1,
    });
    for (const s of shapes) {
      const gflops = (2 * s.M * s.K * s.N) / median(`${build} ${s.kind} ${s.label}`) / 1e9;
      rows.push({ build, what: `${s.kind} ${s.label}`, gflops, ofPeak: gflops / peak });
    }
  }
  return rows;
}

/** The peak probe's GFLOP/s right now: the median of `runs` short runs (~0.4 ms each), as the
 *  kernel table takes tinybench's median. */
function probeNow(k, runs = 25) {
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    k.peakProbe(PROBE_ITERATIONS, 1);
    rates.push((PROBE_ITERATIONS * k.peakProbeFlops()) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return medianOf(rates);
}

const medianOf = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

/**
 * Training and inference throughput, each also as a fraction of the peak probe measured right
 * beside it (this host's speed drifts by a quarter within minutes, so a probe taken at the start
 * of the run is no measure for an epoch minutes later): the probe runs after every epoch, and
 * around every inference pass; an epoch's or a pass's ratio uses the probes on either side of it.
 */
export async function trainingBench(builds, mnist, { epochs, threadCounts, model = REFERENCE, flops, rounds = 9 }) {
  const rows = [];
  for (const build of builds) {
    const { k } = await kernelsFor(build);
    for (const threads of threadCounts) {
      const ae = await Autoencoder.create({ ...model, kernels: build, threads });
      // The set is checked and stored in the model's memory once (a Dataset), as a user who trains
      // more than once would; each step then gathers its shuffled rows inside the kernels.
      const train = await ae.dataset(mnist.train);
      const probes = [probeNow(k)];
      const history = await ae.fit(train, {
        epochs,
        batchSize: BATCH,
        onEpochEnd: () => {
          probes.push(probeNow(k));
        },
      });
      const later = history.epochs.slice(1);
      const trainRate = medianOf(later.map((e) => e.samplesPerSec));
      const trainOfPeak = medianOf(
        later.map((e, i) => (e.samplesPerSec * flops.training) / ((1e9 * (probes[i + 1] + probes[i + 2])) / 2)),
      );
      // Each call returns a new array, or writes into one the caller keeps (\`{ out }\`): a new
      // 3 MB array's pages are first touched by the copy of the results, a cost of the operating
      // system (node bench/first-touch.js measures it against the arithmetic).
      const test = mnist.test.images,
        calls = test.length / (1000 * 784);
      const out = new Float32Array(1000 * 784);
      const passNew = () => {
        for (let at = 0; at < test.length; at += 1000 * 784) ae.reconstruct(test.subarray(at, at + 1000 * 784));
      };
      const passOut = () => {
        for (let at = 0; at < test.length; at += 1000 * 784)
          ae.reconstruct(test.subarray(at, at + 1000 * 784), { out });
      };
      passNew();
      passOut();
      const rates = { fresh: [], out: [] },
        ratios = { fresh: [], out: [] };
      let before = probeNow(k);
      for (let r = 0; r < rounds; r++) {
        for (const [name, pass] of [
          ['fresh', passNew],
          ['out', passOut],
        ]) {
          const t0 = performance.now();
          pass();
          const rate = (calls * 1000) / ((performance.now() - t0) / 1000);
          const after = probeNow(k);
          rates[name].push(rate);
          ratios[name].push((rate * flops.forward) / ((1e9 * (before + after)) / 2));
          before = after;
        }
      }
      rows.push({
        build,
        threads: ae.backend.threads,
        trainSamplesPerSec: trainRate,
        trainOfPeak,
        inferImagesPerSec: medianOf(rates.fresh),
        inferOfPeak: medianOf(ratios.fresh),
        inferOutImagesPerSec: medianOf(rates.out),
        inferOutOfPeak: medianOf(ratios.out),
        peakGflops: medianOf(probes),
        testMse: ae.evaluate(mnist.test).mse,
        epochs,
      });
      await ae.dispose();
    }
  }
  return rows;
}

/** Microseconds per meeting of two training threads at a barrier, spinning first and not. */
export async function barrierBench(threads, iterations) {
  const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads });
  // The pool is internal: dist/model/internal.js is the benchmarks' seam to it.
  await measureBarrier(ae, 2000, 20000);
  const spin = await measureBarrier(ae, iterations, 20000);
  const futex = await measureBarrier(ae, Math.ceil(iterations / 10), 0);
  await ae.dispose();
  return { threads, spinMicros: spin, futexMicros: futex, perStep: 2 };
}

/** Peak RSS of a fresh process that loads MNIST and trains the reference model for an epoch. */
export function rssBench(threads, flags = []) {
  const child = fileURLToPath(new URL('./rss-child.js', import.meta.url));
  // Through a small shell: on Linux a child's maxRSS starts from the process that forked it, and
  // this benchmark process is large by then; the shell's fork is small, and it execs Node fresh.
  const out = spawnSync('/bin/sh', ['-c', '"$0" "$@"; exit $?', process.execPath, ...flags, child, String(threads)], {
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`rss child failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

export async function coreBench({ quick = false } = {}) {
  const builds = supportsRelaxedSimd() ? ['simd', 'relaxed'] : ['simd'];
  const mnist = await loadMnist(quick ? { trainLimit: 5000, testLimit: 1000 } : {});
  const kernels = await kernelBench(builds, { time: quick ? 100 : 400 });
  const denseFlops = flopsOf(networkOf(REFERENCE));
  const training = await trainingBench(builds, mnist, {
    epochs: quick ? 2 : 7,
    threadCounts: [1, 2],
    flops: denseFlops,
    rounds: quick ? 2 : 9,
  });
  const convSpec = networkOf(CONV);
  const convKernels = await kernelBench(builds, { time: quick ? 100 : 400, shapes: convGemmShapes(convSpec) });
  const conv = await trainingBench(builds, mnist, {
    epochs: quick ? 2 : 5,
    threadCounts: [1, 2],
    model: CONV,
    flops: flopsOf(convSpec),
    rounds: quick ? 2 : 3,
  });
  const barrier = await barrierBench(2, quick ? 2000 : 20000);
  const rss = quick ? null : [rssBench(1), rssBench(2)];
  return { builds, kernels, training, barrier, rss, convKernels, conv, convFlops: flopsOf(convSpec), denseFlops };
}
