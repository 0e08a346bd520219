// Two builds of the package, the same threaded fit interleaved in one process: the reference model
// on the first N MNIST training images, each build at THREADS threads, alternating A B B A …, and
// one thread of this build as the yardstick. Prints each run's best epoch (samples/s), the medians
// and bests, B ÷ A, and whether every run ended with the same weights (modelId).
//
//   npm run build && node bench/threads-ab.js <other checkout, built> [rounds=6] [n=8192] [epochs=3] [batch=256] [threads=2]
//
// A is the other checkout (e.g. a `git worktree add /tmp/base <commit>` with `npm run build` and a
// node_modules link), B this one.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMnist } from '../dist/entries/mnist.js';
import { REFERENCE } from './reference.js';

const [other, ...rest] = process.argv.slice(2);
if (!other)
  throw new Error('usage: node bench/threads-ab.js <other built checkout> [rounds] [n] [epochs] [batch] [threads]');
const [rounds = 6, n = 8192, epochs = 3, batch = 256, threads = 2] = rest.map(Number);
const A = await import(pathToFileURL(resolve(other, 'dist/entries/index.js')).href);
const B = await import('../dist/entries/index.js');
const mnist = await loadMnist({ trainLimit: n, testLimit: 16 });

const runs = { A: [], B: [], one: [] };
const ids = new Set();
for (let r = 0; r < rounds; r++) {
  const order = [
    ['A', A, threads],
    ['one', B, 1],
    ['B', B, threads],
  ];
  for (const [name, lib, t] of r % 2 === 0 ? order : order.reverse()) {
    const ae = await lib.Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads: t });
    const history = await ae.fit(mnist.train.images, { epochs, batchSize: batch });
    runs[name].push(Math.max(...history.epochs.map((e) => e.samplesPerSec)));
    ids.add(ae.modelId());
    await ae.dispose();
  }
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const [name, label] of [
  ['A', `A (${other}) ${threads} threads`],
  ['B', `B (this build) ${threads} threads`],
  ['one', 'this build, 1 thread'],
]) {
  console.log(
    `${label}: ${runs[name].map(Math.round).join(', ')} samples/s; median ${Math.round(median(runs[name]))}, best ${Math.round(Math.max(...runs[name]))}`,
  );
}
console.log(
  `B ÷ A: medians ${(median(runs.B) / median(runs.A)).toFixed(3)}, bests ${(Math.max(...runs.B) / Math.max(...runs.A)).toFixed(3)}; ` +
    `same weights in every run: ${ids.size === 1}`,
);
