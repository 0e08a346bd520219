// The A side of bench/gemm-tiles-ab.js: gemmNN and gemmTN of assembly/gemm.ts with ONE set of
// tiles shared by both (the a-pointer step and the accumulator's start are arguments), instead
// of the NN and TN tiles written out separately. Same arithmetic in the same order, so the same
// bits; the question is only speed. Not part of the library: bench/gemm-tiles-ab.js copies it to a
// temporary folder as merged.ts (the .as name keeps it out of the TypeScript project) and compiles it.
import { madd, vrelu } from './simd'; // assembly/simd.ts, copied beside this file by the script

// @ts-ignore: decorator
@inline function clampRow(i: i32, M: i32): usize {
  return <usize>(i < M ? i : M - 1);
}

// @ts-ignore: decorator
@inline function fmaScalar(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.extract_lane(madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  }
  return a * b + c;
}

// Accumulators start from out (acc), else from bias (non-zero), else 0; a steps by aStep bytes.
export function tile4x8(o0: usize, o1: usize, o2: usize, o3: usize,
                        a0: usize, a1: usize, a2: usize, a3: usize,
                        b: usize, bias: usize, K: i32, aStep: usize, rowB: usize, acc: i32, relu: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (acc) {
    c00 = v128.load(o0); c01 = v128.load(o0, 16); c10 = v128.load(o1); c11 = v128.load(o1, 16);
    c20 = v128.load(o2); c21 = v128.load(o2, 16); c30 = v128.load(o3); c31 = v128.load(o3, 16);
  } else if (bias) {
    c00 = v128.load(bias); c01 = v128.load(bias, 16);
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
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
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; b += rowB;
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

function tile4x4(o0: usize, o1: usize, o2: usize, o3: usize,
                 a0: usize, a1: usize, a2: usize, a3: usize,
                 b: usize, bias: usize, K: i32, aStep: usize, rowB: usize, acc: i32, relu: i32): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  if (acc) { c0 = v128.load(o0); c1 = v128.load(o1); c2 = v128.load(o2); c3 = v128.load(o3); }
  else if (bias) { c0 = v128.load(bias); c1 = c0; c2 = c0; c3 = c0; }
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b);
    c0 = madd(v128.load32_splat(a0), b0, c0);
    c1 = madd(v128.load32_splat(a1), b0, c1);
    c2 = madd(v128.load32_splat(a2), b0, c2);
    c3 = madd(v128.load32_splat(a3), b0, c3);
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; b += rowB;
  }
  if (relu) { c0 = vrelu(c0); c1 = vrelu(c1); c2 = vrelu(c2); c3 = vrelu(c3); }
  v128.store(o0, c0); v128.store(o1, c1); v128.store(o2, c2); v128.store(o3, c3);
}

function tile4x1(o0: usize, o1: usize, o2: usize, o3: usize,
                 a0: usize, a1: usize, a2: usize, a3: usize,
                 b: usize, bias: usize, K: i32, aStep: usize, rowB: usize, acc: i32, relu: i32): void {
  let c0: f32 = 0, c1: f32 = 0, c2: f32 = 0, c3: f32 = 0;
  if (acc) { c0 = load<f32>(o0); c1 = load<f32>(o1); c2 = load<f32>(o2); c3 = load<f32>(o3); }
  else if (bias) { c0 = load<f32>(bias); c1 = c0; c2 = c0; c3 = c0; }
  for (let k = 0; k < K; k++) {
    const bk = load<f32>(b);
    c0 = fmaScalar(load<f32>(a0), bk, c0);
    c1 = fmaScalar(load<f32>(a1), bk, c1);
    c2 = fmaScalar(load<f32>(a2), bk, c2);
    c3 = fmaScalar(load<f32>(a3), bk, c3);
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; b += rowB;
  }
  if (relu) { c0 = max<f32>(c0, 0); c1 = max<f32>(c1, 0); c2 = max<f32>(c2, 0); c3 = max<f32>(c3, 0); }
  store<f32>(o0, c0); store<f32>(o1, c1); store<f32>(o2, c2); store<f32>(o3, c3);
}

// Both products over the shared tiles: NN walks a's rows (step 4 bytes), TN its columns (step rowA).
// @ts-ignore: decorator
@inline function product(out: usize, a: usize, b: usize, bias: usize, M: i32, K: i32, N: i32, tn: bool, acc: i32, relu: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>(tn ? M : K) << 2, rowB = <usize>N << 2;
  const aStep: usize = tn ? rowA : 4;
  const N8 = N & ~7, N4 = N & ~3;
  for (let i = 0; i < M; i += 4) {
    const r0 = clampRow(i, M), r1 = clampRow(i + 1, M), r2 = clampRow(i + 2, M), r3 = clampRow(i + 3, M);
    const a0 = tn ? a + (r0 << 2) : a + r0 * rowA, a1 = tn ? a + (r1 << 2) : a + r1 * rowA;
    const a2 = tn ? a + (r2 << 2) : a + r2 * rowA, a3 = tn ? a + (r3 << 2) : a + r3 * rowA;
    const o0 = out + r0 * rowB, o1 = out + r1 * rowB, o2 = out + r2 * rowB, o3 = out + r3 * rowB;
    let j = 0;
    for (; j < N8; j += 8) {
      const off = <usize>j << 2;
      tile4x8(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, bias ? bias + off : 0, K, aStep, rowB, acc, relu);
    }
    if (j < N4) {
      const off = <usize>j << 2;
      tile4x4(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, bias ? bias + off : 0, K, aStep, rowB, acc, relu);
      j += 4;
    }
    for (; j < N; j++) {
      const off = <usize>j << 2;
      tile4x1(o0 + off, o1 + off, o2 + off, o3 + off, a0, a1, a2, a3, b + off, bias ? bias + off : 0, K, aStep, rowB, acc, relu);
    }
  }
}

// gemmNN without the non-relu activations (the A/B is about the tiles).
export function gemmNN(out: usize, a: usize, b: usize, bias: usize, M: i32, K: i32, N: i32, act: i32, alpha: f32): void {
  product(out, a, b, bias, M, K, N, false, 0, act == 1 ? 1 : 0);
}

export function gemmTN(out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, accumulate: i32): void {
  product(out, a, b, 0, M, K, N, true, accumulate, 0);
}

export function heapBase(): usize {
  return __heap_base;
}
