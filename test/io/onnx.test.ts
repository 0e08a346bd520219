// ONNX export checked against onnxruntime (onnxruntime-node, CPU): toOnnx output loads in an
// InferenceSession and computes our reconstruct / encode / encodeDistribution / decode to ≤ 1e-5
// for batches of 1 and 5 (the batch dimension is dynamic).
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { Autoencoder, type AutoencoderOptions } from '../../src/entries/index.js';
import { toOnnx, type OnnxPart } from '../../src/entries/onnx.js';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

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

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function run(
  model: Uint8Array,
  input: string,
  x: Float32Array,
  dims: number[],
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ [input]: new ort.Tensor('float32', x, dims) });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]));
  } finally {
    await session.release();
  }
}

/** Trains one epoch (so no weight is at its initial value), then runs every part in onnxruntime. */
async function checkParts(options: AutoencoderOptions, imageDims: number[]): Promise<void> {
  const ae = await Autoencoder.create({ ...options, threads: 1 });
  try {
    const size = imageDims.reduce((a, b) => a * b, 1);
    const latent = ae.latentSize;
    await ae.fit(seededNoise(5 * size, 3), { epochs: 1, batchSize: 5 });
    const models = Object.fromEntries(
      (['autoencoder', 'encoder', 'decoder'] as OnnxPart[]).map((p) => [p, toOnnx(ae, { part: p })]),
    );
    for (const n of [1, 5]) {
      const images = seededNoise(n * size, 7 + n);
      const codes = seededNoise(n * latent, 9 + n).map((v) => 2 * v - 1);
      const auto = await run(models.autoencoder, 'images', images, [n, ...imageDims]);
      expect(auto.reconstructions.dims, 'autoencoder').toEqual([n, ...imageDims]);
      expect(maxDiff(auto.reconstructions.data, ae.reconstruct(images)), `autoencoder, batch ${n}`).toBeLessThanOrEqual(
        1e-5,
      );
      const enc = await run(models.encoder, 'images', images, [n, ...imageDims]);
      if (ae.config.variational) {
        const { mean, logVariance } = ae.encodeDistribution(images);
        expect(Object.keys(enc).sort()).toEqual(['logVariance', 'mean']);
        expect(enc.mean.dims).toEqual([n, latent]);
        expect(maxDiff(enc.mean.data, mean), `mean, batch ${n}`).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(enc.logVariance.data, logVariance), `logVariance, batch ${n}`).toBeLessThanOrEqual(1e-5);
      } else {
        expect(enc.codes.dims).toEqual([n, latent]);
        expect(maxDiff(enc.codes.data, ae.encode(images)), `encoder, batch ${n}`).toBeLessThanOrEqual(1e-5);
      }
      const dec = await run(models.decoder, 'codes', codes, [n, latent]);
      expect(dec.reconstructions.dims).toEqual([n, ...imageDims]);
      expect(maxDiff(dec.reconstructions.data, ae.decode(codes)), `decoder, batch ${n}`).toBeLessThanOrEqual(1e-5);
    }
  } finally {
    await ae.dispose();
  }
}

describe('toOnnx: onnxruntime computes our outputs (≤ 1e-5, batches of 1 and 5)', () => {
  it('a dense model with leakyRelu and tanh layers, images in as [N, 8, 8, 1]', async () => {
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

  it('a flat dense model with a sigmoid code and a linear output', async () => {
    await checkParts({ inputShape: 30, encoder: [16], latent: 3, latentActivation: 'sigmoid', output: 'linear' }, [30]);
  });

  it("a conv model: stride-2 'same' and 'valid' conv2d, the mirror conv2dTranspose decoder, two channels", async () => {
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

  it('a conv model with stride-2 layers on even sizes, tanh and leakyRelu activations', async () => {
    await checkParts(
      {
        inputShape: [8, 8, 1],
        latent: 5,
        activation: 'tanh',
        encoder: [
          { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2 },
          { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, activation: 'leakyRelu' },
        ],
      },
      [8, 8, 1],
    );
  });

  it("an explicit decoder: a 'valid' conv2dTranspose with a kernel smaller than its stride, then a 2×2 'same' one (uneven crop)", async () => {
    await checkParts(
      {
        inputShape: [8, 8, 1],
        latent: 4,
        encoder: [{ type: 'conv2d', filters: 3, kernelSize: 2, strides: 2, padding: 'valid' }],
        decoder: [{ type: 'conv2dTranspose', filters: 2, kernelSize: 1, strides: 2, padding: 'valid' }],
      },
      [8, 8, 1],
    );
  });

  it('a variational conv model: the encoder gives mean and logVariance, the autoencoder decodes the mean', async () => {
    await checkParts(
      {
        inputShape: [8, 8, 1],
        latent: 3,
        variational: true,
        encoder: [{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2 }, 16],
      },
      [8, 8, 1],
    );
  });
});

describe('toOnnx: refusals', () => {
  it('refuses conditional models and unknown parts and options', async () => {
    const conditional = await Autoencoder.create({
      inputShape: 12,
      encoder: [6],
      latent: 2,
      conditional: { classes: 3 },
      threads: 1,
    });
    try {
      expect(() => toOnnx(conditional)).toThrow(/^toOnnx: conditional models/);
    } finally {
      await conditional.dispose();
    }
    const ae = await Autoencoder.create({ inputShape: 12, encoder: [6], latent: 2, threads: 1 });
    try {
      expect(() => toOnnx(ae, { part: 'middle' as OnnxPart })).toThrow(/^toOnnx: .*part/);
      expect(() => toOnnx(ae, { parts: 'encoder' } as never)).toThrow(/^toOnnx: /);
      expect(() => toOnnx({} as Autoencoder)).toThrow(/^toOnnx: /);
    } finally {
      await ae.dispose();
    }
  });

  it('writes the documented header: opset 13, IR version 7, the producer name', async () => {
    const ae = await Autoencoder.create({ inputShape: 12, encoder: [6], latent: 2, threads: 1 });
    try {
      const bytes = toOnnx(ae);
      expect([...bytes.subarray(0, 2)]).toEqual([0x08, 7]); // field 1 (ir_version), varint 7
      const session = await ort.InferenceSession.create(bytes);
      expect(session.inputNames).toEqual(['images']);
      expect(session.outputNames).toEqual(['reconstructions']);
      await session.release();
      expect(new TextDecoder().decode(bytes)).toContain('wasm-autoencoder');
    } finally {
      await ae.dispose();
    }
  });
});
