// The engines of `npm run bench:compare`, behind one small interface so that the interleaved
// rounds treat them alike:
//   activate()            make the engine current (TF.js: its backend; ours: nothing)
//   trainEpoch()          one shuffled epoch of batch 256 over the training set
//   inferAll()            encode + decode the inference sample in batches of 1,000, read back
//   reconstructTest()     reconstructions of the whole test set (Float32Array), for the MSE
//   dispose()
import { REFERENCE, BATCH } from './reference.js';

export const INFER_BATCH = 1000;
const PIXELS = 784;

/** 'wasm-autoencoder:simd:1t' → { kind: 'ours', kernels: 'simd', threads: 1 }; 'tfjs:wasm' → { kind: 'tfjs', backend: 'wasm' }. */
export function parseEngineId(id) {
  let m = /^wasm-autoencoder:(simd|relaxed):(\d+)t$/.exec(id ?? '');
  if (m) return { kind: 'ours', kernels: m[1], threads: Number(m[2]) };
  m = /^tfjs:(wasm|cpu)$/.exec(id ?? '');
  if (m) return { kind: 'tfjs', backend: m[1] };
  throw new Error(
    `unknown engine id ${JSON.stringify(id)}: expected wasm-autoencoder:<simd|relaxed>:<n>t or tfjs:<wasm|cpu>`,
  );
}

export const ourId = (kernels, threads) => `wasm-autoencoder:${kernels}:${threads}t`;

function batchesOf(images, rows) {
  const out = [];
  for (let at = 0; at < images.length; at += rows * PIXELS)
    out.push(images.subarray(at, Math.min(images.length, at + rows * PIXELS)));
  return out;
}

/** This library: Autoencoder.create({ ...REFERENCE, kernels, threads }) from the built package. */
export async function createOurs({ kernels, threads }, data) {
  const { Autoencoder } = await import('../dist/entries/index.js');
  const ae = await Autoencoder.create({ ...REFERENCE, kernels, threads });
  // The training set is checked and copied into the model's memory once, here; every epoch's
  // fit() then starts at once (per-call work is what bench:compare reports beside the epochs).
  const t0 = performance.now();
  const train = await ae.dataset(data.train.images);
  const datasetMs = performance.now() - t0;
  const inferBatches = batchesOf(data.infer, INFER_BATCH);
  const testBatches = batchesOf(data.test.images, INFER_BATCH);
  return {
    id: ourId(kernels, threads),
    kind: 'ours',
    threads: ae.backend.threads,
    details: {
      kernels: ae.backend.kernels,
      threads: ae.backend.threads,
      datasetMs,
      ...(ae.backend.note ? { note: ae.backend.note } : {}),
    },
    async activate() {},
    async trainEpoch() {
      const history = await ae.fit(train, { epochs: 1, batchSize: BATCH, shuffle: true });
      // The library's own timer: the epoch's steps only (not fit's per-call set-up).
      return { selfSamplesPerSec: history.epochs[0].samplesPerSec, loss: history.epochs[0].loss };
    },
    inferAll() {
      for (const batch of inferBatches) ae.reconstruct(batch);
    },
    reconstructTest() {
      const out = new Float32Array(data.test.images.length);
      let at = 0;
      for (const batch of testBatches) {
        const y = ae.reconstruct(batch);
        out.set(y, at);
        at += y.length;
      }
      return out;
    },
    async dispose() {
      await ae.dispose();
    },
  };
}

/** TensorFlow.js 4.22 (tfjs-layers on the wasm or cpu backend), see tfjs-model.js. */
export async function createTfjs({ backend }, data) {
  const { TfEngine } = await import('./tfjs-model.js');
  const engine = await TfEngine.create(backend, data.train);
  const { tf } = engine;
  const inferBatches = batchesOf(data.infer, INFER_BATCH).map((b) => tf.tensor2d(b, [b.length / PIXELS, PIXELS]));
  const testBatches = batchesOf(data.test.images, INFER_BATCH).map((b) => tf.tensor2d(b, [b.length / PIXELS, PIXELS]));
  const predictAll = (batches, keep) => {
    const parts = [];
    for (const batch of batches) {
      const y = engine.model.predict(batch);
      const values = y.dataSync(); // awaited in full: the values are read back to JavaScript
      if (keep) parts.push(values.slice());
      y.dispose();
    }
    return parts;
  };
  return {
    id: `tfjs:${backend}`,
    kind: 'tfjs',
    threads: 1,
    details: engine.info,
    tf,
    async activate() {
      await engine.activate();
    },
    async trainEpoch() {
      return { loss: await engine.trainEpoch({ batchSize: BATCH }) };
    },
    inferAll() {
      predictAll(inferBatches, false);
    },
    reconstructTest() {
      const out = new Float32Array(data.test.images.length);
      let at = 0;
      for (const part of predictAll(testBatches, true)) {
        out.set(part, at);
        at += part.length;
      }
      return out;
    },
    numTensors() {
      return tf.memory().numTensors;
    },
    async dispose() {
      await engine.activate();
      for (const t of [...inferBatches, ...testBatches]) t.dispose();
      engine.dispose();
    },
  };
}

export function createEngine(id, data) {
  const spec = parseEngineId(id);
  return spec.kind === 'ours' ? createOurs(spec, data) : createTfjs(spec, data);
}
