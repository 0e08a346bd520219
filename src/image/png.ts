import { encode } from 'fast-png';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { imageGrid, labelledPanels } from './grid.js';
import { checkChannels, checkPixelImage, positiveInt, type Channels, type PixelImage } from './pixels.js';

export interface ComparisonPngOptions {
  count: number;
  width: number;
  height: number;
  /** Channels of each image: 1 (grey, default), 3 (RGB) or 4 (RGBA). */
  channels?: Channels;
  /** Grid columns of each panel (default 5). */
  cols?: number;
  /** Nearest-neighbour upscaling of each image (default 2). */
  scale?: number;
  titles?: [string, string];
}

/** Encode an 8-bit image as PNG bytes: grey, RGB or RGBA (colour type 0, 2 or 6) as its `channels` says. */
export function encodePng(img: PixelImage): Uint8Array {
  const { data, width, height, channels } = checkPixelImage('encodePng', 'img', img);
  return encode({ width, height, data, channels, depth: 8 });
}

/**
 * The classic autoencoder figure as PNG bytes: a grid of originals beside a grid of their
 * reconstructions, each titled. Each array holds exactly count × width × height × channels
 * values; Float32 values are [0, 1] intensities. The PNG has the images' channels.
 */
export function comparisonPng(
  originals: Float32Array | Uint8Array,
  reconstructions: Float32Array | Uint8Array,
  opts: ComparisonPngOptions,
): Uint8Array {
  const fn = 'comparisonPng';
  if (typeof opts !== 'object' || opts === null) throw argError(fn, 'opts', 'an object', opts);
  rejectUnknownOptions(fn, opts, ['count', 'width', 'height', 'channels', 'cols', 'scale', 'titles'], 'opts.', 'opts');
  const titles = opts.titles ?? ['originals', 'reconstructions'];
  if (!Array.isArray(titles) || titles.length !== 2 || typeof titles[0] !== 'string' || typeof titles[1] !== 'string') {
    throw argError(fn, 'opts.titles', 'a pair of strings', titles);
  }
  const count = positiveInt(fn, 'opts.count', opts.count);
  const width = positiveInt(fn, 'opts.width', opts.width);
  const height = positiveInt(fn, 'opts.height', opts.height);
  const channels = checkChannels(fn, 'opts.channels', opts.channels ?? 1);
  const cols = positiveInt(fn, 'opts.cols', opts.cols ?? 5);
  const scale = positiveInt(fn, 'opts.scale', opts.scale ?? 2);
  const needed = count * width * height * channels;
  for (const [name, images] of [
    ['originals', originals],
    ['reconstructions', reconstructions],
  ] as const) {
    if (!(images instanceof Float32Array) && !(images instanceof Uint8Array)) {
      throw argError(fn, name, 'a Float32Array or Uint8Array', images);
    }
    if (images.length !== needed) {
      throw argError(
        fn,
        name,
        `count × width × height × channels = ${count} × ${width} × ${height} × ${channels} = ${needed} values`,
        images,
      );
    }
  }
  const gridOptions = { count, width, height, channels, cols, scale };
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
