// int8 inference: rows quantized to int16, weights int8 (one scale per output column), integer
// dot products, rescaled to f32 as they are stored.
//
//   quantizeRows:      q[r][k] = round(x[r][k] · qmax / max_k |x[r][k]|), scale[r] = max|x| / qmax
//                      (q's rows are Kpad ≥ K int16s apart, zero after K; so for the others)
//   quantizeRowsToF32: the same integers, written as floats (an image quantized before im2col)
//   f32ToI16Rows:      integer-valued floats (im2col of such an image) to int16 rows
//   quantizeU8Rows:    q[r][k] = pixel, scale[r] = 1/255 (exact: bytes need no rounding)
//   qgemm:             out[r][c] = act(f32(Σ_k q[r][k]·w[k][c]) · (scale[r / rowsPerScale]·wScale[c]) + bias[c])
//                      act: 0 none, 1 relu (a fused sigmoid measured slower than sigmoidForward after)
//
// Rows of q hold K values (K even, a zero after an odd count). Weights are packed per block of 8
// columns, k in pairs: for pair p the 16 bytes are w[2p][j], w[2p+1][j] for j = j0..j0+3, then
// the same for j0+4..j0+7; a column block is K·8 contiguous bytes. v128.load8x8_s widens 8 of
// them to i16 lanes, and i32x4.dot_i16x8_s of that with the broadcast pair (q[r][2p], q[r][2p+1])
// adds 2 products into each of 4 columns: 8 multiply-adds per instruction. The caller picks
// qmax so that K·qmax·127 < 2^31: the i32 sums cannot overflow.
//
// The tile is 4 rows × 8 columns (8 accumulators, 2 weight vectors, 4 broadcasts: 14 of V8's
// 15 usable xmm registers, as in gemm.ts); the last rows reuse it with clamped row pointers.

// @ts-ignore: decorator
@inline function clampRow(i: i32, M: i32): usize {
  return <usize>(i < M ? i : M - 1);
}

// 1/scale of row x (K floats), with its scale max|x| / qmax stored at `scaleAt`.
// @ts-ignore: decorator
@inline function rowInverse(x: usize, K: i32, qmax: f32, scaleAt: usize): f32 {
  const K4 = K & ~3;
  let m = f32x4.splat(0);
  let k = 0;
  // pmax is one maxps (inputs are finite: no NaN rule needed).
  for (; k < K4; k += 4) m = f32x4.pmax(m, f32x4.abs(v128.load(x + (<usize>k << 2))));
  let top = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; k < K; k++) top = max(top, abs(load<f32>(x + (<usize>k << 2))));
  store<f32>(scaleAt, top / qmax);
  return top > 0 ? qmax / top : 0;
}

// round-to-nearest-even of y (|y| < 2^22) as i32 lanes: adding 1.5·2^23 leaves the integer in the
// low mantissa bits (f32 addition rounds to nearest even, as f32x4.nearest), one add and one
// integer subtract instead of nearest + trunc_sat.
// @ts-ignore: decorator
@inline function roundToInt(y: v128): v128 {
  return i32x4.sub(f32x4.add(y, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
}

export function quantizeRows(out: usize, Kpad: i32, scales: usize, inp: usize, rows: i32, K: i32, qmax: f32): void {
  const K8 = K & ~7;
  for (let r = 0; r < rows; r++) {
    const x = inp + (<usize>r * <usize>K << 2);
    const q = out + (<usize>r * <usize>Kpad << 1);
    const s = f32x4.splat(rowInverse(x, K, qmax, scales + (<usize>r << 2)));
    let k = 0;
    for (; k < K8; k += 8) {
      const a = roundToInt(f32x4.mul(v128.load(x + (<usize>k << 2)), s));
      const b = roundToInt(f32x4.mul(v128.load(x + (<usize>k << 2), 16), s));
      v128.store(q + (<usize>k << 1), i16x8.narrow_i32x4_s(a, b));
    }
    const inv = f32x4.extract_lane(s, 0);
    for (; k < K; k++) store<i16>(q + (<usize>k << 1), <i16><i32>nearest<f32>(load<f32>(x + (<usize>k << 2)) * inv));
    for (; k < Kpad; k++) store<i16>(q + (<usize>k << 1), 0);
  }
}

export function quantizeRowsToF32(out: usize, scales: usize, inp: usize, rows: i32, K: i32, qmax: f32): void {
  const K4 = K & ~3;
  for (let r = 0; r < rows; r++) {
    const x = inp + (<usize>r * <usize>K << 2);
    const q = out + (<usize>r * <usize>K << 2);
    const s = f32x4.splat(rowInverse(x, K, qmax, scales + (<usize>r << 2)));
    let k = 0;
    const magic = f32x4.splat(12582912.0);
    for (; k < K4; k += 4) v128.store(q + (<usize>k << 2), f32x4.sub(f32x4.add(f32x4.mul(v128.load(x + (<usize>k << 2)), s), magic), magic));
    const inv = f32x4.extract_lane(s, 0);
    for (; k < K; k++) store<f32>(q + (<usize>k << 2), nearest<f32>(load<f32>(x + (<usize>k << 2)) * inv));
  }
}

export function f32ToI16Rows(out: usize, Kpad: i32, inp: usize, rows: i32, K: i32): void {
  const K8 = K & ~7;
  for (let r = 0; r < rows; r++) {
    const x = inp + (<usize>r * <usize>K << 2);
    const q = out + (<usize>r * <usize>Kpad << 1);
    let k = 0;
    for (; k < K8; k += 8) {
      const a = roundToInt(v128.load(x + (<usize>k << 2)));
      const b = roundToInt(v128.load(x + (<usize>k << 2), 16));
      v128.store(q + (<usize>k << 1), i16x8.narrow_i32x4_s(a, b));
    }
    for (; k < K; k++) store<i16>(q + (<usize>k << 1), <i16><i32>load<f32>(x + (<usize>k << 2)));
    for (; k < Kpad; k++) store<i16>(q + (<usize>k << 1), 0);
  }
}

export function quantizeU8Rows(out: usize, Kpad: i32, scales: usize, inp: usize, rows: i32, K: i32): void {
  const K8 = K & ~7;
  for (let r = 0; r < rows; r++) {
    const x = inp + <usize>r * <usize>K;
    const q = out + (<usize>r * <usize>Kpad << 1);
    store<f32>(scales + (<usize>r << 2), <f32>1.0 / <f32>255.0);
    let k = 0;
    for (; k < K8; k += 8) v128.store(q + (<usize>k << 1), v128.load8x8_u(x + <usize>k));
    for (; k < K; k++) store<i16>(q + (<usize>k << 1), <i16>load<u8>(x + <usize>k));
    for (; k < Kpad; k++) store<i16>(q + (<usize>k << 1), 0);
  }
}

// Stores the first `n` (0..4) lanes of v at ptr.
// @ts-ignore: decorator
@inline function storeLanes(ptr: usize, v: v128, n: i32): void {
  if (n >= 4) { v128.store(ptr, v); return; }
  if (n > 0) store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

// One row of a tile: act(f32(acc) · (scale·wScale) + bias), the first `cols` of 8 stored.
// @ts-ignore: decorator
@inline function finishRow(o: usize, lo: v128, hi: v128, scale: f32, wScale: usize, bias: usize, act: i32, cols: i32): void {
  const s = f32x4.splat(scale);
  let y0 = f32x4.mul(f32x4.convert_i32x4_s(lo), f32x4.mul(s, v128.load(wScale)));
  let y1 = f32x4.mul(f32x4.convert_i32x4_s(hi), f32x4.mul(s, v128.load(wScale, 16)));
  if (bias) { y0 = f32x4.add(y0, v128.load(bias)); y1 = f32x4.add(y1, v128.load(bias, 16)); }
  if (act == 1) { y0 = f32x4.max(y0, f32x4.splat(0)); y1 = f32x4.max(y1, f32x4.splat(0)); }
  if (cols >= 8) { v128.store(o, y0); v128.store(o, y1, 16); return; }
  storeLanes(o, y0, cols);
  storeLanes(o + 16, y1, cols - 4);
}

// Accumulates one k pair of one row into two column quads.
// @ts-ignore: decorator
@inline function dotPair(x: v128, w: v128, acc: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(x, w));
}

export function qtile4x8(o0: usize, o1: usize, o2: usize, o3: usize,
                         x0: usize, x1: usize, x2: usize, x3: usize,
                         s0: f32, s1: f32, s2: f32, s3: f32,
                         w: usize, pairs: i32, wScale: usize, bias: usize, act: i32, cols: i32): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let p = 0; p < pairs; p++) {
    const lo = v128.load8x8_s(w), hi = v128.load8x8_s(w, 8);
    let x = v128.load32_splat(x0);
    c00 = dotPair(x, lo, c00); c01 = dotPair(x, hi, c01);
    x = v128.load32_splat(x1);
    c10 = dotPair(x, lo, c10); c11 = dotPair(x, hi, c11);
    x = v128.load32_splat(x2);
    c20 = dotPair(x, lo, c20); c21 = dotPair(x, hi, c21);
    x = v128.load32_splat(x3);
    c30 = dotPair(x, lo, c30); c31 = dotPair(x, hi, c31);
    x0 += 4; x1 += 4; x2 += 4; x3 += 4; w += 16;
  }
  finishRow(o0, c00, c01, s0, wScale, bias, act, cols);
  finishRow(o1, c10, c11, s1, wScale, bias, act, cols);
  finishRow(o2, c20, c21, s2, wScale, bias, act, cols);
  finishRow(o3, c30, c31, s3, wScale, bias, act, cols);
}

// The last 1..4 columns of a block: only its first weight vector.
export function qtile4x4(o0: usize, o1: usize, o2: usize, o3: usize,
                         x0: usize, x1: usize, x2: usize, x3: usize,
                         s0: f32, s1: f32, s2: f32, s3: f32,
                         w: usize, pairs: i32, wScale: usize, bias: usize, act: i32, cols: i32): void {
  let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (let p = 0; p < pairs; p++) {
    const lo = v128.load8x8_s(w);
    c0 = dotPair(v128.load32_splat(x0), lo, c0);
    c1 = dotPair(v128.load32_splat(x1), lo, c1);
    c2 = dotPair(v128.load32_splat(x2), lo, c2);
    c3 = dotPair(v128.load32_splat(x3), lo, c3);
    x0 += 4; x1 += 4; x2 += 4; x3 += 4; w += 16;
  }
  const z = i32x4.splat(0);
  finishRow(o0, c0, z, s0, wScale, bias, act, cols);
  finishRow(o1, c1, z, s1, wScale, bias, act, cols);
  finishRow(o2, c2, z, s2, wScale, bias, act, cols);
  finishRow(o3, c3, z, s3, wScale, bias, act, cols);
}

// out[M×N] from q[M×K] (int16, K even), packed weights, row scales (one per `rowsPerScale` rows:
// a conv layer's image quantized as a whole) and column scales; wScale and bias (0: none) hold N
// rounded up to 8 floats.
export function qgemm(out: usize, xq: usize, xScale: usize, rowsPerScale: i32, wq: usize, wScale: usize, bias: usize,
                      M: i32, K: i32, N: i32, act: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowX = <usize>K << 1, rowO = <usize>N << 2, block = <usize>K << 3;
  const pairs = K >> 1;
  for (let i = 0; i < M; i += 4) {
    const r0 = clampRow(i, M), r1 = clampRow(i + 1, M), r2 = clampRow(i + 2, M), r3 = clampRow(i + 3, M);
    const s0 = load<f32>(xScale + (<usize>(<i32>r0 / rowsPerScale) << 2)), s1 = load<f32>(xScale + (<usize>(<i32>r1 / rowsPerScale) << 2));
    const s2 = load<f32>(xScale + (<usize>(<i32>r2 / rowsPerScale) << 2)), s3 = load<f32>(xScale + (<usize>(<i32>r3 / rowsPerScale) << 2));
    const o0 = out + r0 * rowO, o1 = out + r1 * rowO, o2 = out + r2 * rowO, o3 = out + r3 * rowO;
    const x0 = xq + r0 * rowX, x1 = xq + r1 * rowX, x2 = xq + r2 * rowX, x3 = xq + r3 * rowX;
    for (let j = 0; j < N; j += 8) {
      const off = <usize>j << 2, w = wq + <usize>(j >> 3) * block, b = bias ? bias + off : 0;
      if (N - j > 4) qtile4x8(o0 + off, o1 + off, o2 + off, o3 + off, x0, x1, x2, x3, s0, s1, s2, s3, w, pairs, wScale + off, b, act, N - j);
      else qtile4x4(o0 + off, o1 + off, o2 + off, o3 + off, x0, x1, x2, x3, s0, s1, s2, s3, w, pairs, wScale + off, b, act, N - j);
    }
  }
}
