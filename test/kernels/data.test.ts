// Data movement kernels: all exact, so the references are exact too.
import { afterEach, describe, expect, it } from 'vitest';
import { KernelHarness, buildsToTest, expectExact, expectSameBits, mulberry32 } from '../helpers/kernel-harness.js';

const SIZES = [0, 1, 3, 5, 15, 16, 17, 31, 33, 783, 784, 785];
const f = Math.fround;
const INV255 = f(1 / 255);
/** What the kernels compute: the f32 product of the byte and the f32 nearest 1/255. */
const pixel = (b: number) => f(b * INV255);

describe.each(buildsToTest())('%s build: data', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  it.each(SIZES)('u8ToF32 is exact, n = %i', (n) => {
    const inp = h.randomU8(n, mulberry32(n));
    const out = h.allocF32(n);
    h.k.u8ToF32(out, inp.ptr, n);
    expectExact(h.readF32(out, n), Array.from(inp.data, pixel));
  });

  it('u8ToF32 maps every byte value, 0 → 0 and 255 → 1', () => {
    const bytes = Array.from({ length: 256 }, (_, i) => i);
    const inp = h.putU8(bytes),
      out = h.allocF32(256);
    h.k.u8ToF32(out, inp, 256);
    const got = h.readF32(out, 256);
    expectExact(got, bytes.map(pixel));
    expect(got[0]).toBe(0);
    expect(got[255]).toBe(1);
  });

  it.each([1, 3, 5, 16, 17, 784, 785])('gatherRowsU8 picks rows by index and scales them, rowLen = %i', (rowLen) => {
    const rng = mulberry32(rowLen);
    const count = 11;
    const pixels = h.randomU8(count * rowLen, rng);
    const indices = [10, 0, 3, 3, 7, 0, 10, 1];
    const idx = h.putU32(indices);
    const out = h.allocF32(indices.length * rowLen);
    h.k.gatherRowsU8(out, pixels.ptr, idx, indices.length, rowLen);
    const ref = indices.flatMap((r) => Array.from(pixels.data.subarray(r * rowLen, (r + 1) * rowLen), pixel));
    expectExact(h.readF32(out, indices.length * rowLen), ref);
  });

  it.each([1, 3, 5, 17, 784, 785])('gatherRowsF32 copies rows bit for bit, rowLen = %i', (rowLen) => {
    const rng = mulberry32(rowLen + 50);
    const count = 9;
    const src = h.allocF32(count * rowLen);
    const bits = h.f32Bits(src, count * rowLen);
    for (let i = 0; i < bits.length; i++) bits[i] = (rng() * 4294967296) >>> 0; // NaN payloads too
    const srcData = h.readF32(src, count * rowLen);
    const indices = [8, 0, 4, 4, 1, 8];
    const idx = h.putU32(indices);
    const out = h.allocF32(indices.length * rowLen);
    h.k.gatherRowsF32(out, src, idx, indices.length, rowLen);
    const ref = new Float32Array(indices.length * rowLen);
    indices.forEach((r, k) => {
      ref.set(srcData.subarray(r * rowLen, (r + 1) * rowLen), k * rowLen);
    });
    expectSameBits(h.readF32(out, ref.length), ref);
  });

  it('gather with zero rows or empty rows writes nothing', () => {
    const pixels = h.randomU8(16, mulberry32(1)),
      src = h.randomF32(16, mulberry32(2));
    const idx = h.putU32([0]),
      out = h.randomF32(16, mulberry32(3)).ptr;
    const before = h.snapshot();
    h.k.gatherRowsU8(out, pixels.ptr, idx, 0, 16);
    h.k.gatherRowsF32(out, src.ptr, idx, 0, 16);
    h.k.gatherRowsU8(out, pixels.ptr, idx, 1, 0);
    h.k.gatherRowsF32(out, src.ptr, idx, 1, 0);
    expect(h.snapshot()).toEqual(before);
  });

  it.each(SIZES)('addF32 adds in place, exactly as f32, n = %i', (n) => {
    const rng = mulberry32(n + 100);
    const dst = h.randomF32(n, rng, -100, 100),
      src = h.randomF32(n, rng);
    h.k.addF32(dst.ptr, src.ptr, n);
    expectExact(
      h.readF32(dst.ptr, n),
      Array.from(dst.data, (v, i) => f(v + src.data[i])),
    );
    expectSameBits(h.readF32(src.ptr, n), src.data, 'src unchanged');
  });

  it.each(SIZES)('zeroF32 zeroes exactly n floats, n = %i', (n) => {
    const dst = h.randomF32(n, mulberry32(n + 200));
    h.k.zeroF32(dst.ptr, n);
    const got = h.readF32(dst.ptr, n);
    expect(got.every((v) => Object.is(v, 0))).toBe(true);
  });

  it.each(SIZES)('allFinite finds one NaN or ±Infinity anywhere in n floats, and nothing past n, n = %i', (n) => {
    const dst = h.randomF32(n + 4, mulberry32(n + 300), -3e38, 3e38);
    expect(h.k.allFinite(dst.ptr, n)).toBe(1);
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let i = 0; i < n; i++) {
        const view = new Float32Array(h.memory.buffer, dst.ptr, n + 4);
        const kept = view[i];
        view[i] = bad;
        expect(h.k.allFinite(dst.ptr, n)).toBe(0);
        view[i] = kept;
      }
    }
    // Past the end does not count.
    new Float32Array(h.memory.buffer, dst.ptr, n + 4)[n] = NaN;
    expect(h.k.allFinite(dst.ptr, n)).toBe(1);
  });

  it('oneHotRows (by indices and by row) and copyRows with strides', () => {
    const labels = h.putU8([3, 0, 2, 1, 9]);
    const indices = h.putU32([4, 0, 2]);
    const out = h.allocF32(3 * 6);
    h.k.oneHotRows(out + 4, 6, labels, indices, 3, 4);
    // Rows start one float in and are 6 apart: label 9 (out of range) → zeros, 3 → float 7+3, 2 → float 13+2.
    const expected = new Array(18).fill(0);
    expected[10] = 1;
    expected[15] = 1;
    expect([...h.readF32(out, 18)]).toEqual(expected);
    const direct = h.allocF32(2 * 4);
    h.k.oneHotRows(direct, 4, labels, 0, 2, 4);
    expect([...h.readF32(direct, 8)]).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    const src = h.putF32([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dst = h.allocF32(3 * 2);
    h.k.copyRows(dst, 2, src, 3, 3, 2);
    expect([...h.readF32(dst, 6)]).toEqual([1, 2, 4, 5, 7, 8]);
  });
});
