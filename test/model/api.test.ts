// The public calls: shapes, save/load, and the errors bad input gets.
import { describe, it, expect, beforeAll } from 'vitest';
import { Autoencoder } from '../../src/entries/index.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';
import { flatWeights } from '../helpers/weights.js';

let mnist: Mnist;
let trained: Autoencoder;
beforeAll(async () => {
  mnist = await loadMnist({ trainLimit: 500, testLimit: 200 });
  trained = await Autoencoder.create({ kernels: 'simd', threads: 1, latent: 16 });
  await trained.fit(mnist.train, { epochs: 2, batchSize: 50 });
});

const same = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('encode, decode, reconstruct', () => {
  it('have the documented shapes, and reconstruct is decode(encode(x)) bit for bit', () => {
    const images = mnist.test.images.subarray(0, 784 * 70);
    const codes = trained.encode(images);
    expect(codes.length).toBe(70 * 16);
    const back = trained.decode(codes);
    expect(back.length).toBe(70 * 784);
    expect(same(trained.reconstruct(images), back)).toBe(true);
    for (const v of back) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('give each image the same result whatever the batch it comes in', () => {
    const images = mnist.test.images.subarray(0, 784 * 130);
    const all = trained.encode(images);
    const one = trained.encode(images.subarray(784 * 129, 784 * 130));
    expect(same(all.subarray(129 * 16), one)).toBe(true);
  });

  it('evaluate agrees with a plain computation from reconstruct', () => {
    const images = mnist.test.images;
    const back = trained.reconstruct(images);
    let se = 0;
    for (let i = 0; i < back.length; i++) se += (back[i] - Math.fround(images[i] * Math.fround(1 / 255))) ** 2;
    const { mse, psnr, count } = trained.evaluate(mnist.test);
    expect(count).toBe(200);
    expect(mse).toBeCloseTo(se / back.length, 6);
    expect(psnr).toBeCloseTo(10 * Math.log10(1 / (se / back.length)), 3);
  });
});

describe('save and load', () => {
  it('round-trips to identical outputs', async () => {
    const bytes = trained.save();
    const again = await Autoencoder.load(bytes, { kernels: 'simd', threads: 1 });
    expect(again.config).toEqual(trained.config);
    expect(same(flatWeights(again.getWeights()), flatWeights(trained.getWeights()))).toBe(true);
    const x = mnist.test.images;
    expect(same(again.reconstruct(x), trained.reconstruct(x))).toBe(true);
    expect(same(again.encode(x), trained.encode(x))).toBe(true);
  });

  it('with the optimizer state, resumes training exactly where it stopped', async () => {
    const a = await Autoencoder.create({ kernels: 'simd', threads: 1, seed: 3 });
    await a.fit(mnist.train, { epochs: 1, batchSize: 100 });
    const b = await Autoencoder.load(a.save({ optimizer: true }), { kernels: 'simd', threads: 1 });
    await a.fit(mnist.train, { epochs: 1, batchSize: 100 });
    await b.fit(mnist.train, { epochs: 1, batchSize: 100 });
    expect(same(flatWeights(a.getWeights()), flatWeights(b.getWeights()))).toBe(true);
    // Without it, Adam restarts from zero moments: the weights then differ.
    const c = await Autoencoder.create({ kernels: 'simd', threads: 1, seed: 3 });
    await c.fit(mnist.train, { epochs: 1, batchSize: 100 });
    const d = await Autoencoder.load(c.save(), { kernels: 'simd', threads: 1 });
    await d.fit(mnist.train, { epochs: 1, batchSize: 100 });
    expect(same(flatWeights(a.getWeights()), flatWeights(d.getWeights()))).toBe(false);
  });

  it('rejects a corrupted, truncated or foreign file with a clear error', async () => {
    const bytes = trained.save();
    const flipped = bytes.slice();
    flipped[bytes.length >> 1] ^= 0x10;
    await expect(Autoencoder.load(flipped)).rejects.toThrow(/corrupted or truncated \(CRC-32/);
    await expect(Autoencoder.load(bytes.subarray(0, bytes.length - 100))).rejects.toThrow(
      /corrupted or truncated|truncated/,
    );
    await expect(Autoencoder.load(bytes.subarray(0, 10))).rejects.toThrow(/truncated: 10 bytes/);
    await expect(Autoencoder.load(new TextEncoder().encode('PK\u0003\u0004 not a model at all'))).rejects.toThrow(
      /not a wasm-autoencoder model file.*magic/,
    );
    const future = bytes.slice();
    future[4] = 9;
    await expect(Autoencoder.load(future)).rejects.toThrow(/format version 9 is not supported/);
    // @ts-expect-error: not bytes
    await expect(Autoencoder.load('model.bin')).rejects.toThrow(/bytes must be a Uint8Array/);
  });
});

describe('bad input gets an error that names the argument', () => {
  const create = (options: object): Promise<Autoencoder> => Autoencoder.create(options as never);

  it.each([
    [{ latent: 0 }, /latent must be a positive integer.*got 0/],
    [{ latent: -3 }, /latent must be a positive integer.*got -3/],
    [{ latent: 2.5 }, /latent must be a positive integer.*got 2.5/],
    [{ encoder: [64, 0] }, /encoder\[1\] must be a positive integer.*got 0/],
    [{ encoder: 64 }, /encoder must be an array of dense widths and conv2d layers, got 64/],
    [{ inputShape: [28, 28] }, /inputShape must be a positive integer or \[height, width, channels\], got Array\(2\)/],
    [{ activation: 'gelu' }, /activation must be one of 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'linear', got 'gelu'/],
    [{ activation: ['relu'] }, /activation must be one activation or an array of 4/],
    [{ output: 'softmax' }, /output must be one of .*got 'softmax'/],
    [{ loss: 'huber' }, /loss must be 'mse' or 'bce', got 'huber'/],
    [{ loss: 'bce', output: 'linear' }, /output must be 'sigmoid' when loss is 'bce'/],
    [{ optimizer: 'rmsprop' }, /optimizer.type must be 'adam', 'adamw' or 'sgd', got 'rmsprop'/],
    [
      { optimizer: { type: 'adam', learningRate: NaN } },
      /optimizer.learningRate must be a number in \(0, 10\], got NaN/,
    ],
    [{ optimizer: { type: 'sgd', momentum: 1.5 } }, /optimizer.momentum must be a number in \[0, 1\), got 1.5/],
    [{ optimizer: { type: 'adam', lr: 0.1 } }, /unknown option optimizer.lr/],
    [{ laten: 32 }, /unknown option laten/],
    [{ seed: -1 }, /seed must be an integer in \[0, 2\^32\), got -1/],
    [{ kernels: 'avx' }, /kernels must be 'auto', 'simd' or 'relaxed', got 'avx'/],
  ])('create(%j)', async (options, message) => {
    await expect(create(options)).rejects.toThrow(message);
  });

  it('fit checks data, its length, its values and every option', async () => {
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 1 });
    const ok = mnist.train.images.subarray(0, 784 * 4);
    await expect(ae.fit(ok.subarray(0, 100))).rejects.toThrow(
      /data must hold a whole, non-zero number of rows of 784 values, got Uint8Array\(100\)/,
    );
    await expect(ae.fit(new Uint8Array(0))).rejects.toThrow(/data must hold a whole, non-zero number of rows/);
    await expect(ae.fit([1, 2, 3] as never)).rejects.toThrow(/data must be a Uint8Array .*got Array\(3\)/);
    const nan = new Float32Array(784 * 2);
    nan[900] = NaN;
    await expect(ae.fit(nan)).rejects.toThrow(/data must hold values in \[0, 1\].*got NaN at index 900/);
    await expect(ae.fit(ok, { batchSize: 0 })).rejects.toThrow(/batchSize must be an integer in \[1, 65536\], got 0/);
    await expect(ae.fit(ok, { epochs: -1 })).rejects.toThrow(/epochs must be a positive integer, got -1/);
    await expect(ae.fit(ok, { epoch: 3 } as never)).rejects.toThrow(/unknown option epoch/);
    await expect(ae.fit(ok, { shuffle: 'yes' } as never)).rejects.toThrow(/shuffle must be true or false, got 'yes'/);
    await expect(ae.fit(ok, { onEpochEnd: 3 } as never)).rejects.toThrow(/onEpochEnd must be a function, got 3/);
    await expect(ae.fit(ok, { validation: new Uint8Array(5) })).rejects.toThrow(
      /validation must hold a whole, non-zero number of rows of 784/,
    );
    const bce = await Autoencoder.create({ kernels: 'simd', threads: 1, loss: 'bce' });
    await expect(bce.fit(new Float32Array(784).fill(2))).rejects.toThrow(
      /data must hold values in \[0, 1\].*got 2 at index 0/,
    );
  });

  it('encode, decode, reconstruct and evaluate check their input', () => {
    expect(() => trained.encode(new Uint8Array(783))).toThrow(
      /encode: images must hold a whole, non-zero number of rows of 784 values, got Uint8Array\(783\)/,
    );
    expect(() => trained.decode(new Float32Array(17))).toThrow(
      /decode: codes must hold a whole, non-zero number of rows of 16 values/,
    );
    expect(() => trained.decode(new Uint8Array(16) as never)).toThrow(
      /decode: codes must be a Float32Array of n × 16 values, got Uint8Array\(16\)/,
    );
    const inf = new Float32Array(784);
    inf[3] = Infinity;
    expect(() => trained.reconstruct(inf)).toThrow(
      /reconstruct: images must hold finite values, got Infinity at index 3/,
    );
    expect(() => trained.evaluate(undefined as never)).toThrow(/evaluate: images must be a Uint8Array/);
    // The kernels check each round of 2,048 rows as it is copied in: a NaN in the third round is
    // reported at its index in the caller's array, by every call that takes floats.
    const many = new Float32Array(5000 * 784).fill(0.5);
    const bad = 4100 * 784 + 17;
    many[bad] = NaN;
    for (const [name, call] of [
      ['encode', () => trained.encode(many)],
      ['reconstruct', () => trained.reconstruct(many)],
      ['denoise', () => trained.denoise(many)],
      ['evaluate', () => trained.evaluate(many)],
      ['reconstructionErrors', () => trained.reconstructionErrors(many)],
      ['anomalyScores', () => trained.anomalyScores(many)],
    ] as const) {
      expect(call, name).toThrow(new RegExp(`${name}: images must hold finite values, got NaN at index ${bad}`));
    }
    const codes = new Float32Array(3000 * 16);
    codes[2500 * 16 + 3] = -Infinity;
    expect(() => trained.decode(codes)).toThrow(
      new RegExp(`decode: codes must hold finite values, got -Infinity at index ${2500 * 16 + 3}`),
    );
  });

  it('a model disposed during fit stops training and says so', async () => {
    for (const threads of [1, 2]) {
      const ae = await Autoencoder.create({ kernels: 'simd', threads });
      const run = ae.fit(mnist.train, {
        epochs: 50,
        batchSize: 32,
        onBatchEnd: ({ batch }) => {
          if (batch === 3) void ae.dispose();
        },
      });
      await expect(run).rejects.toThrow(/disposed/);
    }
  });

  it('a disposed model says so', async () => {
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 1, encoder: [8], latent: 4 });
    ae.dispose();
    expect(() => ae.encode(new Uint8Array(784))).toThrow(/disposed/);
    await expect(ae.fit(new Uint8Array(784))).rejects.toThrow(/disposed/);
  });
});
