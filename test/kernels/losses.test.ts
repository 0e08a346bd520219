// Losses and their gradients against float64 references.
//
// Loss sums: the kernels add f32 terms in four lanes, so the error is bounded like a dot
// product's (see gemm.test.ts): ≤ 1e-5·Σ|terms| + 1e-6, far below the change of one term.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KernelHarness,
  U32,
  buildsToTest,
  expectClose,
  expectSameBits,
  mulberry32,
  randomF32,
} from '../helpers/kernel-harness.js';

const SIZES = [0, 1, 3, 4, 5, 17, 783, 785];
const f = Math.fround;

/** Stable binary cross-entropy on a logit, in f64. */
const bce = (z: number, t: number) => Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
const sigma = (z: number) => 1 / (1 + Math.exp(-z));

/** Targets: soft values in [0, 1] with exact 0s and 1s mixed in, as images have. */
function targets(n: number, rng: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = rng();
    return u < 0.2 ? 0 : u > 0.8 ? 1 : rng();
  });
}

describe.each(buildsToTest())('%s build: losses', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  it.each(SIZES)('mseLoss returns Σ(y-t)² and writes 2·scale·(y-t), n = %i', (n) => {
    const rng = mulberry32(n + 1);
    const y = h.randomF32(n, rng),
      t = h.randomF32(n, rng, 0, 1);
    const dout = h.allocF32(n);
    const scale = f(1 / 3000);
    const loss = h.k.mseLoss(dout, y.ptr, t.ptr, n, scale, 0);
    let ref = 0;
    for (let i = 0; i < n; i++) ref += (y.data[i] - t.data[i]) ** 2;
    expect(Math.abs(loss - ref)).toBeLessThanOrEqual(1e-5 * ref + 1e-6);
    // y - t, then the product with 2·scale (exact in f32): two roundings.
    const g = Array.from(y.data, (v, i) => 2 * scale * (v - t.data[i]));
    expectClose(h.readF32(dout, n), g, (i) => 2 * U32 * Math.abs(g[i]), 'mse grad');
    // sigmoidOut = 1 (y in (0, 1), an output sigmoid's): the same loss, and the bits of this
    // gradient followed by sigmoidBackward.
    const ys = h.randomF32(n, rng, 0.001, 0.999);
    const fused = h.allocF32(n),
      separate = h.allocF32(n);
    const lossFused = h.k.mseLoss(fused, ys.ptr, t.ptr, n, scale, 1);
    expect(lossFused).toBe(h.k.mseLoss(separate, ys.ptr, t.ptr, n, scale, 0));
    h.k.sigmoidBackward(separate, separate, ys.ptr, n);
    expectSameBits(h.readF32(fused, n), h.readF32(separate, n), 'mse grad through the sigmoid');
  });

  it('mseLoss with dout = 0 writes nothing and returns the same sum', () => {
    const rng = mulberry32(2);
    const n = 785;
    const y = h.randomF32(n, rng),
      t = h.randomF32(n, rng);
    const dout = h.allocF32(n);
    const withGrad = h.k.mseLoss(dout, y.ptr, t.ptr, n, 0.5, 0);
    const before = h.snapshot();
    const without = h.k.mseLoss(0, y.ptr, t.ptr, n, 0.5, 0);
    expect(without).toBe(withGrad);
    expect(h.snapshot()).toEqual(before);
  });

  it.each(SIZES)('bceSigmoidLoss: loss sum, σ(z) - t gradient and y = σ(z), n = %i', (n) => {
    const rng = mulberry32(n + 3);
    const z = h.randomF32(n, rng, -15, 15),
      t = h.putF32(targets(n, rng));
    const tData = h.readF32(t, n);
    const dz = h.allocF32(n),
      y = h.allocF32(n);
    const scale = f(1 / 1024);
    const loss = h.k.bceSigmoidLoss(dz, y, z.ptr, t, n, scale);
    let ref = 0,
      mag = 0;
    for (let i = 0; i < n; i++) {
      ref += bce(z.data[i], tData[i]);
      mag +=
        Math.abs(Math.max(z.data[i], 0)) + Math.abs(z.data[i] * tData[i]) + Math.log1p(Math.exp(-Math.abs(z.data[i])));
    }
    expect(Math.abs(loss - ref)).toBeLessThanOrEqual(1e-5 * mag + 1e-6);
    // σ(z) comes from the kernels' exp (1e-6 relative covers its < 4e-7 and the division); the
    // gradient adds a subtraction and a product, relative to the terms |σ| + |t|.
    const s = Array.from(z.data, sigma);
    expectClose(h.readF32(y, n), s, (i) => 1e-6 * s[i], 'y = sigma(z)');
    const g = s.map((v, i) => scale * (v - tData[i]));
    expectClose(h.readF32(dz, n), g, (i) => 1e-6 * scale * (s[i] + tData[i]) + 1e-38, 'bce grad');
  });

  it('bceSigmoidLoss stays finite and accurate for |z| up to 100', () => {
    const zs = [-100, -90, -88, -50, -20, 0, 20, 50, 88, 90, 100];
    const ts = [0, 1, 0.5];
    const z: number[] = [],
      t: number[] = [];
    for (const a of zs)
      for (const b of ts) {
        z.push(a);
        t.push(b);
      }
    const n = z.length;
    const zp = h.putF32(z),
      tp = h.putF32(t),
      dz = h.allocF32(n),
      y = h.allocF32(n);
    const loss = h.k.bceSigmoidLoss(dz, y, zp, tp, n, 1);
    expect(Number.isFinite(loss)).toBe(true);
    let ref = 0;
    for (let i = 0; i < n; i++) ref += bce(z[i], t[i]);
    expect(Math.abs(loss - ref)).toBeLessThanOrEqual(1e-5 * ref + 1e-6);
    const yv = h.readF32(y, n),
      g = h.readF32(dz, n);
    for (let i = 0; i < n; i++) {
      expect(yv[i] >= 0 && yv[i] <= 1, `y[${i}] = ${yv[i]}`).toBe(true);
      expect(Math.abs(yv[i] - sigma(z[i]))).toBeLessThanOrEqual(1e-6 * sigma(z[i]) + 1e-37);
      expect(Math.abs(g[i] - (sigma(z[i]) - t[i]))).toBeLessThanOrEqual(1e-6);
    }
    // One element at a time (the tail path) gives the same figures.
    for (let i = 0; i < n; i++) {
      const one = h.k.bceSigmoidLoss(0, 0, zp + 4 * i, tp + 4 * i, 1, 1);
      expect(Number.isFinite(one)).toBe(true);
      expect(Math.abs(one - bce(z[i], t[i]))).toBeLessThanOrEqual(1e-6 * (Math.abs(z[i]) + 1));
    }
  });

  it.each([3, 785])('bceSigmoidLoss with y == z (in place) matches out of place, n = %i', (n) => {
    const rng = mulberry32(n + 5);
    const zData = randomF32(n, rng, -10, 10),
      tData = targets(n, rng);
    const z = h.putF32(zData),
      t = h.putF32(tData),
      dz = h.allocF32(n),
      y = h.allocF32(n);
    const lossOut = h.k.bceSigmoidLoss(dz, y, z, t, n, 0.25);
    const dz2 = h.allocF32(n);
    const lossIn = h.k.bceSigmoidLoss(dz2, z, z, t, n, 0.25);
    expect(lossIn).toBe(lossOut);
    expectSameBits(h.readF32(z, n), h.readF32(y, n), 'y');
    expectSameBits(h.readF32(dz2, n), h.readF32(dz, n), 'dz');
  });

  it('bceSigmoidLoss with dz = 0 and y = 0 writes nothing', () => {
    const rng = mulberry32(6);
    const n = 17;
    const z = h.randomF32(n, rng, -5, 5),
      t = h.putF32(targets(n, rng));
    const dz = h.allocF32(n),
      y = h.allocF32(n);
    const full = h.k.bceSigmoidLoss(dz, y, z.ptr, t, n, 1);
    const before = h.snapshot();
    expect(h.k.bceSigmoidLoss(0, 0, z.ptr, t, n, 1)).toBe(full);
    expect(h.snapshot()).toEqual(before);
  });

  it('rowSquaredError gives Σ_c (y-t)² per row', () => {
    for (const rows of [1, 3, 5, 17]) {
      for (const cols of [1, 3, 5, 17, 783, 785]) {
        const rng = mulberry32(rows * 10000 + cols);
        const y = h.randomF32(rows * cols, rng, 0, 1),
          t = h.randomF32(rows * cols, rng, 0, 1);
        const out = h.allocF32(rows);
        h.k.rowSquaredError(out, y.ptr, t.ptr, rows, cols);
        const ref = new Float64Array(rows);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) ref[r] += (y.data[r * cols + c] - t.data[r * cols + c]) ** 2;
        }
        expectClose(h.readF32(out, rows), ref, (r) => 1e-5 * ref[r] + 1e-6, `rowSquaredError ${rows}x${cols}`);
        h.reset();
      }
    }
  });
});
