// Denoising, variational sampling and conditional sampling, measured on real MNIST.
import { describe, it, expect, beforeAll } from 'vitest';
import { Autoencoder, knnClassify, type KnnResult } from '../../src/entries/index.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';

let mnist: Mnist;
let pixels: Float32Array;
beforeAll(async () => {
  mnist = await loadMnist();
  pixels = Float32Array.from(mnist.train.images.subarray(0, 20000 * 784), (v) => v / 255);
});

/** A digit classifier trained on raw pixels (kNN, k = 10, 20,000 training images: ~96 % on the test set). */
function classify(images: Float32Array): Promise<KnnResult> {
  return knnClassify({ vectors: pixels, labels: mnist.train.labels.subarray(0, 20000) }, images, 784, { k: 10 });
}

function psnr(images: Float32Array, clean: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < images.length; i++) se += (images[i] - clean[i] / 255) ** 2;
  return 10 * Math.log10(images.length / se);
}

function meanPairwiseDistance(images: Float32Array, n: number): number {
  let sum = 0,
    pairs = 0;
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      let d = 0;
      for (let j = 0; j < 784; j++) d += (images[a * 784 + j] - images[b * 784 + j]) ** 2;
      sum += Math.sqrt(d);
      pairs++;
    }
  return sum / pairs;
}

describe('denoising', () => {
  it('gaussian noise σ = 0.3 on the test set: the denoised PSNR beats the noisy PSNR by ≥ 5 dB', async () => {
    const ae = await Autoencoder.create({ seed: 21 });
    await ae.fit(mnist.train, { epochs: 5, batchSize: 128, noise: { type: 'gaussian', level: 0.3 } });
    // Additive noise, not clipped (as in training): noisy PSNR ≈ 10.5 dB.
    let s = 7;
    const uniform = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s + 0.5) / 4294967296;
    };
    const noisy = new Float32Array(mnist.test.images.length);
    for (let i = 0; i < noisy.length; i++) {
      noisy[i] =
        mnist.test.images[i] / 255 + 0.3 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    }
    const before = psnr(noisy, mnist.test.images),
      after = psnr(ae.denoise(noisy), mnist.test.images);
    // Measured: 10.4 dB → 17.4 dB after 10 epochs of the reference model (+7 dB).
    expect(before).toBeGreaterThan(10);
    expect(before).toBeLessThan(11);
    expect(after - before).toBeGreaterThanOrEqual(5);
    await expect(ae.fit(mnist.train, { noise: { type: 'blur', level: 1 } as never })).rejects.toThrow(
      /noise.type must be 'gaussian', 'masking' or 'saltAndPepper', got 'blur'/,
    );
    await expect(ae.fit(mnist.train, { noise: { type: 'masking', level: 1.5 } })).rejects.toThrow(
      /noise.level must be a number in \[0, 1\], got 1.5/,
    );
    await ae.dispose();
  });

  it('masking and salt-and-pepper training also learn to restore', async () => {
    for (const type of ['masking', 'saltAndPepper'] as const) {
      const ae = await Autoencoder.create({ seed: 22, threads: 2 });
      const history = await ae.fit(mnist.train.images.subarray(0, 10000 * 784), {
        epochs: 2,
        batchSize: 128,
        noise: { type, level: 0.2 },
      });
      expect(history.epochs[1].loss).toBeLessThan(history.epochs[0].loss);
      await ae.dispose();
    }
  });
});

describe('variational autoencoder', () => {
  it('samples are diverse and digit-like; interpolation ends at the two reconstructions', async () => {
    const vae = await Autoencoder.create({ encoder: [256, 128], latent: 16, variational: true, loss: 'bce', seed: 31 });
    await vae.fit(mnist.train, { epochs: 10, batchSize: 128 });
    const samples = vae.sample(200, { seed: 1 });
    expect(samples.length).toBe(200 * 784);
    expect(vae.sample(3, { seed: 1 })).toEqual(samples.subarray(0, 3 * 784));
    // Diversity: distances between samples against those between draws around one image's code.
    const { mean, logVariance } = vae.encodeDistribution(mnist.test.images.subarray(0, 784));
    const around = new Float32Array(100 * 16);
    let s = 3;
    const uniform = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s + 0.5) / 4294967296;
    };
    for (let i = 0; i < around.length; i++) {
      const j = i % 16;
      around[i] =
        mean[j] +
        Math.exp(logVariance[j] / 2) * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    }
    const sampleSpread = meanPairwiseDistance(samples, 100),
      oneImageSpread = meanPairwiseDistance(vae.decode(around), 100);
    expect(sampleSpread).toBeGreaterThan(2 * oneImageSpread);
    // Digit-like: the pixel classifier gives most samples a confident label (at least 6 of its 10
    // neighbours agree; measured for 86 % of samples after 10 epochs, 94 % at 5 of 10), and the
    // labels cover every digit.
    const { labels, confidence } = await classify(samples);
    const confident = confidence.filter((c) => c >= 0.6).length / confidence.length;
    expect(confident).toBeGreaterThanOrEqual(0.75);
    expect(new Set(labels).size).toBe(10);
    const path = vae.interpolate(mnist.test.images.subarray(0, 784), mnist.test.images.subarray(784, 1568), 8);
    const ends = vae.reconstruct(mnist.test.images.subarray(0, 1568));
    expect(path.subarray(0, 784)).toEqual(ends.subarray(0, 784));
    expect(path.subarray(7 * 784)).toEqual(ends.subarray(784));
    expect(vae.anomalyScores(mnist.test.images.subarray(0, 784 * 10), { method: 'elbo' }).length).toBe(10);
    await vae.dispose();
  });

  it('rejects sampling from a plain model and bad sample options', async () => {
    const ae = await Autoencoder.create({ encoder: [8], latent: 2, threads: 1 });
    expect(() => ae.sample(4)).toThrow(/sampling needs a variational model/);
    expect(() => ae.encodeDistribution(new Uint8Array(784))).toThrow(/not variational/);
    await ae.dispose();
    const vae = await Autoencoder.create({ encoder: [8], latent: 2, variational: { beta: 0.5 }, threads: 1 });
    expect(() => vae.sample(0)).toThrow(/n must be a positive integer, got 0/);
    expect(() => vae.sample(2, { label: 1 })).toThrow(/label is only for conditional models/);
    expect(() => vae.interpolate(new Uint8Array(784), new Uint8Array(784), 1)).toThrow(
      /steps must be an integer in \[2, 4096\], got 1/,
    );
    expect(() => vae.interpolate(new Uint8Array(784 * 2), new Uint8Array(784), 3)).toThrow(/a must be one image/);
    await vae.dispose();
    await expect(Autoencoder.create({ variational: { beta: -1 } })).rejects.toThrow(
      /variational.beta must be a number in \[0, 1000\], got -1/,
    );
    await expect(Autoencoder.create({ variational: true, latentActivation: 'relu' })).rejects.toThrow(
      /latentActivation must be 'linear' for a variational model/,
    );
  });
});

describe('conditional generation', () => {
  it('sample(n, { label }) draws the requested digit: ≥ 80 % classified as asked', async () => {
    // β = 4: a stronger pull of the codes toward N(0, I) leaves the class to the label, which the
    // decoder then has to use (measured after 10 epochs: 97 % with β = 4, 74 % with β = 1).
    const cvae = await Autoencoder.create({
      encoder: [256, 128],
      latent: 16,
      variational: { beta: 4 },
      loss: 'bce',
      conditional: { classes: 10 },
      seed: 41,
    });
    await cvae.fit(mnist.train, { epochs: 8, batchSize: 128 });
    const perDigit = 50;
    const samples = new Float32Array(10 * perDigit * 784);
    for (let d = 0; d < 10; d++) samples.set(cvae.sample(perDigit, { label: d, seed: d }), d * perDigit * 784);
    const { labels } = await classify(samples);
    let right = 0;
    labels.forEach((l, i) => {
      if (l === Math.floor(i / perDigit)) right++;
    });
    expect(right / labels.length).toBeGreaterThanOrEqual(0.8);
    // Labels come with the data (loadMnist's sets carry them) or explicitly, and are checked.
    expect(cvae.encode(mnist.test).length).toBe(10000 * 16);
    expect(() => cvae.encode(mnist.test.images)).toThrow(/images.labels must be a Uint8Array of 10000 class labels/);
    expect(() => cvae.decode(new Float32Array(16), { labels: new Uint8Array([10]) })).toThrow(
      /labels must be classes in \[0, 9\], got 10 at index 0/,
    );
    expect(() => cvae.sample(2, { label: 12 })).toThrow(/label must be an integer in \[0, 9\], got 12/);
    await cvae.dispose();
  });
});
