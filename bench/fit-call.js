// fit's per-call work on full MNIST as float32 pixels (as bench:compare trains): the wall clock of
// fit(x, { epochs: 1 }) minus the library's own epoch timer, for the caller's array (checked, and
// with threads copied into the shared memory, on every call) and for a Dataset made once. The two
// are interleaved, --rounds times (default 5); medians in ms.
//
//   npm run build && node bench/fit-call.js [--rounds N]
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnistF32 } from './mnist-f32.js';
import { REFERENCE, BATCH } from './reference.js';

const i = process.argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 5;
const { train } = loadMnistF32({ test: false });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const threads of [1, 2]) {
  const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads });
  let t = performance.now();
  const held = await ae.dataset(train.images);
  const datasetMs = performance.now() - t;
  const extra = { array: [], dataset: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, data] of [
      ['array', train.images],
      ['dataset', held],
    ]) {
      t = performance.now();
      const h = await ae.fit(data, { epochs: 1, batchSize: BATCH });
      extra[name].push(performance.now() - t - 1000 * h.epochs[0].seconds);
    }
  }
  console.log(
    JSON.stringify({
      threads: ae.backend.threads,
      datasetMs,
      perCallMs: { array: median(extra.array), dataset: median(extra.dataset) },
      rounds,
    }),
  );
  await ae.dispose();
}
