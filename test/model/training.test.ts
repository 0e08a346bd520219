// Training on real MNIST, determinism, and keeping good weights when a step fails or is stopped.
import { describe, it, expect, beforeAll } from 'vitest';
import { Autoencoder } from '../../src/entries/index.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';
import { flatWeights } from '../helpers/weights.js';

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist({ trainLimit: 2000, testLimit: 1000 });
});

/** MSE of the best input-independent reconstruction: the training set's mean image. */
function meanImageMse(train: Uint8Array, test: Uint8Array, size: number): number {
  const mean = new Float64Array(size);
  const n = train.length / size,
    m = test.length / size;
  for (let i = 0; i < n; i++) for (let j = 0; j < size; j++) mean[j] += train[i * size + j] / 255;
  for (let j = 0; j < size; j++) mean[j] /= n;
  let se = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < size; j++) se += (test[i * size + j] / 255 - mean[j]) ** 2;
  return se / (m * size);
}

describe('training on MNIST', () => {
  it('2,000 images, 20 epochs: test MSE falls below 0.6 × that of the mean image', async () => {
    // The mean image is the best reconstruction that ignores its input (MSE ≈ 0.066 here). An
    // autoencoder that learned per-image structure must beat it clearly; measured: 0.034 (0.51×).
    const baseline = meanImageMse(mnist.train.images, mnist.test.images, 784);
    expect(baseline).toBeGreaterThan(0.06);
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    const before = ae.evaluate(mnist.test).mse;
    const history = await ae.fit(mnist.train, { epochs: 20, batchSize: 64, validation: mnist.test });
    const after = ae.evaluate(mnist.test);
    expect(after.mse).toBeLessThan(0.6 * baseline);
    expect(after.mse).toBeLessThan(before);
    expect(after.psnr).toBeCloseTo(10 * Math.log10(1 / after.mse), 10);
    // The training loss goes down, and the last epoch's validation MSE is what evaluate() says.
    const losses = history.epochs.map((e) => e.loss);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(history.epochs[19].valMse).toBe(after.mse);
    expect(history.epochs[0].samplesPerSec).toBeGreaterThan(0);
  });

  it('the same seed gives bit-identical weights; another seed does not', async () => {
    const train = async (seed: number): Promise<Float32Array> => {
      const ae = await Autoencoder.create({ seed, kernels: 'simd', threads: 1 });
      await ae.fit(mnist.train.images.subarray(0, 784 * 700), { epochs: 2, batchSize: 100 });
      return flatWeights(ae.getWeights());
    };
    const [a, b, c] = [await train(5), await train(5), await train(6)];
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('bytes and floats of the same images train to the same weights', async () => {
    const bytes = mnist.train.images.subarray(0, 784 * 300);
    const floats = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) floats[i] = Math.fround(bytes[i] * Math.fround(1 / 255));
    const a = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    const b = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    await a.fit(bytes, { epochs: 1, batchSize: 50 });
    await b.fit(floats, { epochs: 1, batchSize: 50 });
    expect(a.getWeights()).toEqual(b.getWeights());
  });

  it('an aborted fit rejects and keeps the weights of the last completed step', async () => {
    const data = mnist.train.images.subarray(0, 784 * 64 * 5);
    const controller = new AbortController();
    const stopped = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    const run = stopped.fit(data, {
      epochs: 1,
      batchSize: 64,
      shuffle: false,
      onBatchEnd: ({ batch }) => {
        if (batch === 3) controller.abort(new Error('stop requested'));
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow('stop requested');
    // Three steps on the same first three batches, without the stop.
    const reference = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    await reference.fit(data.subarray(0, 784 * 64 * 3), { epochs: 1, batchSize: 64, shuffle: false });
    expect(stopped.getWeights()).toEqual(reference.getWeights());
  });

  it('fit calls onBatchEnd per step and onEpochEnd per epoch, with the shapes documented', async () => {
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    const batches: number[] = [];
    const epochs: number[] = [];
    await ae.fit(mnist.train.images.subarray(0, 784 * 130), {
      epochs: 2,
      batchSize: 64,
      onBatchEnd: (log) => {
        batches.push(log.batch);
        expect(log.batches).toBe(3);
        expect(Number.isFinite(log.loss)).toBe(true);
      },
      onEpochEnd: (log) => epochs.push(log.epoch),
    });
    expect(batches).toEqual([1, 2, 3, 1, 2, 3]);
    expect(epochs).toEqual([1, 2]);
  });
});
