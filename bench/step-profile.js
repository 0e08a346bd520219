// `node bench/step-profile.js [simd|relaxed]`: where one thread's training epoch goes, kernel by
// kernel. Trains the reference model one epoch on full MNIST (a Dataset), then wraps every kernel
// export in a timer (each call pays for it: small kernels look slower) and trains one more epoch; prints each kernel's
// total time, each GEMM shape's GFLOP/s in context, and the peak probe's best of 20 beside it.
// A diagnostic for the next change, not a benchmark: docs/benchmarks.md takes its figures from
// npm run bench.
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';
import { instrumentKernels } from '../dist/model/internal.js';
import { REFERENCE, BATCH } from './reference.js';
const mnist = await loadMnist();
const ae = await Autoencoder.create({ ...REFERENCE, threads: 1, kernels: process.argv[2] ?? 'simd' });
const train = await ae.dataset(mnist.train);
await ae.fit(train, { epochs: 1, batchSize: BATCH });
const stats = new Map();
const k = instrumentKernels(ae, (k) => {
  const wrapped = {};
  for (const name of Object.keys(k)) {
    const f = k[name];
    if (typeof f !== 'function') {
      wrapped[name] = f;
      continue;
    }
    wrapped[name] = (...args) => {
      const t0 = performance.now();
      const r = f(...args);
      const dt = performance.now() - t0;
      let key = name;
      let flops = 0;
      if (name === 'gemmNN') {
        key = `NN ${args[4]}x${args[5]}x${args[6]} act${args[7]}`;
        flops = 2 * args[4] * args[5] * args[6];
      }
      if (name === 'gemmTN') {
        key = `TN ${args[3]}x${args[4]}x${args[5]}`;
        flops = 2 * args[3] * args[4] * args[5];
      }
      const s = stats.get(key) ?? { t: 0, n: 0, flops: 0 };
      s.t += dt;
      s.n++;
      s.flops += flops;
      stats.set(key, s);
      return r;
    };
  }
  return wrapped;
});
const t0 = performance.now();
const h = await ae.fit(train, { epochs: 1, batchSize: BATCH });
const total = performance.now() - t0;
let sum = 0;
const rows = [...stats].sort((a, b) => b[1].t - a[1].t);
for (const [key, s] of rows) {
  sum += s.t;
  console.log(
    `${key.padEnd(28)} ${s.t.toFixed(1).padStart(8)} ms  n=${s.n}${s.flops ? `  ${(s.flops / s.t / 1e6).toFixed(1)} GFLOP/s` : ''}`,
  );
}
console.log(
  `kernels total ${sum.toFixed(0)} ms of ${total.toFixed(0)} ms; epoch self-timer ${h.epochs[0].seconds.toFixed(3)} s, ${h.epochs[0].samplesPerSec.toFixed(0)} samples/s`,
);
const gemm = rows
  .filter(([k]) => k.startsWith('NN') || k.startsWith('TN'))
  .reduce((a, [, s]) => [a[0] + s.t, a[1] + s.flops], [0, 0]);
console.log(`GEMMs: ${gemm[0].toFixed(0)} ms, ${(gemm[1] / gemm[0] / 1e6).toFixed(1)} GFLOP/s`);
let best = 0;
for (let r = 0; r < 20; r++) {
  const t1 = performance.now();
  k.peakProbe(200000, 1);
  best = Math.max(best, (200000 * k.peakProbeFlops()) / (performance.now() - t1) / 1e6);
}
console.log('peak best of 20:', best.toFixed(1));
