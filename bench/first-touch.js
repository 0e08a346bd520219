// `node bench/first-touch.js`: what a new result array costs. reconstruct() returns a new
// Float32Array; its pages are first touched when the results are copied in, and on Linux each
// fresh 4 KB page is a fault the kernel serves. This times, per 1,000 MNIST images of results
// (784,000 floats, 3.1 MB), in one process, interleaved, medians of 200 rounds each:
//   - copying the results into a new array, and into one array kept across calls;
//   - the reconstruct call itself (reference model, one thread, simd build) into a kept array,
// so the first cost can be read against the arithmetic.
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';
import { REFERENCE } from './reference.js';

const N = 1000 * 784;
const ROUNDS = 200;
const results = new Float32Array(N).fill(0.5);
const kept = new Float32Array(N);
const mnist = await loadMnist({ trainLimit: 1, testLimit: 1000 });
const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads: 1 });
const out = new Float32Array(N);
const times = { fresh: [], kept: [], reconstruct: [] };
for (let round = 0; round < ROUNDS; round++) {
  let t0 = performance.now();
  new Float32Array(N).set(results);
  times.fresh.push(performance.now() - t0);
  t0 = performance.now();
  kept.set(results);
  times.kept.push(performance.now() - t0);
  t0 = performance.now();
  ae.reconstruct(mnist.test.images, { out });
  times.reconstruct.push(performance.now() - t0);
}
await ae.dispose();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
console.log(`per 1,000 images of results (3.1 MB), medians of ${ROUNDS}:`);
console.log(`  copy into a new array:  ${m.fresh.toFixed(3)} ms`);
console.log(`  copy into a kept array: ${m.kept.toFixed(3)} ms`);
console.log(`  reconstruct into a kept array (reference model, 1 thread, simd): ${m.reconstruct.toFixed(3)} ms`);
console.log(
  `  a new array's first touch: ${(m.fresh - m.kept).toFixed(3)} ms, ${((100 * (m.fresh - m.kept)) / m.reconstruct).toFixed(0)} % of the call`,
);
