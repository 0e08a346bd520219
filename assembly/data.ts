// Moving data into the float buffers the layers read: pixels u8 → f32 in [0, 1], rows picked by
// an index list (a shuffled batch), strided row copies and one-hot labels (a conditional model's
// label beside its image or code), partial sums of gradients, zeroing, the finiteness check.
import { loadPartial, storePartial } from './simd';

// @ts-ignore: decorator
@inline function u8RowToF32(out: usize, inp: usize, n: i32): void {
  const s = f32x4.splat(<f32>1 / <f32>255);
  const n16 = n & ~15;
  let i = 0;
  for (; i < n16; i += 16) {
    const bytes = v128.load(inp + <usize>i);
    const lo = i16x8.extend_low_i8x16_u(bytes), hi = i16x8.extend_high_i8x16_u(bytes);
    const o = out + (<usize>i << 2);
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), s));
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), s), 16);
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), s), 32);
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), s), 48);
  }
  const sc: f32 = <f32>1 / <f32>255;
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>load<u8>(inp + <usize>i) * sc);
}

export function u8ToF32(out: usize, inp: usize, n: i32): void {
  u8RowToF32(out, inp, n);
}

// out[r][c] = pixels[indices[r]][c] / 255, indices are u32. The rows of a shuffled batch lie
// anywhere in the stored set (47 MB for MNIST), so each is a run of cache and TLB misses: a first
// pass touches every 64-byte line of every row, independent loads the CPU overlaps, and the
// conversion then reads from cache.
export function gatherRowsU8(out: usize, pixels: usize, indices: usize, rows: i32, rowLen: i32): void {
  if (rows <= 0 || rowLen <= 0) return;
  let touched: u32 = 0;
  for (let r = 0; r < rows; r++) {
    const src = pixels + <usize>load<u32>(indices + (<usize>r << 2)) * <usize>rowLen;
    for (let c = 0; c < rowLen; c += 64) touched += load<u8>(src + <usize>c);
    touched += load<u8>(src + <usize>(rowLen - 1));
  }
  // Keeps the loads: out[0] is overwritten below.
  store<u32>(out, touched);
  const outRow = <usize>rowLen << 2;
  for (let r = 0; r < rows; r++) {
    const src = pixels + <usize>load<u32>(indices + (<usize>r << 2)) * <usize>rowLen;
    u8RowToF32(out + <usize>r * outRow, src, rowLen);
  }
}

// out[r][c] = src[indices[r]][c] for f32 data sets, every row's lines touched first as above.
export function gatherRowsF32(out: usize, src: usize, indices: usize, rows: i32, rowLen: i32): void {
  if (rows <= 0 || rowLen <= 0) return;
  const rowBytes = <usize>rowLen << 2;
  let touched: u32 = 0;
  for (let r = 0; r < rows; r++) {
    const from = src + <usize>load<u32>(indices + (<usize>r << 2)) * rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 64) touched += load<u8>(from + c);
    touched += load<u8>(from + rowBytes - 1);
  }
  store<u32>(out, touched);
  for (let r = 0; r < rows; r++) {
    const from = src + <usize>load<u32>(indices + (<usize>r << 2)) * rowBytes;
    memory.copy(out + <usize>r * rowBytes, from, rowBytes);
  }
}

// dst += src.
export function addF32(dst: usize, src: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(dst + o, f32x4.add(loadPartial(dst + o, n - i), loadPartial(src + o, n - i)), n - i);
  }
}

export function zeroF32(dst: usize, n: i32): void {
  memory.fill(dst, 0, <usize>n << 2);
}

// 1 when all n floats are finite, 0 otherwise: v - v is 0 for a finite v and NaN for NaN and
// ±Infinity, and NaN never equals 0. Run on a thread's freshly updated parameter slice, while it
// is still in cache, so a step that wrote a non-finite weight is caught before it is kept.
export function allFinite(ptr: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let ok = v128.not(zero);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const v = v128.load(ptr + (<usize>i << 2));
    ok = v128.and(ok, f32x4.eq(f32x4.sub(v, v), zero));
  }
  for (; i < n; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    if (v - v != 0) return 0;
  }
  return i32(i32x4.all_true(ok));
}

// out[r][0..classes) = one-hot of labels[indices[r]] (u8 labels, u32 indices; indices 0 means
// labels[r]), rows `outStride` floats apart. A label ≥ classes gives a row of zeros (the caller
// validates labels).
export function oneHotRows(out: usize, outStride: i32, labels: usize, indices: usize, rows: i32, classes: i32): void {
  for (let r = 0; r < rows; r++) {
    const dst = out + ((<usize>r * <usize>outStride) << 2);
    memory.fill(dst, 0, <usize>classes << 2);
    const at = indices ? <usize>load<u32>(indices + (<usize>r << 2)) : <usize>r;
    const label = <i32>load<u8>(labels + at);
    if (label < classes) store<f32>(dst + (<usize>label << 2), 1);
  }
}

// out[r][0..cols) = inp[r][0..cols), with each side's own row stride.
export function copyRows(out: usize, outStride: i32, inp: usize, inStride: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(out + ((<usize>r * <usize>outStride) << 2), inp + ((<usize>r * <usize>inStride) << 2), <usize>cols << 2);
  }
}
