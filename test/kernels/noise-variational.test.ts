// The kernels that draw noise (assembly/noise.ts: denoising corruption; assembly/variational.ts:
// the variational bottleneck) against plain TypeScript: the same counter-based hash
// (assembly/random.ts) reimplemented, and the formulas in f64.
import { afterEach, describe, expect, it } from 'vitest';
import { KernelHarness, buildsToTest, expectClose, mulberry32 } from '../helpers/kernel-harness.js';

const f = Math.fround;
function hash32(x: number): number {
  x >>>= 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
const key = (seed: number, row: number, col: number): number =>
  hash32((seed ^ hash32((Math.imul(row, 0x9e3779b9) + col) >>> 0)) >>> 0);
const hi = (h: number): number => f((h >>> 16) * f(1 / 65536));
const lo = (h: number): number => f((h & 0xffff) * f(1 / 65536));
function normal(seed: number, row: number, col: number): number {
  const a = key(seed, row, col * 2),
    b = key(seed, row, col * 2 + 1);
  const s = f(f(f(hi(a) + lo(a)) + hi(b)) + lo(b));
  return f(f(s - 2) * f(1.7320508075688772));
}

describe.each(buildsToTest())('%s build: noise and the variational bottleneck', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  it('corruptRows: copy, gaussian (additive), masking and salt-and-pepper, into strided rows', () => {
    const rows = 3,
      cols = 17,
      stride = 20,
      seed = 0xdeadbeef,
      firstRow = 64;
    const rng = mulberry32(5);
    const clean = h.randomF32(rows * cols, rng, 0, 1);
    for (const [kind, level] of [
      [0, 0],
      [1, 0.3],
      [2, 0.25],
      [3, 0.2],
    ]) {
      const out = h.allocF32(rows * stride);
      h.k.corruptRows(out, stride, clean.ptr, rows, cols, kind, level, seed, firstRow);
      const got = h.readF32(out, rows * stride);
      let changed = 0;
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const x = clean.data[r * cols + c];
          const k = key(seed, firstRow + r, c);
          let y = x;
          if (kind === 1) y = f(x + f(f(level) * normal(seed, firstRow + r, c)));
          if (kind === 2 && hi(k) < f(level)) y = 0;
          if (kind === 3 && hi(k) < f(level)) y = lo(k) < 0.5 ? 0 : 1;
          expect(got[r * stride + c]).toBe(f(y));
          if (y !== x) changed++;
        }
      for (let r = 0; r < rows; r++) for (let c = cols; c < stride; c++) expect(got[r * stride + c]).toBe(0);
      if (kind === 0) expect(changed).toBe(0);
      else expect(changed).toBeGreaterThan(0);
    }
  });

  it('the gaussian noise is standard-normal-like: mean ≈ 0, variance ≈ 1 over 40,000 draws', () => {
    // corruptRows with level 1 on zeros writes the draws themselves: 0 + 1·n.
    const rows = 200,
      cols = 200;
    const out = h.allocF32(rows * cols);
    h.k.corruptRows(out, cols, h.allocF32(rows * cols), rows, cols, 1, 1, 99, 0);
    const v = h.readF32(out, rows * cols);
    let sum = 0,
      sq = 0;
    for (const x of v) {
      sum += x;
      sq += x * x;
    }
    const mean = sum / v.length,
      variance = sq / v.length - mean * mean;
    // Standard errors: 1/200 for the mean, ~0.007 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    for (let i = 0; i < 50; i++) expect(v[i]).toBe(normal(99, Math.floor(i / cols), i % cols));
  });

  it('vaeSample and vaeBackward follow the reparameterization and the KL formulas', () => {
    const rows = 5,
      latent = 3,
      zStride = 4,
      seed = 77,
      firstRow = 10,
      klScale = 0.01;
    const rng = mulberry32(12);
    const codes = h.randomF32(rows * 2 * latent, rng, -1, 1);
    const z = h.allocF32(rows * zStride),
      eps = h.allocF32(rows * latent);
    const kl = h.k.vaeSample(z, zStride, eps, codes.ptr, rows, latent, seed, firstRow);
    const zGot = h.readF32(z, rows * zStride),
      eGot = h.readF32(eps, rows * latent);
    let klRef = 0;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < latent; j++) {
        const mu = codes.data[r * 2 * latent + j],
          lv = codes.data[r * 2 * latent + latent + j];
        const e = normal(seed, firstRow + r, j);
        expect(eGot[r * latent + j]).toBe(e);
        expect(zGot[r * zStride + j]).toBeCloseTo(mu + Math.exp(lv / 2) * e, 5);
        klRef += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
      }
    expect(kl).toBeCloseTo(klRef, 4);
    const dz = h.randomF32(rows * zStride, rng, -1, 1);
    const dcodes = h.allocF32(rows * 2 * latent);
    h.k.vaeBackward(dcodes, dz.ptr, zStride, eps, codes.ptr, rows, latent, klScale);
    const ref: number[] = [],
      got = h.readF32(dcodes, rows * 2 * latent);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < latent; j++) ref.push(dz.data[r * zStride + j] + klScale * codes.data[r * 2 * latent + j]);
      for (let j = 0; j < latent; j++) {
        const lv = codes.data[r * 2 * latent + latent + j],
          g = dz.data[r * zStride + j];
        ref.push(g * eGot[r * latent + j] * 0.5 * Math.exp(lv / 2) + klScale * 0.5 * (Math.exp(lv) - 1));
      }
    }
    expectClose(got, ref, 1e-5, 'dcodes');
  });
});
