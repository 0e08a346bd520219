// Matrix products and transpose against float64 references on seeded random data.
//
// Tolerance for an f32 dot product of K terms: |got - ref| ≤ 1e-5·Σ|terms| + 1e-6. The
// worst-case bound of a sequential f32 sum is K·2^-24·Σ|terms| (4.7e-5 at K = 784), but the
// rounding errors of random data have random signs and grow like √K·2^-24 (≈ 2e-6 at K = 784),
// so 1e-5 leaves a wide margin while a single missing, doubled or wrong term (about Σ|terms|/K,
// ≥ 1e-3·Σ|terms| for these shapes) is far outside it. The 1e-6 covers sums that cancel to ~0.
import { afterEach, describe, expect, it } from 'vitest';
import { KernelHarness, buildsToTest, expectClose, expectSameBits, mulberry32 } from '../helpers/kernel-harness.js';

const SMALL = [1, 3, 4, 5, 12, 17]; // row blocks of 4 with 0..3 left; column tiles 8, 4 and 1
const REL = 1e-5,
  ABS = 1e-6;

/** out[i][j] = init[i][j] + Σ_k A(i,k)·B(k,j), with its Σ|terms| for the tolerance. */
function refProduct(
  M: number,
  K: number,
  N: number,
  A: (i: number, k: number) => number,
  B: (k: number, j: number) => number,
  init?: (i: number, j: number) => number,
) {
  const ref = new Float64Array(M * N),
    tol = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = init ? init(i, j) : 0,
        mag = Math.abs(s);
      for (let k = 0; k < K; k++) {
        const t = A(i, k) * B(k, j);
        s += t;
        mag += Math.abs(t);
      }
      ref[i * N + j] = s;
      tol[i * N + j] = REL * mag + ABS;
    }
  }
  return { ref, tol };
}

describe.each(buildsToTest())('%s build: gemm', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  function checkNN(M: number, K: number, N: number, withBias: boolean, seed: number) {
    const rng = mulberry32(seed);
    const a = h.randomF32(M * K, rng),
      b = h.randomF32(K * N, rng);
    const bias = withBias ? h.randomF32(N, rng) : { ptr: 0, data: new Float32Array(N) };
    const out = h.randomF32(M * N, rng); // garbage the kernel must overwrite
    h.k.gemmNN(out.ptr, a.ptr, b.ptr, bias.ptr, M, K, N, 0, 0);
    const { ref, tol } = refProduct(
      M,
      K,
      N,
      (i, k) => a.data[i * K + k],
      (k, j) => b.data[k * N + j],
      withBias ? (_i, j) => bias.data[j] : undefined,
    );
    const plain = h.readF32(out.ptr, M * N);
    expectClose(plain, ref, tol, `gemmNN ${M}x${K}x${N}${withBias ? '+bias' : ''}`);
    // An activation code: the same products, the activation applied as they are stored: the bits of
    // gemmNN then the activation's own kernel (relu, which has none, against max(x, 0)).
    const separate = h.allocF32(M * N);
    const activations: [number, string, (at: number, n: number) => void][] = [
      [
        1,
        'relu',
        (at, n) =>
          h.writeF32(
            at,
            h.readF32(at, n).map((v) => Math.max(v, 0) + 0),
          ),
      ],
      [2, 'leaky relu', (at, n) => h.k.leakyReluForward(at, at, n, 0.2)],
      [3, 'sigmoid', (at, n) => h.k.sigmoidForward(at, at, n)],
      [4, 'tanh', (at, n) => h.k.tanhForward(at, at, n)],
    ];
    for (const [code, name, apply] of activations) {
      const fused = h.randomF32(M * N, rng);
      h.k.gemmNN(fused.ptr, a.ptr, b.ptr, bias.ptr, M, K, N, code, 0.2);
      h.k.gemmNN(separate, a.ptr, b.ptr, bias.ptr, M, K, N, 0, 0);
      apply(separate, M * N);
      expectSameBits(h.readF32(fused.ptr, M * N), h.readF32(separate, M * N), `gemmNN ${name} ${M}x${K}x${N}`);
      if (code === 1)
        expect(h.readF32(fused.ptr, M * N).every((v, i) => Object.is(v, Math.max(plain[i], 0)))).toBe(true);
    }
    expectSameBits(h.readF32(a.ptr, M * K), a.data, 'a unchanged');
    expectSameBits(h.readF32(b.ptr, K * N), b.data, 'b unchanged');
    h.reset();
  }

  function checkTN(M: number, K: number, N: number, seed: number) {
    const rng = mulberry32(seed);
    const a = h.randomF32(K * M, rng),
      b = h.randomF32(K * N, rng);
    const out = h.randomF32(M * N, rng); // gemmTN accumulates into this
    h.k.gemmTN(out.ptr, a.ptr, b.ptr, M, K, N, 1);
    const { ref, tol } = refProduct(
      M,
      K,
      N,
      (i, k) => a.data[k * M + i],
      (k, j) => b.data[k * N + j],
      (i, j) => out.data[i * N + j],
    );
    expectClose(h.readF32(out.ptr, M * N), ref, tol, `gemmTN ${M}x${K}x${N}`);
    // accumulate = 0 overwrites whatever out held, with the bits of accumulating onto zeros.
    const assigned = h.randomF32(M * N, rng),
      zeros = h.allocF32(M * N);
    h.k.gemmTN(assigned.ptr, a.ptr, b.ptr, M, K, N, 0);
    h.k.gemmTN(zeros, a.ptr, b.ptr, M, K, N, 1);
    expectSameBits(h.readF32(assigned.ptr, M * N), h.readF32(zeros, M * N), `gemmTN ${M}x${K}x${N} assign`);
    h.reset();
  }

  // The input gradient's product dX = dZ·Wᵀ, as the engine computes it: Wᵀ by transpose, then gemmNN.
  function checkNT(M: number, K: number, N: number, seed: number) {
    const rng = mulberry32(seed);
    const a = h.randomF32(M * K, rng),
      b = h.randomF32(N * K, rng);
    const transposed = h.allocF32(K * N);
    const out = h.randomF32(M * N, rng);
    h.k.transpose(transposed, b.ptr, N, K);
    h.k.gemmNN(out.ptr, a.ptr, transposed, 0, M, K, N, 0, 0);
    const { ref, tol } = refProduct(
      M,
      K,
      N,
      (i, k) => a.data[i * K + k],
      (k, j) => b.data[j * K + k],
    );
    expectClose(h.readF32(out.ptr, M * N), ref, tol, `transpose + gemmNN ${M}x${K}x${N}`);
    expectSameBits(h.readF32(b.ptr, N * K), b.data, 'b unchanged');
    h.reset();
  }

  it('gemmNN without bias, every M, K, N in {1,3,4,5,12,17}', () => {
    let seed = 1;
    for (const M of SMALL) for (const K of SMALL) for (const N of SMALL) checkNN(M, K, N, false, seed++);
  });

  it('gemmNN with bias, every M, K, N in {1,3,4,5,12,17}', () => {
    let seed = 1000;
    for (const M of SMALL) for (const K of SMALL) for (const N of SMALL) checkNN(M, K, N, true, seed++);
  });

  it('gemmNN on layer shapes (256×784×64, 256×64×784) and odd ones (5×783×17, 3×17×785)', () => {
    checkNN(256, 784, 64, true, 1);
    checkNN(256, 64, 784, true, 2);
    checkNN(5, 783, 17, false, 3);
    checkNN(3, 17, 785, true, 4);
  });

  it('gemmNN with K = 0 gives the bias (or zeros)', () => {
    const rng = mulberry32(5);
    const bias = h.randomF32(7, rng);
    const out = h.randomF32(3 * 7, rng);
    h.k.gemmNN(out.ptr, h.allocF32(0), h.allocF32(0), bias.ptr, 3, 0, 7, 0, 0);
    expectSameBits(
      h.readF32(out.ptr, 21),
      Float32Array.from({ length: 21 }, (_, i) => bias.data[i % 7]),
    );
    h.k.gemmNN(out.ptr, h.allocF32(0), h.allocF32(0), 0, 3, 0, 7, 0, 0);
    expect([...h.readF32(out.ptr, 21)]).toEqual(new Array(21).fill(0));
  });

  it('gemmTN accumulates onto out, every M, K, N in {1,3,4,5,12,17}', () => {
    let seed = 2000;
    for (const M of SMALL) for (const K of SMALL) for (const N of SMALL) checkTN(M, K, N, seed++);
  });

  it('gemmTN on weight-gradient shapes (784×256×64, 64×256×784) and odd ones (785×5×3, 17×783×5)', () => {
    checkTN(784, 256, 64, 1);
    checkTN(64, 256, 784, 2);
    checkTN(785, 5, 3, 3);
    checkTN(17, 783, 5, 4);
  });

  it('a·bᵀ by transpose + gemmNN, every M, K, N in {1,3,4,5,12,17}', () => {
    let seed = 3000;
    for (const M of SMALL) for (const K of SMALL) for (const N of SMALL) checkNT(M, K, N, seed++);
  });

  it('a·bᵀ by transpose + gemmNN on input-gradient shapes (256×64×784, 64×256×784) and odd ones (5×785×3, 17×3×783)', () => {
    checkNT(256, 64, 784, 1);
    checkNT(64, 256, 784, 2);
    checkNT(5, 785, 3, 3);
    checkNT(17, 3, 783, 4);
  });

  it('transpose is exact for every shape in {1,3,4,5,17,783,785}², bit patterns included', () => {
    const dims = [1, 3, 4, 5, 17, 783, 785];
    let seed = 4000;
    for (const rows of dims) {
      for (const cols of dims) {
        if (rows * cols > 785 * 17) continue; // the largest squares add time and no new paths
        const rng = mulberry32(seed++);
        const inp = h.allocF32(rows * cols);
        const bits = h.f32Bits(inp, rows * cols);
        for (let i = 0; i < bits.length; i++) bits[i] = (rng() * 4294967296) >>> 0; // any pattern, NaNs too
        const src = h.readF32(inp, rows * cols);
        const out = h.allocF32(rows * cols);
        h.k.transpose(out, inp, rows, cols);
        const ref = new Float32Array(rows * cols);
        const refBits = new Uint32Array(ref.buffer),
          srcBits = new Uint32Array(src.buffer);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) refBits[j * rows + i] = srcBits[i * cols + j];
        expectSameBits(h.readF32(out, rows * cols), ref, `transpose ${rows}x${cols}`);
        h.reset();
      }
    }
  });

  it('transpose of a 64×784 weight matrix', () => {
    const rng = mulberry32(9);
    const inp = h.randomF32(64 * 784, rng);
    const out = h.allocF32(64 * 784);
    h.k.transpose(out, inp.ptr, 64, 784);
    const got = h.readF32(out, 64 * 784);
    const ref = new Float32Array(64 * 784);
    for (let i = 0; i < 64; i++) for (let j = 0; j < 784; j++) ref[j * 64 + i] = inp.data[i * 784 + j];
    expectSameBits(got, ref, 'transpose 64x784');
  });

  it('transposeInto writes a band of rows as the matching band of columns, nothing else', () => {
    // A 17×13 matrix transposed band by band (rows 0-4, 5-11, 12-16) must equal the whole
    // transpose, and each band must leave the other columns of the output untouched.
    const rows = 17,
      cols = 13;
    const rng = mulberry32(77);
    const inp = h.randomF32(rows * cols, rng);
    const whole = h.allocF32(rows * cols),
      banded = h.allocF32(rows * cols);
    h.k.transpose(whole, inp.ptr, rows, cols);
    h.writeF32(banded, new Float32Array(rows * cols).fill(-7));
    for (const [from, to] of [
      [0, 5],
      [5, 12],
      [12, 17],
    ]) {
      h.k.transposeInto(banded + from * 4, rows, inp.ptr + from * cols * 4, to - from, cols);
      const got = h.readF32(banded, rows * cols);
      for (let j = 0; j < cols; j++)
        for (let i = 0; i < rows; i++) {
          const expected = i < to ? inp.data[i * cols + j] : -7;
          if (got[j * rows + i] !== Math.fround(expected))
            throw new Error(`band ${from}-${to}: out[${j}][${i}] = ${got[j * rows + i]}, expected ${expected}`);
        }
    }
    expectSameBits(h.readF32(banded, rows * cols), h.readF32(whole, rows * cols), 'banded transpose');
  });
});
