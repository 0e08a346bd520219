// Convolution data movement against six-nested-loop references. im2col copies, so it must
// match bit for bit; col2imAdd adds in the documented order n, oh, ow, kh, kw, c,
// so it must match an f32 reference that rounds after every add in that order, bit for bit.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KernelHarness,
  U32,
  buildsToTest,
  expectClose,
  expectSameBits,
  mulberry32,
  type Rng,
} from '../helpers/kernel-harness.js';

interface Geometry {
  images: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  kernel: number;
  stride: number;
  padTop: number;
  padLeft: number;
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

const IMAGE_SIZES: [number, number][] = [
  [1, 1],
  [5, 7],
  [6, 6],
  [9, 4],
];
const CHANNELS = [1, 3, 5, 16];
const KERNELS = [1, 3, 5];
const STRIDES = [1, 2];
const PADDINGS: Padding[] = ['same', 'valid'];

/** Every conv2d geometry of a grid (skipping 'valid' ones that leave no output), each followed by
 *  the conv2dTranspose one (whose image can have pixels no patch covers); 1 to 3 images in turn. */
function grid(sizes: [number, number][], channels: number[], kernels: number[], strides: number[]): Geometry[] {
  const out: Geometry[] = [];
  let images = 0;
  const nextImages = () => (images++ % 3) + 1;
  for (const [H, W] of sizes) {
    for (const C of channels) {
      for (const kernel of kernels) {
        for (const stride of strides) {
          for (const padding of PADDINGS) {
            const [OH, padTop] = convAxis(H, kernel, stride, padding);
            const [OW, padLeft] = convAxis(W, kernel, stride, padding);
            if (OH > 0 && OW > 0) out.push({ images: nextImages(), H, W, C, OH, OW, kernel, stride, padTop, padLeft });
            const [TH, tTop] = transposeAxis(H, kernel, stride, padding);
            const [TW, tLeft] = transposeAxis(W, kernel, stride, padding);
            out.push({
              images: nextImages(),
              H: TH,
              W: TW,
              C,
              OH: H,
              OW: W,
              kernel,
              stride,
              padTop: tTop,
              padLeft: tLeft,
            });
          }
        }
      }
    }
  }
  return out;
}

/** The grid above, a 7×7 kernel, a padding so wide that whole patches fall outside the image,
 *  and stride 3. */
function geometries(): Geometry[] {
  const out = grid(IMAGE_SIZES, CHANNELS, KERNELS, STRIDES);
  for (const [H, W] of [
    [6, 6],
    [9, 4],
    [1, 1],
  ]) {
    const [OH, padTop] = convAxis(H, 7, 1, 'same'),
      [OW, padLeft] = convAxis(W, 7, 1, 'same');
    out.push({ images: 2, H, W, C: 3, OH, OW, kernel: 7, stride: 1, padTop, padLeft });
  }
  out.push({ images: 2, H: 2, W: 3, C: 5, OH: 8, OW: 11, kernel: 3, stride: 1, padTop: 4, padLeft: 5 });
  out.push({ images: 1, H: 7, W: 5, C: 3, OH: 3, OW: 2, kernel: 3, stride: 3, padTop: 0, padLeft: 0 });
  return out;
}

const MNIST_LAYER: Geometry = {
  images: 10,
  H: 28,
  W: 28,
  C: 1,
  OH: 14,
  OW: 14,
  kernel: 3,
  stride: 2,
  padTop: 0,
  padLeft: 0,
};

/** C = 1..3, where conv.ts moves each tap row as whole vectors, masks border patches and falls
 *  back to the per-run path at the ends of the tensors: kernels 1..7, strides 1..3, odd sizes;
 *  the MNIST layers' geometry and ones with every patch inside the image, with more images than
 *  col2imAdd works on side by side (8) and not a multiple of it; whole patches outside. */
function smallChannelGeometries(): Geometry[] {
  const out = grid(
    [
      [7, 9],
      [13, 11],
      [2, 17],
    ],
    [1, 2, 3],
    [1, 2, 3, 4, 5, 6, 7],
    [1, 2, 3],
  );
  out.push(MNIST_LAYER);
  out.push({ ...MNIST_LAYER, images: 9, H: 29, W: 29 });
  out.push({ images: 9, H: 11, W: 11, C: 3, OH: 5, OW: 5, kernel: 3, stride: 2, padTop: 0, padLeft: 0 });
  out.push({ images: 17, H: 9, W: 9, C: 2, OH: 9, OW: 9, kernel: 5, stride: 1, padTop: 2, padLeft: 2 });
  out.push({ images: 2, H: 2, W: 3, C: 1, OH: 8, OW: 11, kernel: 3, stride: 1, padTop: 4, padLeft: 5 });
  out.push({ images: 3, H: 3, W: 2, C: 2, OH: 9, OW: 4, kernel: 2, stride: 1, padTop: 3, padLeft: 1 });
  out.push({ images: 2, H: 2, W: 2, C: 3, OH: 6, OW: 7, kernel: 2, stride: 1, padTop: 3, padLeft: 4 });
  return out;
}

const SMALL_C_GEOMETRIES = smallChannelGeometries();
const GEOMETRIES = [...geometries(), ...SMALL_C_GEOMETRIES];
const describeGeometry = (g: Geometry) =>
  `${g.images}×${g.H}×${g.W}×${g.C} k${g.kernel} s${g.stride} pad ${g.padTop},${g.padLeft} → ${g.OH}×${g.OW}`;
const imageFloats = (g: Geometry) => g.images * g.H * g.W * g.C;
const colFloats = (g: Geometry) => g.images * g.OH * g.OW * g.kernel * g.kernel * g.C;
const args = (g: Geometry) => [g.images, g.H, g.W, g.C, g.OH, g.OW, g.kernel, g.stride, g.padTop, g.padLeft] as const;

/** Calls visit(colIndex, imageIndex or -1 for padding) for every tap, in n, oh, ow, kh, kw, c order. */
function forEachTap(g: Geometry, visit: (col: number, pixel: number) => void): void {
  const { images, H, W, C, OH, OW, kernel, stride, padTop, padLeft } = g;
  let col = 0;
  for (let n = 0; n < images; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < kernel; kh++) {
          for (let kw = 0; kw < kernel; kw++) {
            const ih = oh * stride + kh - padTop,
              iw = ow * stride + kw - padLeft;
            const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            for (let c = 0; c < C; c++) visit(col++, inside ? ((n * H + ih) * W + iw) * C + c : -1);
          }
        }
      }
    }
  }
}

/** How many patches have all their taps inside the image, some, or none. */
function patchKinds(g: Geometry): { inside: number; border: number; outside: number } {
  const { H, W, OH, OW, kernel, stride, padTop, padLeft } = g;
  const taps = (start: number, size: number) => Math.max(0, Math.min(start + kernel, size) - Math.max(start, 0));
  const kinds = { inside: 0, border: 0, outside: 0 };
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      const n = taps(oh * stride - padTop, H) * taps(ow * stride - padLeft, W);
      if (n === kernel * kernel) kinds.inside++;
      else if (n > 0) kinds.border++;
      else kinds.outside++;
    }
  }
  return kinds;
}

function refIm2col(g: Geometry, image: Float32Array): Float32Array {
  const cols = new Float32Array(colFloats(g));
  const colBits = new Uint32Array(cols.buffer),
    imageBits = new Uint32Array(image.buffer, image.byteOffset, image.length);
  forEachTap(g, (col, pixel) => {
    colBits[col] = pixel < 0 ? 0 : imageBits[pixel];
  });
  return cols;
}

function refCol2imAdd(g: Geometry, image: Float32Array, cols: Float32Array): Float32Array {
  const out = image.slice();
  forEachTap(g, (col, pixel) => {
    if (pixel >= 0) out[pixel] = Math.fround(out[pixel] + cols[col]);
  });
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
    const small = SMALL_C_GEOMETRIES;
    for (const C of [1, 2, 3]) {
      for (let kernel = 1; kernel <= 7; kernel++) {
        for (const stride of [1, 2, 3])
          expect(small.some((g) => g.C === C && g.kernel === kernel && g.stride === stride)).toBe(true);
      }
      const kinds = small.filter((g) => g.C === C).map(patchKinds);
      expect(kinds.some((k) => k.inside > 0 && k.border === 0 && k.outside === 0)).toBe(true); // vectors only
      expect(kinds.some((k) => k.inside > 0 && k.border > 0)).toBe(true); // vectors and masks
      expect(kinds.some((k) => k.outside > 0)).toBe(true); // per-run path
    }
    // Left-border patches in a tensor's first row, whose vectors would start before the image.
    expect(small.some((g) => g.padLeft > 0 && g.padTop === 0)).toBe(true);
    expect(small.some((g) => g.images > 8 && g.images % 8 !== 0)).toBe(true);
    expect(small).toContainEqual(MNIST_LAYER);
    expect(GEOMETRIES.some((g) => g.C >= 4 && patchKinds(g).inside > 0)).toBe(true); // C ≥ 4: per-run path only
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
      expectSameBits(
        h.readF32(image.ptr, imageFloats(g)),
        refCol2imAdd(g, image.data, cols.data),
        `col2imAdd ${describeGeometry(g)}`,
      );
      expectSameBits(h.readF32(cols.ptr, colFloats(g)), cols.data, 'cols unchanged');
      h.reset();
    }
  });

  it('col2imAdd leaves the bits of pixels that no patch covers alone', () => {
    let seed = 4000;
    let checked = 0;
    for (const g of GEOMETRIES) {
      const covered = new Uint8Array(imageFloats(g));
      forEachTap(g, (_, pixel) => {
        if (pixel >= 0) covered[pixel] = 1;
      });
      if (covered.every((c) => c === 1)) continue;
      const rng = mulberry32(seed++);
      const image = randomBits(h, imageFloats(g), rng); // NaNs with payloads and -0 included
      const cols = h.randomF32(colFloats(g), rng);
      h.k.col2imAdd(image.ptr, cols.ptr, ...args(g));
      const got = h.readU32Bits(image.ptr, imageFloats(g)),
        before = new Uint32Array(image.data.buffer);
      for (let i = 0; i < covered.length; i++) {
        if (!covered[i] && got[i] !== before[i]) {
          throw new Error(
            `col2imAdd ${describeGeometry(g)}: uncovered pixel ${i} changed from 0x${before[i].toString(16)} to 0x${got[i].toString(16)}`,
          );
        }
      }
      checked++;
      h.reset();
    }
    expect(checked).toBeGreaterThan(50);
  });

  // A read past a tensor traps when the tensor ends where memory does (writes past one would
  // also hit the guard bytes of the other tests).
  it.each(['image', 'cols'] as const)(
    'small C: nothing is read or written past the %s, even at the end of memory',
    (last) => {
      const cases: Geometry[] = [
        MNIST_LAYER,
        { ...MNIST_LAYER, images: 9, H: 29, W: 29 },
        { images: 3, H: 7, W: 9, C: 3, OH: 7, OW: 9, kernel: 3, stride: 1, padTop: 1, padLeft: 1 },
        { images: 2, H: 13, W: 11, C: 2, OH: 5, OW: 4, kernel: 5, stride: 2, padTop: 0, padLeft: 0 },
        { images: 2, H: 7, W: 9, C: 1, OH: 7, OW: 9, kernel: 1, stride: 1, padTop: 0, padLeft: 0 },
        { images: 1, H: 26, W: 22, C: 1, OH: 13, OW: 11, kernel: 7, stride: 2, padTop: 2, padLeft: 2 },
      ];
      let seed = 5000;
      for (const g of cases) {
        const rng = mulberry32(seed++);
        const [lastFloats, otherFloats] =
          last === 'image' ? [imageFloats(g), colFloats(g)] : [colFloats(g), imageFloats(g)];
        const other = h.allocF32(otherFloats);
        h.memory.grow(Math.ceil((4 * lastFloats) / 65536) + 1);
        const end = h.memory.buffer.byteLength - 4 * lastFloats; // above every allocation
        const [imagePtr, colsPtr] = last === 'image' ? [end, other] : [other, end];

        h.f32(imagePtr, imageFloats(g)).set(randomBits(h, imageFloats(g), rng).data);
        h.k.im2col(colsPtr, imagePtr, ...args(g));
        expectSameBits(
          h.readF32(colsPtr, colFloats(g)),
          refIm2col(g, h.readF32(imagePtr, imageFloats(g))),
          `im2col ${describeGeometry(g)}`,
        );

        const image = h.randomF32(imageFloats(g), rng).data,
          cols = h.randomF32(colFloats(g), rng).data;
        h.writeF32(imagePtr, image);
        h.writeF32(colsPtr, cols);
        h.k.col2imAdd(imagePtr, colsPtr, ...args(g));
        expectSameBits(
          h.readF32(imagePtr, imageFloats(g)),
          refCol2imAdd(g, image, cols),
          `col2imAdd ${describeGeometry(g)}`,
        );
        h.reset();
      }
    },
  );

  it('col2imAdd is the adjoint of im2col: <im2col(x), y> = <x, col2imAdd(0, y)>', () => {
    let seed = 2000;
    for (const g of GEOMETRIES) {
      const rng = mulberry32(seed++);
      const x = h.randomF32(imageFloats(g), rng),
        y = h.randomF32(colFloats(g), rng);
      const cols = h.allocF32(colFloats(g)),
        z = h.allocF32(imageFloats(g));
      h.k.im2col(cols, x.ptr, ...args(g));
      h.k.col2imAdd(z, y.ptr, ...args(g));
      const xCols = h.readF32(cols, colFloats(g)),
        zData = h.readF32(z, imageFloats(g));
      let left = 0,
        right = 0,
        mag = 0;
      for (let i = 0; i < y.data.length; i++) {
        left += xCols[i] * y.data[i];
        mag += Math.abs(xCols[i] * y.data[i]);
      }
      for (let i = 0; i < x.data.length; i++) right += x.data[i] * zData[i];
      // Each z pixel is an f32 sum of at most kernel² taps: error ≤ kernel²·2^-24 of its Σ|y|.
      expectClose([right], [left], 2 * g.kernel * g.kernel * U32 * mag + 1e-12, `adjoint ${describeGeometry(g)}`);
      h.reset();
    }
  });
});
