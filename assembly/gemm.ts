// Matrix products for dense layers, f32, row-major, over raw byte pointers.
//
//   gemmNN: out[M×N]  = f(a[M×K] · b[K×N] (+ bias[N]))  forward  Y = f(X·W + b), f by code
//   gemmTN: out[M×N] (+)= a[K×M]ᵀ · b[K×N]              weights  dW (+)= Xᵀ·dZ
//   transpose, transposeInto: Wᵀ, so that the input gradient dX = dZ·Wᵀ is a gemmNN too
//
// Register blocking: a tile of 4 rows × 8 columns keeps 8 f32x4 accumulators, 2 vectors of b
// and 4 broadcasts of a in 14 of V8's 15 usable xmm registers. Larger tiles or K-unrolling
// spill and run slower here (see docs/benchmarks.md). A last block of fewer than 4 rows reuses
// the 4-row tile with its row pointers clamped to the last row: duplicate rows compute the same
// values from the same loads and store them to the same place, which is harmless even for the
// accumulating gemmTN, since every tile loads its outputs before it stores any.
import { activateRows } from './activations';
import { ACTIVATION_RELU, madd, vrelu } from './simd';

// @ts-ignore: decorator
@inline function clampRow(i: i32, M: i32): usize {
  return <usize>(i < M ? i : M - 1);
}

// ---- NN ------------------------------------------------------------------------------------

// 4×8 tile of out = a·b (+ bias), then max(·, 0) when `relu` (vrelu, as the activation kernels:
// fusing changes no bit). a0..a3 point at the rows' first element.
export function tileNN4x8(o0: usize, o1: usize, o2: usize, o3: usize,
                          a0: usize, a1: usize, a2: usize, a3: usize,
                          b: usize, bias: usize, K: i32, rowB: usize, relu: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  if (bias) { c00 = v128.load(bias); c01 = v128.load(bias, 16); }
  let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; b += rowB;
  }
  if (relu) {
    c00 = vrelu(c00); c01 = vrelu(c01); c10 = vrelu(c10); c11 = vrelu(c11);
    c20 = vrelu(c20); c21 = vrelu(c21); c30 = vrelu(c30); c31 = vrelu(c31);
  }
  v128.store(o0, c00); v128.store(o0, c01, 16);
  v128.store(o1, c10); v128.store(o1, c11, 16);
  v128.store(o2, c20); v128.store(o2, c21, 16);
  v128.store(o3, c30); v128.store(o3, c31, 16);
}

function tileNN4x4(o0: usize, o1: usize, o2: usize, o3: usize,
                   a0: usize, a1: usize, a2: usize, a3: usize,
                   b: usize, bias: usize, K: i32, rowB: usize, relu: i32): void {
  let c0 = f32x4.splat(0);
  if (bias) c0 = v128.load(bias);
  let c1 = c0, c2 = c0, c3 = c0;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b);
    c0 = madd(v128.load32_splat(a0), b0, c0);
    c1 = madd(v128.load32_splat(a1), b0, c1);
    c2 = madd(v128.load32_splat(a2), b0, c2);
    c3 = madd(v128.load32_splat(a3), b0, c3);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; b += rowB;
  }
  if (relu) {
    c0 = vrelu(c0); c1 = vrelu(c1); c2 = vrelu(c2); c3 = vrelu(c3);
  }
  v128.store(o0, c0); v128.store(o1, c1); v128.store(o2, c2); v128.store(o3, c3);
}

// One column: plain scalar arithmetic, in the same order as the vector lanes above.
function tileNN4x1(o0: usize, o1: usize, o2: usize, o3: usize,
                   a0: usize, a1: usize, a2: usize, a3: usize,
                   b: usize, bias: usize, K: i32, rowB: usize, relu: i32): void {
  let c0: f32 = bias ? load<f32>(bias) : 0;
  let c1 = c0, c2 = c0, c3 = c0;
  for (let k = 0; k < K; k++) {
    const bk = load<f32>(b);
    c0 = fmaScalar(load<f32>(a0), bk, c0);
    c1 = fmaScalar(load<f32>(a1), bk, c1);
    c2 = fmaScalar(load<f32>(a2), bk, c2);
    c3 = fmaScalar(load<f32>(a3), bk, c3);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; b += rowB;
  }
  if (relu) {
    // f32.max, as f32x4.max per lane: -0 → 0, NaN stays NaN.
    c0 = max<f32>(c0, 0); c1 = max<f32>(c1, 0); c2 = max<f32>(c2, 0); c3 = max<f32>(c3, 0);
  }
  store<f32>(o0, c0); store<f32>(o1, c1); store<f32>(o2, c2); store<f32>(o3, c3);
}

// Scalar multiply-add that rounds like the vector one of the same build, so a column's value
// does not depend on whether it fell in a vector block or in the scalar tail.
// @ts-ignore: decorator
@inline function fmaScalar(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.extract_lane(madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  }
  return a * b + c;
}

// out = f(a·b (+ bias)), f the activation of code `act` (simd.ts ACTIVATION_*, alpha: leaky
// relu's slope). A relu is applied by the tiles as they store; any other activation by
// activateRows over each block of 4 rows just after its tiles, while it is in L1 (inside the
// tile, its code made V8 spill the accumulators).
export function gemmNN(out: usize, a: usize, b: usize, bias: usize, M: i32, K: i32, N: i32, act: i32, alpha: f32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>K << 2, rowB = <usize>N << 2;
  const N8 = N & ~7, N4 = N & ~3;
  const relu = act == ACTIVATION_RELU ? 1 : 0;
  for (let i = 0; i < M; i += 4) {
    const r0 = clampRow(i, M), r1 = clampRow(i + 1, M), r2 = clampRow(i + 2, M), r3 = clampRow(i + 3, M);
    const a0 = a + r0 * rowA, a1 = a + r1 * rowA, a2 = a + r2 * rowA, a3 = a + r3 * rowA;
    const o0 = out + r0 * rowB, o1 = out + r1 * rowB, o2 = out + r2 * rowB, o3 = out + r3 * rowB;
    let j = 0;
    for (; j < N8; j += 8) {
      const off = <usize>j << 2;
      tileNN4x8(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, bias ? bias + off : 0, K, rowB, relu);
    }
    if (j < N4) {
      const off = <usize>j << 2;
      tileNN4x4(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, bias ? bias + off : 0, K, rowB, relu);
      j += 4;
    }
    for (; j < N; j++) {
      const off = <usize>j << 2;
      tileNN4x1(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, bias ? bias + off : 0, K, rowB, relu);
    }
    // The block's distinct rows (the last block's clamped duplicates are the same row).
    if (act > ACTIVATION_RELU) activateRows(o0, (M - i < 4 ? M - i : 4) * N, act, alpha);
  }
}

// ---- TN ------------------------------------------------------------------------------------
// out[i][j] += Σ_k a[k][i]·b[k][j] when `accumulate`, else out[i][j] = Σ_k a[k][i]·b[k][j] (the
// same bits as zeroing out first: the sums start from +0 either way; a chunk's gradient is written
// once per layer, so the engine needs no pass that zeroes it). The four broadcasts of a tile come from one row of a, so
// the k-loop walks four pointers down columns of a with the stride of a's rows.

export function tileTN4x8(o0: usize, o1: usize, o2: usize, o3: usize,
                          a0: usize, a1: usize, a2: usize, a3: usize,
                          b: usize, K: i32, rowA: usize, rowB: usize, acc: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (acc) {
    c00 = v128.load(o0); c01 = v128.load(o0, 16); c10 = v128.load(o1); c11 = v128.load(o1, 16);
    c20 = v128.load(o2); c21 = v128.load(o2, 16); c30 = v128.load(o3); c31 = v128.load(o3, 16);
  }
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    a0 += rowA; a1 += rowA; a2 += rowA; a3 += rowA; b += rowB;
  }
  v128.store(o0, c00); v128.store(o0, c01, 16);
  v128.store(o1, c10); v128.store(o1, c11, 16);
  v128.store(o2, c20); v128.store(o2, c21, 16);
  v128.store(o3, c30); v128.store(o3, c31, 16);
}

function tileTN4x4(o0: usize, o1: usize, o2: usize, o3: usize,
                   a0: usize, a1: usize, a2: usize, a3: usize,
                   b: usize, K: i32, rowA: usize, rowB: usize, acc: i32): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  if (acc) { c0 = v128.load(o0); c1 = v128.load(o1); c2 = v128.load(o2); c3 = v128.load(o3); }
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b);
    c0 = madd(v128.load32_splat(a0), b0, c0);
    c1 = madd(v128.load32_splat(a1), b0, c1);
    c2 = madd(v128.load32_splat(a2), b0, c2);
    c3 = madd(v128.load32_splat(a3), b0, c3);
    a0 += rowA; a1 += rowA; a2 += rowA; a3 += rowA; b += rowB;
  }
  v128.store(o0, c0); v128.store(o1, c1); v128.store(o2, c2); v128.store(o3, c3);
}

function tileTN4x1(o0: usize, o1: usize, o2: usize, o3: usize,
                   a0: usize, a1: usize, a2: usize, a3: usize,
                   b: usize, K: i32, rowA: usize, rowB: usize, acc: i32): void {
  let c0: f32 = 0, c1: f32 = 0, c2: f32 = 0, c3: f32 = 0;
  if (acc) { c0 = load<f32>(o0); c1 = load<f32>(o1); c2 = load<f32>(o2); c3 = load<f32>(o3); }
  for (let k = 0; k < K; k++) {
    const bk = load<f32>(b);
    c0 = fmaScalar(load<f32>(a0), bk, c0);
    c1 = fmaScalar(load<f32>(a1), bk, c1);
    c2 = fmaScalar(load<f32>(a2), bk, c2);
    c3 = fmaScalar(load<f32>(a3), bk, c3);
    a0 += rowA; a1 += rowA; a2 += rowA; a3 += rowA; b += rowB;
  }
  store<f32>(o0, c0); store<f32>(o1, c1); store<f32>(o2, c2); store<f32>(o3, c3);
}

export function gemmTN(out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, accumulate: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>M << 2, rowB = <usize>N << 2;
  const N8 = N & ~7, N4 = N & ~3;
  for (let i = 0; i < M; i += 4) {
    const r0 = clampRow(i, M), r1 = clampRow(i + 1, M), r2 = clampRow(i + 2, M), r3 = clampRow(i + 3, M);
    const a0 = a + (r0 << 2), a1 = a + (r1 << 2), a2 = a + (r2 << 2), a3 = a + (r3 << 2);
    const o0 = out + r0 * rowB, o1 = out + r1 * rowB, o2 = out + r2 * rowB, o3 = out + r3 * rowB;
    let j = 0;
    for (; j < N8; j += 8) {
      const off = <usize>j << 2;
      tileTN4x8(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, K, rowA, rowB, accumulate);
    }
    if (j < N4) {
      const off = <usize>j << 2;
      tileTN4x4(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, K, rowA, rowB, accumulate);
      j += 4;
    }
    for (; j < N; j++) {
      const off = <usize>j << 2;
      tileTN4x1(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, K, rowA, rowB, accumulate);
    }
  }
}

// ---- Transposes ---------------------------------------------------------------------------
// The input gradient dX = dZ·Wᵀ is a gemmNN over Wᵀ, which the engine keeps beside W (each
// thread transposes the rows of the weights it has just updated). Dot-product tiles along k were
// tried first and measured slower than transpose + NN (they need a horizontal sum per output and
// cannot fuse the multiply-add; the transpose moves K·N floats once, the product does M·K·N
// multiply-adds).

// out[cols×rows] = inp[rows×cols]ᵀ.
export function transpose(out: usize, inp: usize, rows: i32, cols: i32): void {
  transposeInto(out, rows, inp, rows, cols);
}

// out[j][i] = inp[i][j] for i < rows, j < cols, where out's rows are `outStride` floats apart:
// transposes a band of rows of a matrix into the matching band of columns of its transpose (a
// thread transposes the rows of the weights it just updated). 4×4 blocks of shuffles; edges
// element by element.
export function transposeInto(out: usize, outStride: i32, inp: usize, rows: i32, cols: i32): void {
  const inRow = <usize>cols << 2, outRow = <usize>outStride << 2;
  const R4 = rows & ~3, C4 = cols & ~3;
  for (let i = 0; i < R4; i += 4) {
    const src = inp + <usize>i * inRow;
    let j = 0;
    for (; j < C4; j += 4) {
      const s = src + (<usize>j << 2);
      const r0 = v128.load(s), r1 = v128.load(s + inRow), r2 = v128.load(s + 2 * inRow), r3 = v128.load(s + 3 * inRow);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = out + <usize>j * outRow + (<usize>i << 2);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d + outRow, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(d + 2 * outRow, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(d + 3 * outRow, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (; j < cols; j++) {
      for (let r = 0; r < 4; r++) {
        store<f32>(out + <usize>j * outRow + (<usize>(i + r) << 2), load<f32>(src + <usize>r * inRow + (<usize>j << 2)));
      }
    }
  }
  for (let i = R4; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      store<f32>(out + <usize>j * outRow + (<usize>i << 2), load<f32>(inp + <usize>i * inRow + (<usize>j << 2)));
    }
  }
}
