// The TensorFlow.js layers format both ways, checked against TensorFlow.js itself (tfjs-layers on
// the cpu backend): toTfjs output loads with tf.loadLayersModel and computes our outputs; models
// built and trained in tfjs-layers load with fromTfjs and compute theirs.
import { describe, it, expect, beforeAll } from 'vitest';
import { createRequire } from 'node:module';
import { Autoencoder, type AutoencoderOptions } from '../../src/entries/index.js';
import { fromTfjs, toTfjs, type TfjsArtifacts, type TfjsPart } from '../../src/entries/tfjs.js';

// CommonJS through one require, so tfjs-layers and the backend share one tfjs-core (as bench/tfjs-model.js).
const require = createRequire(import.meta.url);
type Tf = typeof import('@tensorflow/tfjs-core');
type Tfl = typeof import('@tensorflow/tfjs-layers');
let tf: Tf;
let tfl: Tfl;

beforeAll(async () => {
  tf = require('@tensorflow/tfjs-core');
  tfl = require('@tensorflow/tfjs-layers');
  require('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
});

const N = 5;

/** Seeded values in [0, 1). */
function seededNoise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 2 ** 24;
  }
  return out;
}

async function loadInTfjs(artifacts: TfjsArtifacts): Promise<import('@tensorflow/tfjs-layers').LayersModel> {
  // Through JSON, as a model.json file would carry the topology.
  const modelTopology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as object;
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology,
      weightSpecs: artifacts.weightSpecs,
      weightData: artifacts.weightData as ArrayBuffer,
    }),
  );
}

function predict(model: import('@tensorflow/tfjs-layers').LayersModel, x: Float32Array, shape: number[]): Float32Array {
  const input = tf.tensor(x, [N, ...shape]);
  const out = model.predict(input) as import('@tensorflow/tfjs-core').Tensor;
  const values = out.dataSync() as Float32Array;
  input.dispose();
  out.dispose();
  return values;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function checkParts(options: AutoencoderOptions, imageShape: number[]): Promise<void> {
  const ae = await Autoencoder.create({ ...options, threads: 1 });
  try {
    const size = imageShape.reduce((a, b) => a * b, 1);
    const images = seededNoise(N * size, 7);
    await ae.fit(images, { epochs: 1, batchSize: N });
    const code = ae.config.variational ? 2 * ae.latentSize : ae.latentSize;
    const codes = seededNoise(N * ae.latentSize, 9).map((v) => 2 * v - 1);
    const expected: Record<TfjsPart, [Float32Array, Float32Array, number[]]> = {
      autoencoder: [images, ae.reconstruct(images), imageShape],
      encoder: [
        images,
        ae.config.variational ? concatRows(ae.encodeDistribution(images)) : ae.encode(images),
        imageShape,
      ],
      decoder: [codes, ae.decode(codes), [ae.latentSize]],
    };
    for (const part of ['autoencoder', 'encoder', 'decoder'] as const) {
      const [x, ours, shape] = expected[part];
      const model = await loadInTfjs(toTfjs(ae, { part }));
      const theirs = predict(model, x, shape);
      expect(theirs.length, part).toBe(part === 'encoder' ? N * code : N * size);
      expect(maxDiff(theirs, ours), part).toBeLessThanOrEqual(1e-5);
      model.dispose();
    }
    if (!ae.config.variational) {
      // And back: the same config (but the optimizer's and seed's defaults) and the same outputs.
      const back = await fromTfjs(toTfjs(ae), { encoderLayers: ae.config.encoder.length + 1, threads: 1 });
      const { optimizer: _o, seed: _s, loss: _l, ...layers } = ae.config;
      expect(back.config).toMatchObject(layers);
      expect(maxDiff(back.reconstruct(images), ae.reconstruct(images))).toBe(0);
      await back.dispose();
    }
  } finally {
    await ae.dispose();
  }
}

function concatRows({ mean, logVariance }: { mean: Float32Array; logVariance: Float32Array }): Float32Array {
  const L = mean.length / N,
    out = new Float32Array(2 * mean.length);
  for (let r = 0; r < N; r++) {
    out.set(mean.subarray(r * L, (r + 1) * L), 2 * r * L);
    out.set(logVariance.subarray(r * L, (r + 1) * L), (2 * r + 1) * L);
  }
  return out;
}

describe('toTfjs: tf.loadLayersModel computes our outputs (≤ 1e-5)', () => {
  it('a dense model with leakyRelu and tanh layers, images in as [n, 8, 8, 1]', async () => {
    await checkParts(
      {
        inputShape: [8, 8, 1],
        encoder: [24, 12],
        latent: 4,
        activation: ['leakyRelu', 'tanh', 'relu', 'leakyRelu'],
        leakyReluAlpha: 0.2,
      },
      [8, 8, 1],
    );
  });

  it('a flat dense model', async () => {
    await checkParts({ inputShape: 30, encoder: [16], latent: 3 }, [30]);
  });

  it("a conv model: 'same' and 'valid' conv2d and conv2dTranspose (the mirror decoder), two channels", async () => {
    await checkParts(
      {
        inputShape: [10, 10, 2],
        latent: 6,
        encoder: [
          { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
          { type: 'conv2d', filters: 5, kernelSize: 2, strides: 1, padding: 'valid' },
        ],
      },
      [10, 10, 2],
    );
  });

  it('a conv model with stride-2 layers on even sizes', async () => {
    await checkParts(
      {
        inputShape: [8, 8, 1],
        latent: 5,
        encoder: [
          { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2 },
          { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 },
        ],
      },
      [8, 8, 1],
    );
  });

  it('a variational model: the encoder gives [mean | logVariance], the autoencoder reads the mean', async () => {
    await checkParts({ inputShape: 20, encoder: [12], latent: 3, variational: true }, [20]);
  });

  it('refuses a conditional model', async () => {
    const ae = await Autoencoder.create({
      inputShape: 10,
      encoder: [6],
      latent: 2,
      conditional: { classes: 3 },
      threads: 1,
    });
    expect(() => toTfjs(ae)).toThrow(/^toTfjs: conditional models take an image and a label/);
    expect(() => toTfjs(ae, { part: 'whole' as never })).toThrow(/^toTfjs: part must be/);
    await ae.dispose();
  });
});

async function saved(model: import('@tensorflow/tfjs-layers').LayersModel): Promise<TfjsArtifacts> {
  let artifacts: TfjsArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a as unknown as TfjsArtifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts!;
}

async function trained(model: import('@tensorflow/tfjs-layers').Sequential, shape: number[]): Promise<Float32Array> {
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const size = shape.reduce((a, b) => a * b, 1);
  const data = seededNoise(16 * size, 3);
  const x = tf.tensor(data, [16, ...shape]);
  await model.fit(x, x, { epochs: 3, batchSize: 8, verbose: 0 });
  x.dispose();
  return seededNoise(N * size, 11);
}

describe('fromTfjs: models trained in tfjs-layers compute the same outputs here (≤ 1e-5)', () => {
  it('a dense Sequential with a LeakyReLU layer, as ModelArtifacts and as model.json + bytes', async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 16, activation: 'relu', inputShape: [64] }),
        tfl.layers.dense({ units: 4 }),
        tfl.layers.dense({ units: 16 }),
        tfl.layers.leakyReLU({ alpha: 0.1 }),
        tfl.layers.dense({ units: 64, activation: 'sigmoid' }),
      ],
    });
    const x = await trained(m, [64]);
    const artifacts = await saved(m);
    const theirs = predict(m, x, [64]);
    const ae = await fromTfjs(artifacts, { encoderLayers: 2, threads: 1 });
    expect(maxDiff(ae.reconstruct(x), theirs)).toBeLessThanOrEqual(1e-5);
    const encoder = tfl.model({ inputs: m.inputs, outputs: m.layers[1].output as never });
    expect(maxDiff(ae.encode(x), predict(encoder, x, [64]))).toBeLessThanOrEqual(1e-5);
    expect(ae.config).toMatchObject({
      inputShape: [1, 64, 1],
      encoder: [16],
      latent: 4,
      decoder: [16],
      activations: ['relu', 'leakyRelu'],
      leakyReluAlpha: 0.1,
      output: 'sigmoid',
    });
    await ae.dispose();
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    const again = await fromTfjs(
      { modelJson, weights: new Uint8Array(artifacts.weightData as ArrayBuffer) },
      { encoderLayers: 2, threads: 1 },
    );
    expect(maxDiff(again.reconstruct(x), theirs)).toBeLessThanOrEqual(1e-5);
    await again.dispose();
    m.dispose();
  });

  it('a conv Sequential: Conv2D, Flatten, code, Dense, Reshape, Conv2DTranspose', async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [8, 8, 1],
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 6 }),
        tfl.layers.dense({ units: 64, activation: 'relu' }),
        tfl.layers.reshape({ targetShape: [4, 4, 4] }),
        tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
    });
    const x = await trained(m, [8, 8, 1]);
    const ae = await fromTfjs(await saved(m), { encoderLayers: 2, threads: 1 });
    expect(maxDiff(ae.reconstruct(x), predict(m, x, [8, 8, 1]))).toBeLessThanOrEqual(1e-5);
    // And back: our export of it is the same model again.
    const back = await loadInTfjs(toTfjs(ae));
    expect(maxDiff(predict(back, x, [8, 8, 1]), predict(m, x, [8, 8, 1]))).toBeLessThanOrEqual(1e-5);
    await ae.dispose();
    m.dispose();
  });

  it('model.json as Keras 2 writes it: model_config, an InputLayer, an Activation layer', async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 10, inputShape: [12], name: 'hidden' }),
        tfl.layers.activation({ activation: 'tanh', name: 'hidden_tanh' }),
        tfl.layers.dense({ units: 3, name: 'code' }),
        tfl.layers.dense({ units: 10, activation: 'relu', name: 'up' }),
        tfl.layers.dense({ units: 12, activation: 'sigmoid', name: 'out' }),
      ],
    });
    const x = await trained(m, [12]);
    const a = await saved(m);
    const topology = JSON.parse(JSON.stringify(a.modelTopology)) as {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    const first = topology.config.layers[0].config;
    topology.config.layers.unshift({
      class_name: 'InputLayer',
      config: { batch_input_shape: first.batch_input_shape, dtype: 'float32', sparse: false, name: 'input_1' },
    });
    delete first.batch_input_shape;
    const modelJson = {
      modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: topology },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }],
    };
    const ae = await fromTfjs({ modelJson, weights: a.weightData }, { encoderLayers: 2, threads: 1 });
    expect(ae.config.activations).toEqual(['tanh', 'relu']);
    expect(maxDiff(ae.reconstruct(x), predict(m, x, [12]))).toBeLessThanOrEqual(1e-5);
    await ae.dispose();
    m.dispose();
  });

  it('refuses layers that are not the model this library builds, naming the layer', async () => {
    // A conv decoder whose last layer is not the implied one (kernel 2, not the first conv's 3).
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          filters: 2,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          inputShape: [4, 4, 1],
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
        tfl.layers.dense({ units: 8, activation: 'relu' }),
        tfl.layers.reshape({ targetShape: [2, 2, 2] }),
        tfl.layers.conv2dTranspose({
          filters: 1,
          kernelSize: 2,
          strides: 2,
          padding: 'same',
          activation: 'sigmoid',
          name: 'last',
        }),
      ],
    });
    await expect(fromTfjs(await saved(m), { encoderLayers: 2 })).rejects.toThrow(
      /^fromTfjs: layer 5 \('last'\) has kernel_size 2 where this library's model has 3/,
    );
    await expect(fromTfjs(await saved(m), { encoderLayers: 1 })).rejects.toThrow(
      /^fromTfjs: layer 0 \('.*'\), the code layer \(encoderLayers = 1\), must be Dense/,
    );
    m.dispose();
  });

  it('refuses what it cannot compute, naming the layer and the option', async () => {
    const withLayer = (
      layer: import('@tensorflow/tfjs-layers').layers.Layer,
    ): import('@tensorflow/tfjs-layers').Sequential =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [16], name: 'd1' }),
          layer,
          tfl.layers.dense({ units: 3, name: 'code' }),
          tfl.layers.dense({ units: 16, activation: 'sigmoid', name: 'out' }),
        ],
      });
    const artifactsOf = async (m: import('@tensorflow/tfjs-layers').Sequential): Promise<TfjsArtifacts> => saved(m);
    await expect(
      fromTfjs(await artifactsOf(withLayer(tfl.layers.batchNormalization({ name: 'bn' }))), { encoderLayers: 2 }),
    ).rejects.toThrow(/^fromTfjs: layer 1 \('bn', BatchNormalization\) is not supported/);
    await expect(
      fromTfjs(await artifactsOf(withLayer(tfl.layers.dropout({ rate: 0.5, name: 'drop' }))), { encoderLayers: 2 }),
    ).rejects.toThrow(/^fromTfjs: layer 1 \('drop', Dropout\) is not supported.*remove it/);
    await expect(
      fromTfjs(await artifactsOf(withLayer(tfl.layers.dense({ units: 8, useBias: false, name: 'nobias' }))), {
        encoderLayers: 3,
      }),
    ).rejects.toThrow(/^fromTfjs: layer 1 \('nobias', Dense\) has use_bias false/);
    await expect(
      fromTfjs(await artifactsOf(withLayer(tfl.layers.dense({ units: 8, activation: 'elu', name: 'elu' }))), {
        encoderLayers: 3,
      }),
    ).rejects.toThrow(/^fromTfjs: layer 1 \('elu', Dense\) has activation 'elu'/);
    const plain = await artifactsOf(
      withLayer(tfl.layers.dense({ units: 8, name: 'd2', kernelRegularizer: tfl.regularizers.l2() })),
    );
    await expect(fromTfjs(plain, { encoderLayers: 3 })).rejects.toThrow(
      /^fromTfjs: layer 1 \('d2', Dense\) has kernel_regularizer/,
    );
  });

  it('refuses weight bytes that do not match their specs, before reading them', async () => {
    const m = tfl.sequential({
      layers: [tfl.layers.dense({ units: 3, inputShape: [6] }), tfl.layers.dense({ units: 6, activation: 'sigmoid' })],
    });
    const a = await saved(m);
    const short = { ...a, weightData: (a.weightData as ArrayBuffer).slice(0, 40) };
    await expect(fromTfjs(short, { encoderLayers: 1 })).rejects.toThrow(
      /^fromTfjs: weightSpecs\[\d\] .* ends at byte \d+, weightData has 40/,
    );
    const huge = {
      ...a,
      weightSpecs: a.weightSpecs.map((s, i) => (i === 0 ? { ...s, shape: [2 ** 20, 2 ** 20] } : s)),
    };
    await expect(fromTfjs(huge, { encoderLayers: 1 })).rejects.toThrow(/^fromTfjs: weightSpecs\[0\] .* has more than/);
    const f16 = { ...a, weightSpecs: a.weightSpecs.map((s) => ({ ...s, dtype: 'float16' })) };
    await expect(fromTfjs(f16, { encoderLayers: 1 })).rejects.toThrow(
      /^fromTfjs: weightSpecs\[0\] .* has dtype 'float16'/,
    );
    await expect(fromTfjs(a, { encoderLayers: 2 })).rejects.toThrow(
      /^fromTfjs: encoderLayers must be an integer in \[1, 1\]/,
    );
    m.dispose();
  });
});
