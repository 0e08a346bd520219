// Images as the image entry passes them around: u8 pixels, row-major, channels interleaved
// (1 grey, 3 RGB, 4 RGBA), and the checks and conversions every function of the entry shares.
import { argError } from '../util/errors.js';

/** Channels of an image: 1 (grey), 3 (RGB) or 4 (RGBA). */
export type Channels = 1 | 3 | 4;

/** An 8-bit image: `data` holds height × width × channels bytes, channels interleaved. */
export interface PixelImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey, the default when absent), 3 (RGB) or 4 (RGBA). */
  channels?: Channels;
}

/** A grey image (a PixelImage with one channel): the name this entry's images had before RGB. */
export type GreyImage = PixelImage;

/** Pixels with any number of channels, as a decoder gives them (2: grey + alpha). */
export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw argError(fn, name, 'a positive integer', v);
  return v;
}

export function checkChannels(fn: string, name: string, v: unknown): Channels {
  if (v !== 1 && v !== 3 && v !== 4) throw argError(fn, name, '1 (grey), 3 (RGB) or 4 (RGBA)', v);
  return v;
}

/** "16×16 grey", "32×32 RGB", "8×8 RGBA", "8×8 with 5 channels". */
export function describeShape(height: number, width: number, channels: number): string {
  const kind = channels === 1 ? 'grey' : channels === 3 ? 'RGB' : channels === 4 ? 'RGBA' : `with ${channels} channels`;
  return `${width}×${height} ${kind}`;
}

/**
 * Checks a PixelImage argument: positive integer sizes, channels 1, 3 or 4 (1 when absent) and
 * data of exactly width × height × channels bytes (the size product in doubles: exact up to 2^53).
 */
export function checkPixelImage(fn: string, name: string, img: unknown): Required<PixelImage> {
  if (typeof img !== 'object' || img === null)
    throw argError(fn, name, 'an image object { data, width, height, channels? }', img);
  const { data, width, height } = img as PixelImage;
  positiveInt(fn, `${name}.width`, width);
  positiveInt(fn, `${name}.height`, height);
  const channels = checkChannels(fn, `${name}.channels`, (img as PixelImage).channels ?? 1);
  const size = width * height * channels;
  if (!(data instanceof Uint8Array) || data.length !== size) {
    throw argError(
      fn,
      `${name}.data`,
      `a Uint8Array of width × height × channels = ${width} × ${height} × ${channels} = ${size} bytes`,
      data,
    );
  }
  return { data, width, height, channels };
}

/** BT.601 luma, as most image libraries turn colour into grey. */
function luma(r: number, g: number, b: number): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/**
 * The same pixels with `to` channels: grey repeated into RGB, colour to BT.601 luma, alpha 255
 * added where there was none, alpha dropped (not composited) where `to` has none. `from` may be
 * 2 (grey + alpha). Returns the input's data itself when nothing changes.
 */
export function convertChannels(img: RawPixels, to: Channels): RawPixels {
  const { width, height, channels: from, data } = img;
  if (from === to) return img;
  const pixels = width * height;
  const out = new Uint8Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    const s = p * from;
    let r: number, g: number, b: number, a: number;
    if (from <= 2) {
      r = g = b = data[s];
      a = from === 2 ? data[s + 1] : 255;
    } else {
      r = data[s];
      g = data[s + 1];
      b = data[s + 2];
      a = from === 4 ? data[s + 3] : 255;
    }
    const d = p * to;
    if (to === 1) {
      out[d] = from <= 2 ? r : luma(r, g, b);
    } else {
      out[d] = r;
      out[d + 1] = g;
      out[d + 2] = b;
      if (to === 4) out[d + 3] = a;
    }
  }
  return { width, height, channels: to, data: out };
}
