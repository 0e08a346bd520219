// The reference model in TensorFlow.js 4.22 (tfjs-core + tfjs-layers), on the wasm backend
// (XNNPACK, SIMD build, one thread: the threaded build is never used in Node) or the plain
// JavaScript cpu backend. Everything is required as CommonJS through one createRequire, so
// tfjs-layers and the backends share the single tfjs-core instance the model is built on.
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';

const require = createRequire(import.meta.url);

export const TFJS_BACKENDS = ['wasm', 'cpu'];

/**
 * Imports TensorFlow.js and makes `backend` current. The wasm binaries are read from
 * node_modules/@tensorflow/tfjs-backend-wasm/dist (no network): `setWasmPaths` with a folder
 * path, which Emscripten's Node loader reads with fs. Returns { tf, tfl, info }.
 */
export async function loadTf(backend) {
  if (!TFJS_BACKENDS.includes(backend))
    throw new Error(`loadTf: backend must be one of ${TFJS_BACKENDS.join(', ')}, got ${backend}`);
  const tf = require('@tensorflow/tfjs-core');
  const tfl = require('@tensorflow/tfjs-layers');
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const folder = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasm.setWasmPaths(folder + sep);
  } else {
    require('@tensorflow/tfjs-backend-cpu');
  }
  // Production mode drops tfjs's debug-time correctness checks: TF.js at its fastest.
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not initialise its ${backend} backend`);
  await tf.ready();
  const info = { backend: tf.getBackend(), version: tf.version_core };
  if (backend === 'wasm') {
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  return { tf, tfl, info };
}

/**
 * 784-64-32 → 32 → 32-64-784: relu hidden layers, linear code, sigmoid output; Glorot-uniform
 * kernels and zero biases (the tfjs-layers defaults, named anyway); MSE; Adam 1e-3 with the
 * Keras defaults beta1 0.9, beta2 0.999, epsilon 1e-7.
 */
export function buildModel(tf, tfl, seed = 42) {
  const model = tfl.sequential();
  const widths = [
    [64, 'relu'],
    [32, 'relu'],
    [32, 'linear'],
    [32, 'relu'],
    [64, 'relu'],
    [784, 'sigmoid'],
  ];
  widths.forEach(([units, activation], i) => {
    model.add(
      tfl.layers.dense({
        units,
        activation,
        ...(i === 0 ? { inputShape: [784] } : {}),
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: 'zeros',
      }),
    );
  });
  model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
  return model;
}

/**
 * The conv model of the benchmarks (CONV in reference.js), layer for layer: conv2d 16 and 32
 * filters, 3×3, stride 2, 'same', relu → flatten → dense 32 (linear code) → dense 1568 relu →
 * reshape 7×7×32 → conv2dTranspose 16 (relu) and 1 (sigmoid), 3×3, stride 2, 'same'; 111,521
 * parameters. Glorot-uniform kernels, zero biases, MSE, Adam as in buildModel.
 */
export function buildConvModel(tf, tfl, seed = 42) {
  const init = (i) => ({
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
    biasInitializer: 'zeros',
  });
  const conv = { kernelSize: 3, strides: 2, padding: 'same' };
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ filters: 16, ...conv, activation: 'relu', inputShape: [28, 28, 1], ...init(0) }));
  model.add(tfl.layers.conv2d({ filters: 32, ...conv, activation: 'relu', ...init(1) }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 32, activation: 'linear', ...init(2) }));
  model.add(tfl.layers.dense({ units: 7 * 7 * 32, activation: 'relu', ...init(3) }));
  model.add(tfl.layers.reshape({ targetShape: [7, 7, 32] }));
  model.add(tfl.layers.conv2dTranspose({ filters: 16, ...conv, activation: 'relu', ...init(4) }));
  model.add(tfl.layers.conv2dTranspose({ filters: 1, ...conv, activation: 'sigmoid', ...init(5) }));
  model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
  return model;
}

/**
 * One TF.js engine over a data set: `x` is the training set as one tensor [n × 784], made once.
 *
 * Training is a trainOnBatch loop over shuffled batches gathered from `x` (each epoch shuffles
 * an index array, each batch is tf.gather(x, indices), then model.trainOnBatch(batch, batch)).
 * It is what model.fit(x, x, { batchSize: 256, shuffle: true }) does, minus fit's callback and
 * logging machinery, and measured faster than fit here for both backends (on 10k- and 5k-image
 * probes), so TF.js gets its best throughput.
 */
export class TfEngine {
  constructor(tf, model, train) {
    this.tf = tf;
    this.model = model;
    this.count = train.count;
    // [n × 784] for the dense model, [n × 28 × 28 × 1] for the conv one: the model's input shape.
    this.x = tf.tensor(train.images, [train.count, ...model.inputs[0].shape.slice(1)]);
    this.order = new Int32Array(train.count);
    for (let i = 0; i < train.count; i++) this.order[i] = i;
  }

  /** `build`: buildModel (the reference model) or buildConvModel. */
  static async create(backend, train, seed = 42, build = buildModel) {
    const { tf, tfl, info } = await loadTf(backend);
    const engine = new TfEngine(tf, build(tf, tfl, seed), train);
    engine.info = info;
    engine.backend = backend;
    return engine;
  }

  /** Makes this engine's backend the current one (tensors never move between backends). */
  async activate() {
    if (this.tf.getBackend() !== this.backend) await this.tf.setBackend(this.backend);
  }

  /** Trains one shuffled epoch; resolves with its mean batch loss. `onBatchEnd(batch)` is
   *  called after each batch's step (its loss already read back). */
  async trainEpoch({ batchSize = 256, onBatchEnd } = {}) {
    const { tf, order, count } = this;
    tf.util.shuffle(order);
    let lossSum = 0;
    for (let start = 0, b = 0; start < count; start += batchSize, b++) {
      const rows = Math.min(batchSize, count - start);
      const batch = tf.tidy(() => tf.gather(this.x, tf.tensor1d(order.slice(start, start + rows), 'int32')));
      const loss = await this.model.trainOnBatch(batch, batch);
      batch.dispose();
      lossSum += loss * rows;
      onBatchEnd?.(b + 1);
    }
    return lossSum / count;
  }

  dispose() {
    this.x.dispose();
    this.model.optimizer.dispose(); // passed in to compile(), so model.dispose() leaves it
    this.model.dispose();
  }
}
