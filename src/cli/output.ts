// Pictures and IDX files the commands write.
import { gzipSync } from 'node:zlib';
import { encode as encodePngRgb } from 'fast-png';
import { encodePng, imageGrid, labelledPanels, type GreyImage } from '../entries/image.js';
import { encodeIdx } from '../entries/idx.js';
import { choiceOption, intOption, str, type OptionGroup, type ParsedOptions, outOption } from './args.js';
import { writeAtomic } from './files.js';
import { outputFormat } from './formats.js';

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
export function panelsPng(
  panels: Panel[],
  count: number,
  shape: Shape,
  scale = autoScale(shape),
  cols = Math.ceil(Math.sqrt(count)),
): Uint8Array {
  const shown = shape.channels >= 3 ? [0, 1, 2] : [0];
  const figures: GreyImage[] = shown.map((c) =>
    labelledPanels(
      panels.map((p) => ({
        title: p.title,
        image: imageGrid(plane(p.images, count, shape, c), {
          count,
          width: shape.width,
          height: shape.height,
          cols,
          scale,
        }),
      })),
      { titleScale: scale > 1 ? 2 : 1 },
    ),
  );
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
export function imagesIdx(
  values: Float32Array,
  count: number,
  shape: Shape,
  type: 'u8' | 'f32',
  path: string,
): Uint8Array {
  const dims =
    shape.channels === 1 ? [count, shape.height, shape.width] : [count, shape.height, shape.width, shape.channels];
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

/** How a command's images go out: a PNG grid of the first `count` (in `cols` columns) or an IDX
 *  file of them all, by the name of `path`. */
export interface ImagesOut {
  path: string;
  format: 'png' | 'idx';
  count: number;
  scale?: number;
  idxType: 'u8' | 'f32';
}

/** The format `path` asks for among a PNG grid and an IDX file; refuses any other name. */
export function imagesOutFormat(command: string, flag: string, path: string): 'png' | 'idx' {
  return outputFormat(command, flag, path, ['png', 'idx'] as const);
}

/** Writes `images` as `out` says; returns what was written, for the command's line on stdout. */
export async function writeImages(
  out: ImagesOut,
  panels: Panel[],
  total: number,
  shape: Shape,
  cols?: number,
): Promise<string> {
  if (out.format === 'idx') {
    await writeAtomic(out.path, imagesIdx(panels[0].images as Float32Array, total, shape, out.idxType, out.path));
    return `${total.toLocaleString('en-US')} images: ${panels[0].title}, IDX ${out.idxType}`;
  }
  const shown = Math.min(out.count, total);
  await writeAtomic(out.path, panelsPng(panels, shown, shape, out.scale ?? autoScale(shape), cols));
  return `${shown === total ? shown : `${shown} of ${total.toLocaleString('en-US')}`} images: ${panels.map((p) => p.title).join(' / ')}, PNG`;
}

/** --out, --count, --scale and --idx-type of a command that writes images. */
export function imagesOutGroup(defaultOut: string, what: string, countDefault = 25): OptionGroup {
  return {
    title: 'Output',
    options: {
      out: outOption(
        `${what}: a PNG grid (.png) or every image in an IDX file (.idx, -ubyte; gzipped if it ends in .gz)`,
        defaultOut,
      ),
      count: {
        type: 'string',
        value: 'N',
        help: 'images shown in the PNG (the first N)',
        default: String(countDefault),
      },
      scale: {
        type: 'string',
        value: 'N',
        help: 'upscaling of each image in the PNG (1 to 16)',
        default: '4 for 16 px, 3 for 28 px, 1 from 64 px',
      },
      'idx-type': {
        type: 'string',
        value: 'u8|f32',
        help: 'IDX values: u8 (× 255, rounded as in the PNG) or f32 (the exact [0, 1] values)',
        default: 'u8',
      },
    },
  };
}

export function imagesOutChoice(
  values: ParsedOptions,
  command: string,
  defaultOut: string,
  countDefault = 25,
): ImagesOut {
  const path = str(values, 'out') ?? defaultOut;
  const count = str(values, 'count'),
    scale = str(values, 'scale'),
    idxType = str(values, 'idx-type');
  return {
    path,
    format: imagesOutFormat(command, '--out', path),
    count: count === undefined ? countDefault : intOption('--count', count, 1, 10000),
    scale: scale === undefined ? undefined : intOption('--scale', scale, 1, 16),
    idxType: idxType === undefined ? 'u8' : choiceOption('--idx-type', idxType, ['u8', 'f32'] as const),
  };
}
