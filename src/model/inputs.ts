// Checks of the arrays the public calls take: right type, a whole number of rows, finite values.
import { argError, describeValue } from '../util/errors.js';

export type Images = Uint8Array | Float32Array;
/** Typed arrays of pixels, or anything with an `images` array (what loadMnist returns, with its
 *  `labels`, which conditional models use). */
export type ImagesInput = Images | { images: Images; labels?: Uint8Array };

/**
 * The labels a conditional model needs for `count` rows: `given` if passed, else the input's
 * own `labels`. Each must be an integer class below `classes`. Undefined for other models.
 */
export function labelsOf(
  input: unknown,
  count: number,
  classes: number,
  fn: string,
  arg: string,
  given?: unknown,
): Uint8Array | undefined {
  if (classes === 0) {
    if (given !== undefined)
      throw new Error(`${fn}: labels are only for conditional models (create with { conditional: { classes } })`);
    return undefined;
  }
  const labels = given ?? (input as { labels?: unknown } | null)?.labels;
  if (!(labels instanceof Uint8Array)) {
    throw argError(
      fn,
      given !== undefined ? 'labels' : `${arg}.labels`,
      `a Uint8Array of ${count} class labels (this model is conditional)`,
      labels,
    );
  }
  if (labels.length !== count)
    throw new Error(`${fn}: labels must hold one label per row (${count}), got ${labels.length}`);
  for (let i = 0; i < count; i++) {
    if (labels[i] >= classes)
      throw new Error(`${fn}: labels must be classes in [0, ${classes - 1}], got ${labels[i]} at index ${i}`);
  }
  return labels;
}

/** The rows of `input`, checked: bytes, or finite floats, within `range` when given (fit's data
 *  are targets of a [0, 1] output: floats far outside it trained silently to a meaningless loss,
 *  255s to 64,724). Inference takes any finite value: a noisy image to denoise may leave [0, 1].
 *  Without `checkValues`, the caller checks the floats itself: inference does, in the kernels,
 *  as each round is copied into the model's memory (inference.ts). */
export function imagesOf(
  input: ImagesInput,
  fn: string,
  arg: string,
  rowSize: number,
  range?: [number, number],
  checkValues = true,
): { data: Images; count: number } {
  const data =
    input instanceof Uint8Array || input instanceof Float32Array
      ? input
      : (input as { images?: unknown } | null)?.images;
  if (!(data instanceof Uint8Array || data instanceof Float32Array)) {
    throw argError(
      fn,
      arg,
      'a Uint8Array of pixels (0-255) or a Float32Array, or an object with such an `images` array',
      input,
    );
  }
  if (data.length === 0 || data.length % rowSize !== 0) {
    throw new Error(
      `${fn}: ${arg} must hold a whole, non-zero number of rows of ${rowSize} values, got ${describeValue(data)} (${data.length} values)`,
    );
  }
  if (checkValues && data instanceof Float32Array) checkFinite(data, fn, arg, range);
  return { data, count: data.length / rowSize };
}

/** Throws at the first value that is not finite (or outside `range`); `offset` is added to the
 *  index the message names, for a slice of a larger array. */
export function checkFinite(data: Float32Array, fn: string, arg: string, range?: [number, number], offset = 0): void {
  // v - v is 0 for every finite v and NaN for NaN and ±Infinity: one subtraction and one compare
  // per value keeps this check near memory speed (it runs on every input of every call).
  const n = data.length;
  if (range) {
    const [lo, hi] = range;
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!(v >= lo && v <= hi))
        throw new Error(
          `${fn}: ${arg} must hold values in [${lo}, ${hi}]${lo === 0 && hi === 1 ? ' (pixels as floats; bytes 0–255 go in a Uint8Array)' : ''}, got ${describeValue(v)} at index ${i + offset}`,
        );
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v - v !== 0)
      throw new Error(`${fn}: ${arg} must hold finite values, got ${describeValue(v)} at index ${i + offset}`);
  }
}

/** Most values one call returns: 2^28, 1 GiB of floats, 342,000 MNIST digits. decode, sample
 *  and decompress make far more than they take (a code of 1 value can decode to 65,536 values; a
 *  500 KB code stream can honestly hold 500,000 digits), so their results are sized first. */
export const MAX_RESULT_VALUES = 2 ** 28;

/** count × width, refused with a message naming the call when over MAX_RESULT_VALUES. */
export function resultLength(fn: string, count: number, width: number): number {
  const n = count * width;
  if (n > MAX_RESULT_VALUES) {
    throw new Error(
      `${fn}: the result would hold ${count} × ${width} = ${n} values, more than the ${MAX_RESULT_VALUES} one call returns; call it on fewer rows at a time`,
    );
  }
  return n;
}
