import { encode } from 'fast-png';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { imageGrid, labelledPanels, type GreyImage } from './grid.js';

export interface ComparisonPngOptions {
  count: number;
  width: number;
  height: number;
  /** Grid columns of each panel (default 5). */
  cols?: number;
  /** Nearest-neighbour upscaling of each image (default 2). */
  scale?: number;
  titles?: [string, string];
}

/** Encode a grey 8-bit image as PNG bytes. */
export function encodePng(img: GreyImage): Uint8Array {
  if (typeof img !== 'object' || img === null) throw argError('encodePng', 'img', 'a GreyImage object', img);
  const { data, width, height } = img;
  if (!Number.isInteger(width) || width < 1) throw argError('encodePng', 'img.width', 'a positive integer', width);
  if (!Number.isInteger(height) || height < 1) throw argError('encodePng', 'img.height', 'a positive integer', height);
  if (!(data instanceof Uint8Array) || data.length !== width * height) {
    throw argError('encodePng', 'img.data', `a Uint8Array of width × height = ${width * height} pixels`, data);
  }
  return encode({ width, height, data, channels: 1, depth: 8 });
}

/**
 * The classic autoencoder figure as PNG bytes: a grid of originals beside a grid
 * of their reconstructions, each titled. Float32 pixels are [0, 1] intensities.
 */
export function comparisonPng(
  originals: Float32Array | Uint8Array,
  reconstructions: Float32Array | Uint8Array,
  opts: ComparisonPngOptions,
): Uint8Array {
  const fn = 'comparisonPng';
  if (typeof opts !== 'object' || opts === null) throw argError(fn, 'opts', 'an object', opts);
  rejectUnknownOptions(fn, opts, ['count', 'width', 'height', 'cols', 'scale', 'titles'], 'opts.', 'opts');
  const titles = opts.titles ?? ['originals', 'reconstructions'];
  if (!Array.isArray(titles) || titles.length !== 2 || typeof titles[0] !== 'string' || typeof titles[1] !== 'string') {
    throw argError(fn, 'opts.titles', 'a pair of strings', titles);
  }
  const count = positiveInt(fn, 'opts.count', opts.count);
  const width = positiveInt(fn, 'opts.width', opts.width);
  const height = positiveInt(fn, 'opts.height', opts.height);
  const cols = positiveInt(fn, 'opts.cols', opts.cols ?? 5);
  const scale = positiveInt(fn, 'opts.scale', opts.scale ?? 2);
  const needed = count * width * height;
  for (const [name, images] of [
    ['originals', originals],
    ['reconstructions', reconstructions],
  ] as const) {
    if (!(images instanceof Float32Array) && !(images instanceof Uint8Array)) {
      throw argError(fn, name, 'a Float32Array or Uint8Array', images);
    }
    if (images.length < needed) {
      throw argError(fn, name, `at least count × width × height = ${needed} pixels`, images);
    }
  }
  const gridOptions = { count, width, height, cols, scale };
  const originalGrid = imageGrid(originals, gridOptions);
  const reconstructionGrid = imageGrid(reconstructions, gridOptions);
  const figure = labelledPanels(
    [
      { title: titles[0], image: originalGrid },
      { title: titles[1], image: reconstructionGrid },
    ],
    { titleScale: scale > 1 ? 2 : 1 },
  );
  return encodePng(figure);
}

function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw argError(fn, name, 'a positive integer', v);
  return v;
}
