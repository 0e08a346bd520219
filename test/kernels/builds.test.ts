// Which builds run, that the relaxed one really is the fused-multiply-add build, and the
// harness's own invariants (heap base, guards).
import { describe, expect, it } from 'vitest';
import {
  KernelHarness,
  buildsToTest,
  compileBuild,
  fmaf,
  mulberry32,
  relaxedSupport,
  wasmBytes,
} from '../helpers/kernel-harness.js';

const EXPORTS = [
  'heapBase',
  'gemmNN',
  'gemmTN',
  'transpose',
  'transposeInto',
  'leakyReluForward',
  'sigmoidForward',
  'tanhForward',
  'reluBackward',
  'leakyReluBackward',
  'sigmoidBackward',
  'tanhBackward',
  'biasBackward',
  'biasActivation',
  'mseLoss',
  'bceSigmoidLoss',
  'rowSquaredError',
  'sgdStep',
  'adamStep',
  'u8ToF32',
  'gatherRowsU8',
  'gatherRowsF32',
  'copyRows',
  'oneHotRows',
  'addF32',
  'zeroF32',
  'allFinite',
  'peakProbe',
  'peakProbeFlops',
  'quantizeRows',
  'quantizeRowsToF32',
  'f32ToI16Rows',
  'quantizeU8Rows',
  'qgemm',
  'corruptRows',
  'vaeSample',
  'vaeBackward',
  'im2col',
  'col2imAdd',
  // Codes, as constant globals (codes.test.ts).
  'ACTIVATION_LINEAR',
  'ACTIVATION_RELU',
  'ACTIVATION_LEAKY_RELU',
  'ACTIVATION_SIGMOID',
  'ACTIVATION_TANH',
  'NOISE_NONE',
  'NOISE_GAUSSIAN',
  'NOISE_MASKING',
  'NOISE_SALT_AND_PEPPER',
];

describe('builds', () => {
  it('always tests the simd build, and the relaxed one exactly when it validates', () => {
    const builds = buildsToTest();
    expect(builds[0]).toBe('simd');
    expect(WebAssembly.validate(wasmBytes('simd'))).toBe(true);
    expect(builds.includes('relaxed')).toBe(WebAssembly.validate(wasmBytes('relaxed')));
    expect(builds.includes('relaxed')).toBe(relaxedSupport().ok);
  });
});

describe.each(buildsToTest())('%s build', (build) => {
  it('exports every kernel and code and imports only its memory', () => {
    const module = compileBuild(build);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => e.name)
        .sort(),
    ).toEqual([...EXPORTS].sort());
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it('heapBase() is a small non-negative offset and the arena starts above it, 64-aligned', () => {
    const h = new KernelHarness(build);
    const hb = h.k.heapBase();
    expect(Number.isInteger(hb) && hb >= 0 && hb < 65536).toBe(true);
    expect(h.base).toBeGreaterThanOrEqual(hb);
    expect(h.base % 64).toBe(0);
    expect(h.alloc(12) % 64).toBe(0);
    h.reset();
  });

  it('the harness guards catch a write one float past an array', () => {
    const h = new KernelHarness(build);
    const p = h.allocF32(5);
    h.k.zeroF32(p, 5);
    h.checkGuards();
    h.k.zeroF32(p, 6);
    expect(() => h.checkGuards()).toThrow(/guard after/);
  });

  it('gemmNN rounds every multiply-add as this build should (simd: mul then add; relaxed: fused)', () => {
    // One row times a long matrix: each output is a chain of K multiply-adds in k order, which
    // the kernel documents. Emulate both roundings exactly and check which one the build matches.
    const h = new KernelHarness(build);
    const rng = mulberry32(7);
    const K = 512,
      N = 13; // 8-wide tile, 4-wide tile and a scalar column
    const a = h.randomF32(K, rng),
      b = h.randomF32(K * N, rng);
    const out = h.allocF32(N);
    h.k.gemmNN(out, a.ptr, b.ptr, 0, 1, K, N, 0, 0);
    const got = h.readF32(out, N);
    const separate = new Float32Array(N),
      fused = new Float32Array(N);
    for (let j = 0; j < N; j++) {
      let s = 0,
        f = 0;
      for (let k = 0; k < K; k++) {
        s = Math.fround(Math.fround(a.data[k] * b.data[k * N + j]) + s);
        f = fmaf(a.data[k], b.data[k * N + j], f);
      }
      separate[j] = s;
      fused[j] = f;
    }
    // The two roundings must give different results here, or the test would prove nothing.
    expect([...separate].some((x, j) => x !== fused[j])).toBe(true);
    expect([...got]).toEqual([...(build === 'relaxed' ? fused : separate)]);
    h.reset();
  });

  it('peakProbe returns a finite number', () => {
    const h = new KernelHarness(build);
    const r = h.k.peakProbe(10_000, 0.5);
    expect(Number.isFinite(r)).toBe(true);
    // Each chain starts near 0.5 and moves by ×0.999999 and/or +1e-7 per step, so after 10 000
    // steps it is still ≈ 0.5: lane 0 of the twelve chains' sum is about 6.
    expect(r).toBeGreaterThan(5.5);
    expect(r).toBeLessThan(6.5);
    expect(Number.isFinite(h.k.peakProbe(0, 1))).toBe(true);
  });

  it('peakProbeFlops gives the flops of one probe iteration: 12 chains × 4 lanes × 2', () => {
    // Each chain step is a multiply-add (fused or not): 2 flops per lane.
    const h = new KernelHarness(build);
    expect(h.k.peakProbeFlops()).toBe(12 * 4 * 2);
  });
});
