// Child process of `npm run bench:compare`: one engine per fresh process. Loads MNIST (float32
// pixels/255) first, then starts the cold-start clock just before the engine's first import,
// builds the reference model, trains one epoch (or, with --quick, a few hundred images) and
// prints one JSON line: cold start (import → end of the first trained batch) and peak RSS.
//
//   node [--experimental-wasm-relaxed-simd] bench/compare-child.js <engine id> [--quick]
//
// Engine ids: see ENGINE_IDS in compare-engines.js; 'baseline' loads the data and nothing else.
import { loadMnistF32 } from './mnist-f32.js';
import { parseEngineId } from './compare-engines.js';
import { REFERENCE, BATCH } from './reference.js';

const id = process.argv[2];
const quick = process.argv.includes('--quick');
const spec = id === 'baseline' ? { kind: 'baseline' } : parseEngineId(id);
const { train } = loadMnistF32({ trainLimit: quick ? 512 : undefined, test: false });

let coldStartMs = null;
const t0 = performance.now();
const started = () => {
  coldStartMs ??= performance.now() - t0;
};

if (spec.kind === 'ours') {
  const { Autoencoder } = await import('../dist/entries/index.js');
  const ae = await Autoencoder.create({ ...REFERENCE, kernels: spec.kernels, threads: spec.threads });
  await ae.fit(train.images, { epochs: 1, batchSize: BATCH, onBatchEnd: started });
  spec.actualThreads = ae.backend.threads;
  await ae.dispose();
} else if (spec.kind === 'tfjs') {
  const { TfEngine } = await import('./tfjs-model.js');
  const engine = await TfEngine.create(spec.backend, train);
  await engine.trainEpoch({ batchSize: BATCH, onBatchEnd: started });
  engine.dispose();
}
const trainSeconds = (performance.now() - t0) / 1000;

console.log(
  JSON.stringify({
    id,
    trained: train.count,
    coldStartMs,
    trainSeconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    threads: spec.actualThreads ?? spec.threads ?? 1,
  }),
);
