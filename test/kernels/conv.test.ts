// Convolution data movement against six-nested-loop references. im2col and broadcastRows copy,
// so they must match bit for bit; col2imAdd adds in the documented order n, oh, ow, kh, kw, c,
// so it must match an f32 reference that rounds after every add in that order, bit for bit.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KernelHarness, U32, buildsToTest, expectClose, expectSameBits, mulberry32, type Rng,
} from '../helpers/kernel-harness.js';

interface Geometry {
  images: number; H: number; W: number; C: number; OH: number; OW: number;
  kernel: number; stride: number; padTop: number; padLeft: number;
}

type Padding = 'same' | 'valid';

/** Positions along one axis and the padding before it, as Keras computes them for conv2d. */
function convAxis(size: number, kernel: number, stride: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [Math.floor((size - kernel) / stride) + 1, 0];
  const positions = Math.ceil(size / stride);
  return [positions, Math.floor(Math.max((positions - 1) * stride + kernel - size, 0) / 2)];
}

/** The image side of a conv2dTranspose whose input is `positions` long (Keras output length). */
function transposeAxis(positions: number, kernel: number, stride: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [positions * stride + Math.max(kernel - stride, 0), 0];
  const size = positions * stride;
  return [size, Math.floor(Math.max((positions - 1) * stride + kernel - size, 0) / 2)];
}

const IMAGE_SIZES: [number, number][] = [[1, 1], [5, 7], [6, 6], [9, 4]];
const CHANNELS = [1, 3, 5, 16];
const KERNELS = [1, 3, 5];
const STRIDES = [1, 2];
const PADDINGS: Padding[] = ['same', 'valid'];

/** Every conv2d geometry of the grid above (skipping 'valid' ones that leave no output), then
 *  conv2dTranspose ones (whose image can have pixels no patch covers), a 7×7 kernel, and a padding
 *  so wide that whole patches fall outside the image. */
function geometries(): Geometry[] {
  const out: Geometry[] = [];
  let images = 0;
  const nextImages = () => (images++ % 3) + 1;
  for (const [H, W] of IMAGE_SIZES) {
    for (const C of CHANNELS) {
      for (const kernel of KERNELS) {
        for (const stride of STRIDES) {
          for (const padding of PADDINGS) {
            const [OH, padTop] = convAxis(H, kernel, stride, padding);
            const [OW, padLeft] = convAxis(W, kernel, stride, padding);
            if (OH > 0 && OW > 0) out.push({ images: nextImages(), H, W, C, OH, OW, kernel, stride, padTop, padLeft });
            const [TH, tTop] = transposeAxis(H, kernel, stride, padding);
            const [TW, tLeft] = transposeAxis(W, kernel, stride, padding);
            out.push({ images: nextImages(), H: TH, W: TW, C, OH: H, OW: W, kernel, stride, padTop: tTop, padLeft: tLeft });
          }
        }
      }
    }
  }
  for (const [H, W] of [[6, 6], [9, 4], [1, 1]]) {
    const [OH, padTop] = convAxis(H, 7, 1, 'same'), [OW, padLeft] = convAxis(W, 7, 1, 'same');
    out.push({ images: 2, H, W, C: 3, OH, OW, kernel: 7, stride: 1, padTop, padLeft });
  }
  out.push({ images: 2, H: 2, W: 3, C: 5, OH: 8, OW: 11, kernel: 3, stride: 1, padTop: 4, padLeft: 5 });
  out.push({ images: 1, H: 7, W: 5, C: 3, OH: 3, OW: 2, kernel: 3, stride: 3, padTop: 0, padLeft: 0 });
  return out;
}

const GEOMETRIES = geometries();
const describeGeometry = (g: Geometry) =>
  `${g.images}×${g.H}×${g.W}×${g.C} k${g.kernel} s${g.stride} pad ${g.padTop},${g.padLeft} → ${g.OH}×${g.OW}`;
const imageFloats = (g: Geometry) => g.images * g.H * g.W * g.C;
const colFloats = (g: Geometry) => g.images * g.OH * g.OW * g.kernel * g.kernel * g.C;
const args = (g: Geometry) =>
  [g.images, g.H, g.W, g.C, g.OH, g.OW, g.kernel, g.stride, g.padTop, g.padLeft] as const;

/** Calls visit(colIndex, imageIndex or -1 for padding) for every tap, in n, oh, ow, kh, kw, c order. */
function forEachTap(g: Geometry, visit: (col: number, pixel: number) => void): void {
  const { images, H, W, C, OH, OW, kernel, stride, padTop, padLeft } = g;
  let col = 0;
  for (let n = 0; n < images; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < kernel; kh++) {
          for (let kw = 0; kw < kernel; kw++) {
            const ih = oh * stride + kh - padTop, iw = ow * stride + kw - padLeft;
            const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            for (let c = 0; c < C; c++) visit(col++, inside ? ((n * H + ih) * W + iw) * C + c : -1);
          }
        }
      }
    }
  }
}

function refIm2col(g: Geometry, image: Float32Array): Float32Array {
  const cols = new Float32Array(colFloats(g));
  const colBits = new Uint32Array(cols.buffer), imageBits = new Uint32Array(image.buffer, image.byteOffset, image.length);
  forEachTap(g, (col, pixel) => { colBits[col] = pixel < 0 ? 0 : imageBits[pixel]; });
  return cols;
}

function refCol2imAdd(g: Geometry, image: Float32Array, cols: Float32Array): Float32Array {
  const out = image.slice();
  forEachTap(g, (col, pixel) => { if (pixel >= 0) out[pixel] = Math.fround(out[pixel] + cols[col]); });
  return out;
}

/** Random bit patterns: every float, NaNs with payloads and -0 included. */
function randomBits(h: KernelHarness, n: number, rng: Rng): { ptr: number; data: Float32Array } {
  const ptr = h.allocF32(n);
  const bits = h.f32Bits(ptr, n);
  for (let i = 0; i < n; i++) bits[i] = (rng() * 4294967296) >>> 0;
  return { ptr, data: h.readF32(ptr, n) };
}

describe.each(buildsToTest())('%s build: conv', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  it(`the geometries cover what they should (${GEOMETRIES.length} cases)`, () => {
    expect(GEOMETRIES.some((g) => g.kernel === 7)).toBe(true);
    expect(GEOMETRIES.some((g) => g.padTop > 0 && g.padLeft > 0 && g.stride === 2)).toBe(true);
    expect(GEOMETRIES.some((g) => (g.OW - 1) * g.stride - g.padLeft >= g.W)).toBe(true); // a patch wholly right of the image
    expect(GEOMETRIES.some((g) => g.kernel <= g.padLeft)).toBe(true); // wholly left of it
  });

  it('im2col copies every tap bit for bit and writes zeros for padding', () => {
    let seed = 1;
    for (const g of GEOMETRIES) {
      const rng = mulberry32(seed++);
      const image = randomBits(h, imageFloats(g), rng);
      const cols = randomBits(h, colFloats(g), rng); // garbage the kernel must overwrite
      h.k.im2col(cols.ptr, image.ptr, ...args(g));
      expectSameBits(h.readF32(cols.ptr, colFloats(g)), refIm2col(g, image.data), `im2col ${describeGeometry(g)}`);
      expectSameBits(h.readF32(image.ptr, imageFloats(g)), image.data, 'image unchanged');
      h.reset();
    }
  });

  it('col2imAdd accumulates onto the image in the order n, oh, ow, kh, kw, c, bit for bit', () => {
    let seed = 1000;
    for (const g of GEOMETRIES) {
      const rng = mulberry32(seed++);
      const image = h.randomF32(imageFloats(g), rng);
      const cols = h.randomF32(colFloats(g), rng);
      h.k.col2imAdd(image.ptr, cols.ptr, ...args(g));
      expectSameBits(h.readF32(image.ptr, imageFloats(g)), refCol2imAdd(g, image.data, cols.data), `col2imAdd ${describeGeometry(g)}`);
      expectSameBits(h.readF32(cols.ptr, colFloats(g)), cols.data, 'cols unchanged');
      h.reset();
    }
  });

  it('col2imAdd is the adjoint of im2col: <im2col(x), y> = <x, col2imAdd(0, y)>', () => {
    let seed = 2000;
    for (const g of GEOMETRIES) {
      const rng = mulberry32(seed++);
      const x = h.randomF32(imageFloats(g), rng), y = h.randomF32(colFloats(g), rng);
      const cols = h.allocF32(colFloats(g)), z = h.allocF32(imageFloats(g));
      h.k.im2col(cols, x.ptr, ...args(g));
      h.k.col2imAdd(z, y.ptr, ...args(g));
      const xCols = h.readF32(cols, colFloats(g)), zData = h.readF32(z, imageFloats(g));
      let left = 0, right = 0, mag = 0;
      for (let i = 0; i < y.data.length; i++) { left += xCols[i] * y.data[i]; mag += Math.abs(xCols[i] * y.data[i]); }
      for (let i = 0; i < x.data.length; i++) right += x.data[i] * zData[i];
      // Each z pixel is an f32 sum of at most kernel² taps: error ≤ kernel²·2^-24 of its Σ|y|.
      expectClose([right], [left], 2 * g.kernel * g.kernel * U32 * mag + 1e-12, `adjoint ${describeGeometry(g)}`);
      h.reset();
    }
  });

  it('broadcastRows repeats one row bit for bit', () => {
    let seed = 3000;
    for (const rows of [0, 1, 3, 7]) {
      for (const cols of [1, 3, 4, 5, 8, 16, 17, 33]) {
        const rng = mulberry32(seed++);
        const row = randomBits(h, cols, rng);
        const out = randomBits(h, rows * cols, rng);
        h.k.broadcastRows(out.ptr, row.ptr, rows, cols);
        const ref = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) ref.set(row.data, r * cols);
        expectSameBits(h.readF32(out.ptr, rows * cols), ref, `broadcastRows ${rows}×${cols}`);
        expectSameBits(h.readF32(row.ptr, cols), row.data, 'row unchanged');
        h.reset();
      }
    }
  });
});
