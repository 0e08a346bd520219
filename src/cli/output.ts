// Pictures and IDX files the commands write.
import { gzipSync } from 'node:zlib';
import { encode as encodePngRgb } from 'fast-png';
import { encodePng, imageGrid, labelledPanels, type GreyImage } from '../entries/image.js';
import { encodeIdx } from '../entries/idx.js';

export interface Shape {
  height: number;
  width: number;
  channels: number;
}

export interface Panel {
  title: string;
  /** count × height × width × channels: u8 pixels or [0, 1] floats. */
  images: Uint8Array | Float32Array;
}

/** Upscaling that makes small images readable: 28 px → 3, 16 px → 4, 64 px and more → 1. */
export function autoScale(shape: Shape): number {
  return Math.max(1, Math.min(4, Math.floor(96 / Math.max(shape.height, shape.width))));
}

/** Channel `c` of each pixel of the first `count` images, as a grey image stack. */
function plane(images: Uint8Array | Float32Array, count: number, shape: Shape, c: number): Uint8Array | Float32Array {
  const pixels = count * shape.height * shape.width;
  if (shape.channels === 1) return images.subarray(0, pixels);
  const out = images instanceof Uint8Array ? new Uint8Array(pixels) : new Float32Array(pixels);
  for (let p = 0, q = c; p < pixels; p++, q += shape.channels) out[p] = images[q];
  return out;
}

/**
 * Panels side by side, each a titled grid of the first `count` images, as PNG bytes: grey for
 * one-channel images, RGB for three or more (the first three channels), grey from the first
 * channel for two.
 */
export function panelsPng(panels: Panel[], count: number, shape: Shape, scale = autoScale(shape)): Uint8Array {
  const cols = Math.ceil(Math.sqrt(count));
  const shown = shape.channels >= 3 ? [0, 1, 2] : [0];
  const figures: GreyImage[] = shown.map((c) => labelledPanels(
    panels.map((p) => ({
      title: p.title,
      image: imageGrid(plane(p.images, count, shape, c), { count, width: shape.width, height: shape.height, cols, scale }),
    })),
    { titleScale: scale > 1 ? 2 : 1 },
  ));
  if (figures.length === 1) return encodePng(figures[0]);
  const { width, height } = figures[0];
  const rgb = new Uint8Array(width * height * 3);
  for (let c = 0; c < 3; c++) {
    const data = figures[c].data;
    for (let p = 0; p < data.length; p++) rgb[3 * p + c] = data[p];
  }
  return encodePngRgb({ width, height, data: rgb, channels: 3, depth: 8 });
}

/** A [0, 1] value as a byte, as the PNG grids round it. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * Images as an IDX file: u8 (values rounded as in the PNGs) or f32 (the exact values), dims
 * [count, height, width] for one channel, else [count, height, width, channels]; gzipped when
 * the name ends in .gz.
 */
export function imagesIdx(values: Float32Array, count: number, shape: Shape, type: 'u8' | 'f32', path: string): Uint8Array {
  const dims = shape.channels === 1 ? [count, shape.height, shape.width] : [count, shape.height, shape.width, shape.channels];
  let bytes: Uint8Array;
  if (type === 'f32') {
    bytes = encodeIdx({ dims, type: 'f32', data: values });
  } else {
    const u8 = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) u8[i] = toByte(values[i]);
    bytes = encodeIdx({ dims, type: 'u8', data: u8 });
  }
  if (!/\.gz$/i.test(path)) return bytes;
  const gz = gzipSync(bytes);
  return new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
}
