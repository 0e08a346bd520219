// int8 inference: the kernels against a plain integer reference (exact), the quantized forward
// against a float forward over the dequantized weights, MNIST reconstructions against the float
// model, the file (size, round trip, hostile bytes).
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Autoencoder, type AutoencoderOptions, type QuantizedAutoencoder } from '../../src/entries/index.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';
import { internalsOf } from '../../src/model/autoencoder.js';
import { packWeights, activationRange, type QuantizedLayer } from '../../src/model/quantized.js';
import { crc32 } from '../../src/util/crc32.js';
import { buildsToTest, KernelHarness, mulberry32 } from '../helpers/kernel-harness.js';

const f = Math.fround;

/** round half to even, as f32x4.nearest. */
function nearestEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function refQuantizeRows(
  x: Float32Array,
  rows: number,
  K: number,
  Kpad: number,
  qmax: number,
): { q: Int16Array; scales: Float32Array } {
  const q = new Int16Array(rows * Kpad),
    scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let top = 0;
    for (let k = 0; k < K; k++) top = Math.max(top, Math.abs(x[r * K + k]));
    const inv = top > 0 ? f(qmax / top) : 0;
    scales[r] = f(top / qmax);
    for (let k = 0; k < K; k++) q[r * Kpad + k] = nearestEven(f(x[r * K + k] * inv));
  }
  return { q, scales };
}

function refQgemm(
  q: Int16Array,
  xs: Float32Array,
  rowsPerScale: number,
  w: Int8Array,
  ws: Float32Array,
  bias: Float32Array | null,
  M: number,
  Kpad: number,
  K: number,
  N: number,
  relu: boolean,
): Float32Array {
  const out = new Float32Array(M * N);
  for (let r = 0; r < M; r++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += q[r * Kpad + k] * w[k * N + n];
      let y = f(f(acc) * f(xs[Math.floor(r / rowsPerScale)] * ws[n]));
      if (bias) y = f(y + bias[n]);
      out[r * N + n] = relu ? Math.max(y, 0) : y;
    }
  }
  return out;
}

describe.each(buildsToTest())('int8 kernels (%s build)', (build) => {
  it('quantizeRows and quantizeU8Rows match the plain reference exactly, odd sizes included', () => {
    const h = new KernelHarness(build);
    const rng = mulberry32(5);
    for (const [rows, K] of [
      [1, 1],
      [3, 3],
      [5, 9],
      [2, 17],
      [4, 784],
      [3, 32],
    ]) {
      const Kpad = K + (K & 1);
      const { ptr, data } = h.randomF32(rows * K, rng, -3, 3);
      if (rows > 2) h.writeF32(ptr + 4 * K, new Float32Array(K)); // an all-zero row
      data.set(h.readF32(ptr, rows * K));
      const q = h.alloc(2 * rows * Kpad),
        s = h.allocF32(rows);
      const qmax = activationRange(Kpad);
      h.k.quantizeRows(q, Kpad, s, ptr, rows, K, qmax);
      const ref = refQuantizeRows(data, rows, K, Kpad, qmax);
      expect(Array.from(new Int16Array(h.memory.buffer, q, rows * Kpad))).toEqual(Array.from(ref.q));
      expect(Array.from(h.readF32(s, rows))).toEqual(Array.from(ref.scales));
      const px = h.randomU8(rows * K, rng);
      h.k.quantizeU8Rows(q, Kpad, s, px.ptr, rows, K);
      const expected = new Int16Array(rows * Kpad);
      for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) expected[r * Kpad + k] = px.data[r * K + k];
      expect(Array.from(new Int16Array(h.memory.buffer, q, rows * Kpad))).toEqual(Array.from(expected));
      expect(Array.from(h.readF32(s, rows))).toEqual(new Array(rows).fill(f(1 / 255)));
      // the same integers as floats, and back to int16 rows
      const asFloats = h.allocF32(rows * K);
      h.k.quantizeRowsToF32(asFloats, s, ptr, rows, K, qmax);
      const ints = h.readF32(asFloats, rows * K);
      for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) expect(ints[r * K + k]).toBe(ref.q[r * Kpad + k]);
      expect(Array.from(h.readF32(s, rows))).toEqual(Array.from(ref.scales));
      h.k.f32ToI16Rows(q, Kpad, asFloats, rows, K);
      expect(Array.from(new Int16Array(h.memory.buffer, q, rows * Kpad))).toEqual(Array.from(ref.q));
      h.checkGuards();
    }
  });

  it('qgemm matches the integer reference exactly (odd rows, columns and depths; extreme values)', () => {
    const h = new KernelHarness(build);
    const rng = mulberry32(9);
    for (const [M, K, N] of [
      [1, 1, 1],
      [3, 2, 3],
      [5, 9, 17],
      [7, 33, 8],
      [4, 64, 13],
      [6, 784, 20],
    ]) {
      const Kpad = K + (K & 1),
        Npad = Math.ceil(N / 8) * 8;
      const qmax = activationRange(Kpad);
      const q = new Int16Array(M * Kpad);
      for (let r = 0; r < M; r++)
        for (let k = 0; k < K; k++) q[r * Kpad + k] = r === 0 ? qmax : Math.round((2 * rng() - 1) * qmax);
      const w = new Int8Array(K * N).map((_, i) => (i % 7 === 0 ? 127 : Math.round((2 * rng() - 1) * 127)));
      const xs = new Float32Array(M).map(() => rng() * 0.01),
        ws = new Float32Array(N).map(() => rng() * 0.02);
      const bias = new Float32Array(N).map(() => rng() - 0.5);
      const qPtr = h.alloc(2 * M * Kpad);
      new Int16Array(h.memory.buffer, qPtr, M * Kpad).set(q);
      const wPtr = h.alloc(Kpad * Npad);
      new Int8Array(h.memory.buffer, wPtr, Kpad * Npad).set(packWeights(w, K, N));
      const wsPad = new Float32Array(Npad);
      wsPad.set(ws);
      const biasPad = new Float32Array(Npad);
      biasPad.set(bias);
      const xsPtr = h.putF32(xs),
        wsPtr = h.putF32(wsPad),
        biasPtr = h.putF32(biasPad);
      for (const rowsPerScale of [1, 3]) {
        for (const relu of [0, 1]) {
          for (const withBias of [true, false]) {
            const out = h.allocF32(M * N);
            h.k.qgemm(out, qPtr, xsPtr, rowsPerScale, wPtr, wsPtr, withBias ? biasPtr : 0, M, Kpad, N, relu);
            expect(Array.from(h.readF32(out, M * N))).toEqual(
              Array.from(refQgemm(q, xs, rowsPerScale, w, ws, withBias ? bias : null, M, Kpad, K, N, relu === 1)),
            );
          }
        }
      }
      h.checkGuards();
    }
  });
});

/** A plain float forward over the dequantized weights of `layers` (dense, conv2d, conv2dTranspose). */
function floatForward(
  layers: QuantizedLayer[],
  x: Float32Array,
  rows: number,
  first: number,
  last: number,
): Float32Array {
  let cur = x;
  for (let l = first; l <= last; l++) {
    const { spec: L, K, N, weights, scales, bias } = layers[l];
    const w = (k: number, n: number): number => weights[k * N + n] * scales[n];
    const act = (v: number): number =>
      L.activation === 'relu'
        ? Math.max(v, 0)
        : L.activation === 'sigmoid'
          ? 1 / (1 + Math.exp(-v))
          : L.activation === 'tanh'
            ? Math.tanh(v)
            : L.activation === 'leakyRelu'
              ? v < 0
                ? L.alpha * v
                : v
              : v;
    const g = L.conv;
    const inW = cur.length / rows;
    let out: Float32Array;
    if (!g) {
      out = new Float32Array(rows * N);
      for (let r = 0; r < rows; r++)
        for (let n = 0; n < N; n++) {
          let s = bias[n];
          for (let k = 0; k < K; k++) s += cur[r * inW + k] * w(k, n);
          out[r * N + n] = act(s);
        }
    } else if (L.kind === 'conv2d') {
      out = new Float32Array(rows * g.OH * g.OW * N);
      for (let r = 0; r < rows; r++)
        for (let oy = 0; oy < g.OH; oy++)
          for (let ox = 0; ox < g.OW; ox++)
            for (let n = 0; n < N; n++) {
              let s = bias[n];
              for (let ky = 0; ky < g.kernel; ky++)
                for (let kx = 0; kx < g.kernel; kx++) {
                  const y = oy * g.stride - g.padTop + ky,
                    xx = ox * g.stride - g.padLeft + kx;
                  if (y < 0 || y >= g.H || xx < 0 || xx >= g.W) continue;
                  for (let c = 0; c < g.C; c++)
                    s += cur[r * inW + (y * g.W + xx) * g.C + c] * w((ky * g.kernel + kx) * g.C + c, n);
                }
              out[((r * g.OH + oy) * g.OW + ox) * N + n] = act(s);
            }
    } else {
      const sums = new Float64Array(rows * g.H * g.W * g.C);
      for (let r = 0; r < rows; r++)
        for (let oy = 0; oy < g.OH; oy++)
          for (let ox = 0; ox < g.OW; ox++) {
            for (let ky = 0; ky < g.kernel; ky++)
              for (let kx = 0; kx < g.kernel; kx++) {
                const y = oy * g.stride - g.padTop + ky,
                  xx = ox * g.stride - g.padLeft + kx;
                if (y < 0 || y >= g.H || xx < 0 || xx >= g.W) continue;
                for (let c = 0; c < g.C; c++) {
                  let s = 0;
                  for (let k = 0; k < K; k++)
                    s += cur[r * inW + (oy * g.OW + ox) * K + k] * w(k, (ky * g.kernel + kx) * g.C + c);
                  sums[((r * g.H + y) * g.W + xx) * g.C + c] += s;
                }
              }
          }
      out = new Float32Array(sums.length).map((_, i) => act(sums[i] + bias[i % g.C]));
    }
    cur = out;
  }
  return cur;
}

const layersOf = (q: QuantizedAutoencoder): QuantizedLayer[] => (q as unknown as { layers: QuantizedLayer[] }).layers;
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const DENSE: AutoencoderOptions = {
  inputShape: [28, 28, 1],
  encoder: [64, 32],
  latent: 32,
  decoder: [32, 64],
  seed: 3,
};
const CONV: AutoencoderOptions = {
  inputShape: [28, 28, 1],
  encoder: [
    { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2 },
    { type: 'conv2d', filters: 32, kernelSize: 3, strides: 2 },
  ],
  latent: 32,
  decoder: 'mirror',
  seed: 3,
};

describe('the quantized forward', () => {
  it.each([
    ['dense', DENSE],
    ['conv', CONV],
    [
      'odd conv (valid padding, 3 channels, tanh and leaky relu)',
      {
        inputShape: [9, 7, 3],
        encoder: [{ type: 'conv2d', filters: 5, kernelSize: 3, strides: 2, padding: 'valid' }, 11],
        latent: 3,
        decoder: [11, { type: 'conv2dTranspose', filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }],
        activation: ['tanh', 'leakyRelu', 'leakyRelu', 'tanh', 'relu'],
        seed: 4,
      } as AutoencoderOptions,
    ],
  ])('%s: encode, decode and reconstruct follow a float forward over the dequantized weights', async (_, options) => {
    const ae = await Autoencoder.create({ ...options, threads: 1 });
    try {
      const q = await ae.quantize();
      const D = q.inputSize,
        rows = 7,
        rng = mulberry32(2);
      const x = new Float32Array(rows * D).map(() => rng());
      const layers = layersOf(q),
        codeLayer = internalsOf(ae).engine.spec.codeLayer;
      const codes = q.encode(x);
      expect(maxDiff(codes, floatForward(layers, x, rows, 0, codeLayer))).toBeLessThan(2e-3);
      expect(
        maxDiff(q.decode(codes), floatForward(layers, codes, rows, codeLayer + 1, layers.length - 1)),
      ).toBeLessThan(2e-3);
      const back = q.reconstruct(x);
      expect(maxDiff(back, floatForward(layers, x, rows, 0, layers.length - 1))).toBeLessThan(2e-3);
      // and close to the float model itself (int8 weights: a looser bound)
      expect(maxDiff(back, ae.reconstruct(x))).toBeLessThan(0.05);
      // bytes and their floats agree (the bytes are quantized exactly)
      const px = new Uint8Array(rows * D).map(() => Math.floor(rng() * 256));
      expect(
        maxDiff(
          q.reconstruct(px),
          floatForward(
            layers,
            Float32Array.from(px, (v) => v / 255),
            rows,
            0,
            layers.length - 1,
          ),
        ),
      ).toBeLessThan(2e-3);
      const out = new Float32Array(rows * D);
      expect(q.reconstruct(x, { out })).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(back));
    } finally {
      await ae.dispose();
    }
  });

  it('a variational model keeps its mean path; a conditional model is refused', async () => {
    const vae = await Autoencoder.create({ ...DENSE, variational: true, threads: 1 });
    const q = await vae.quantize();
    const x = new Float32Array(5 * 784).map((_, i) => (i % 13) / 13);
    expect(q.encode(x).length).toBe(5 * 32);
    expect(maxDiff(q.encode(x), vae.encode(x))).toBeLessThan(0.05);
    expect(maxDiff(q.reconstruct(x), vae.reconstruct(x))).toBeLessThan(0.05);
    await vae.dispose();
    const cae = await Autoencoder.create({ ...DENSE, conditional: { classes: 10 }, threads: 1 });
    await expect(cae.quantize()).rejects.toThrow(/conditional models cannot be quantized/);
    await cae.dispose();
  });

  it('checks its inputs like Autoencoder', async () => {
    const ae = await Autoencoder.create({ ...DENSE, threads: 1 });
    const q = await ae.quantize();
    expect(() => q.reconstruct(new Float32Array(783))).toThrow(
      /QuantizedAutoencoder.reconstruct: images must hold a whole, non-zero number of rows of 784/,
    );
    expect(() => q.encode(new Float32Array(784).fill(NaN))).toThrow(/finite/);
    expect(() => q.decode(new Uint8Array(32) as unknown as Float32Array)).toThrow(/codes/);
    expect(() => q.reconstruct(new Float32Array(784), { out: new Float32Array(3) })).toThrow(/out/);
    expect(() => q.reconstruct(new Float32Array(784), { labels: new Uint8Array(1) } as never)).toThrow(/labels/);
    q.dispose();
    expect(() => q.reconstruct(new Float32Array(784))).toThrow(/disposed/);
    await ae.dispose();
  });
});

describe('int8 on MNIST', () => {
  let mnist: Mnist;
  beforeAll(async () => {
    mnist = await loadMnist({ trainLimit: 10000 });
  });

  it.each([
    ['dense', DENSE, 4],
    ['conv', CONV, 2],
  ] as const)(
    '%s: PSNR within 0.3 dB of float on the 10,000 test images; file ≥ 3.5× smaller; round trip bit-identical',
    async (_, options, epochs) => {
      const ae = await Autoencoder.create({ ...options, threads: 1 });
      await ae.fit(mnist.train, { epochs, batchSize: 64 });
      const q = await ae.quantize();
      const float = ae.evaluate(mnist.test),
        int8 = q.evaluate(mnist.test);
      expect(mnist.test.images.length).toBe(10000 * 784);
      // the float model has learned: the comparison below is between two working models
      expect(float.psnr).toBeGreaterThan(13);
      expect(Math.abs(float.psnr - int8.psnr)).toBeLessThan(0.3);
      const bytes = q.save();
      expect(ae.save().length / bytes.length).toBeGreaterThanOrEqual(3.5);
      const dir = mkdtempSync(join(tmpdir(), 'waaq-'));
      try {
        await q.saveTo(join(dir, 'model.waaq'));
        const again = await Autoencoder.loadQuantized(join(dir, 'model.waaq'));
        const fromBytes = await Autoencoder.loadQuantized(bytes);
        const some = mnist.test.images.subarray(0, 784 * 300);
        const expected = q.reconstruct(some);
        expect(Buffer.from(again.reconstruct(some).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        expect(Buffer.from(fromBytes.reconstruct(some).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        expect(Buffer.from(again.save()).equals(Buffer.from(bytes))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true });
        await ae.dispose();
      }
    },
    120_000,
  );
});

describe('hostile quantized files', () => {
  let good: Uint8Array;
  beforeAll(async () => {
    const ae = await Autoencoder.create({ inputShape: [4, 4, 1], encoder: [6], latent: 2, threads: 1 });
    good = (await ae.quantize()).save();
    await ae.dispose();
  });
  const withCrc = (b: Uint8Array): Uint8Array => {
    const out = b.slice();
    new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  };
  const withHeader = (header: unknown): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(Math.ceil((12 + json.length) / 4) * 4 + 8);
    out.set(good.subarray(0, 8));
    new DataView(out.buffer).setUint32(8, json.length, true);
    out.set(json, 12);
    return withCrc(out);
  };
  const config = (): Record<string, unknown> => {
    const h = JSON.parse(
      new TextDecoder().decode(good.subarray(12, 12 + new DataView(good.buffer).getUint32(8, true))),
    );
    return h.config;
  };

  it('loads the good file', async () => {
    const q = await Autoencoder.loadQuantized(good);
    expect(q.reconstruct(new Float32Array(16)).length).toBe(16);
  });

  it.each([
    ['truncated', () => good.subarray(0, good.length - 9), /corrupted or truncated|truncated/],
    ['short', () => good.subarray(0, 10), /truncated: 10 bytes/],
    [
      'a wrong CRC',
      () => {
        const b = good.slice();
        b[b.length - 20] ^= 1;
        return b;
      },
      /CRC-32/,
    ],
    [
      'a float model file',
      () => {
        const b = good.slice();
        b[3] = 0x45;
        return b;
      },
      /float model file; load it with Autoencoder.load/,
    ],
    [
      'a header claiming more bytes than there are',
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, 2 ** 31, true);
        return b;
      },
      /header claims/,
    ],
    [
      'an unknown header field',
      () => withHeader({ library: 'wasm-autoencoder', config: config(), extra: 1 }),
      /unknown field 'extra'/,
    ],
    [
      'a config of a huge network',
      () =>
        withHeader({
          library: 'wasm-autoencoder',
          config: { ...config(), inputShape: [256, 256, 1], encoder: [4096] },
        }),
      /parameters|MiB/,
    ],
    [
      'a length that does not match the config',
      () => withCrc(new Uint8Array([...good.subarray(0, good.length - 4), 0, 0, 0, 0, 0, 0, 0, 0])),
      /should be \d+ bytes/,
    ],
    [
      'a weight of -128',
      () => {
        const b = good.slice();
        b[b.length - 8] = 0x80;
        return withCrc(b);
      },
      /-128/,
    ],
    [
      'a NaN scale',
      () => {
        const b = good.slice();
        const at = Math.ceil((12 + new DataView(b.buffer).getUint32(8, true)) / 4) * 4;
        new DataView(b.buffer).setFloat32(at, NaN, true);
        return withCrc(b);
      },
      /scales must be finite/,
    ],
  ])('rejects %s', async (_, bytes, message) => {
    await expect(Autoencoder.loadQuantized(bytes())).rejects.toThrow(message);
  });

  it('Autoencoder.load points a quantized file at loadQuantized', async () => {
    await expect(Autoencoder.load(good)).rejects.toThrow(
      /quantized \(int8\) model file; load it with Autoencoder.loadQuantized/,
    );
  });
});
