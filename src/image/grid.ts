import { argError, rejectUnknownOptions } from '../util/errors.js';
import { drawText, textHeight, textWidth } from './font.js';
import {
  checkChannels,
  checkPixelImage,
  convertChannels,
  positiveInt,
  type Channels,
  type PixelImage,
} from './pixels.js';

export type { GreyImage, PixelImage } from './pixels.js';

export interface ImageGridOptions {
  count: number;
  width: number;
  height: number;
  cols: number;
  /** Channels of each image: 1 (grey, default), 3 (RGB) or 4 (RGBA); the grid has the same. */
  channels?: Channels;
  /** Pixels between images and around the grid (default 1). */
  pad?: number;
  /** Integer nearest-neighbour upscaling of each image (default 1). */
  scale?: number;
  /** Grey level of padding (default 128, so that black-background digits stay separated); opaque in RGBA. */
  background?: number;
}

export interface LabelledPanelsOptions {
  /** Pixels between panels and around the figure (default 8). */
  gap?: number;
  titleScale?: number;
  /** Grey level of the figure background (default 0); titles are drawn in the contrasting extreme. */
  background?: number;
}

function nonNegativeInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw argError(fn, name, 'a non-negative integer', v);
  return v;
}

function greyLevel(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
    throw argError(fn, name, 'an integer in 0..255', v);
  }
  return v;
}

function toByte(v: number): number {
  // NaN fails both comparisons below, so test it first.
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * Lay out `count` images (each width × height × channels, row-major, channels interleaved) in a
 * grid of `cols` columns. Float32 values are taken as [0, 1] intensities (clamped); Uint8 pixels
 * are used as they are. The data must hold exactly count × width × height × channels values. The
 * grid has min(cols, count) columns and the images' channels.
 */
export function imageGrid(
  images: Float32Array | Uint8Array,
  opts: ImageGridOptions,
): PixelImage & { channels: Channels } {
  const fn = 'imageGrid';
  rejectUnknownOptions(
    fn,
    opts,
    ['count', 'width', 'height', 'cols', 'channels', 'pad', 'scale', 'background'],
    'opts.',
    'opts',
  );
  if (!(images instanceof Float32Array) && !(images instanceof Uint8Array)) {
    throw argError(fn, 'images', 'a Float32Array or Uint8Array', images);
  }
  if (typeof opts !== 'object' || opts === null) throw argError(fn, 'opts', 'an object', opts);
  const count = positiveInt(fn, 'opts.count', opts.count);
  const width = positiveInt(fn, 'opts.width', opts.width);
  const height = positiveInt(fn, 'opts.height', opts.height);
  const cols = positiveInt(fn, 'opts.cols', opts.cols);
  const channels = checkChannels(fn, 'opts.channels', opts.channels ?? 1);
  const pad = nonNegativeInt(fn, 'opts.pad', opts.pad ?? 1);
  const scale = positiveInt(fn, 'opts.scale', opts.scale ?? 1);
  const background = greyLevel(fn, 'opts.background', opts.background ?? 128);
  const valuesPerImage = width * height * channels;
  if (images.length !== count * valuesPerImage) {
    throw argError(
      fn,
      'images',
      `count × width × height × channels = ${count} × ${width} × ${height} × ${channels} = ` +
        `${count * valuesPerImage} values`,
      images,
    );
  }

  const gridCols = Math.min(cols, count);
  const gridRows = Math.ceil(count / gridCols);
  const cellWidth = width * scale;
  const cellHeight = height * scale;
  const outWidth = gridCols * cellWidth + (gridCols + 1) * pad;
  const outHeight = gridRows * cellHeight + (gridRows + 1) * pad;
  const out = filled(outWidth * outHeight, channels, background);
  const isFloat = images instanceof Float32Array;
  const rowValues = outWidth * channels;

  for (let n = 0; n < count; n++) {
    const left = pad + (n % gridCols) * (cellWidth + pad);
    const top = pad + Math.floor(n / gridCols) * (cellHeight + pad);
    const src = n * valuesPerImage;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const firstValue = ((top + y * scale) * outWidth + left + x * scale) * channels;
        for (let c = 0; c < channels; c++) {
          const raw = images[src + (y * width + x) * channels + c];
          const value = isFloat ? toByte(raw) : raw;
          for (let dy = 0; dy < scale; dy++) {
            const at = firstValue + dy * rowValues + c;
            for (let dx = 0; dx < scale; dx++) out[at + dx * channels] = value;
          }
        }
      }
    }
  }
  return { data: out, width: outWidth, height: outHeight, channels };
}

/** `pixels` pixels of grey `level` with `channels` channels (alpha 255). */
function filled(pixels: number, channels: Channels, level: number): Uint8Array {
  const out = new Uint8Array(pixels * channels).fill(level);
  if (channels === 4) for (let p = 3; p < out.length; p += 4) out[p] = 255;
  return out;
}

/**
 * Place panels side by side, top-aligned, each with its title centred above it. The figure has
 * the most channels of its panels (grey panels are repeated into RGB beside colour ones).
 */
export function labelledPanels(
  panels: { title: string; image: PixelImage }[],
  opts: LabelledPanelsOptions = {},
): PixelImage & { channels: Channels } {
  const fn = 'labelledPanels';
  if (!Array.isArray(panels) || panels.length === 0) throw argError(fn, 'panels', 'a non-empty array', panels);
  rejectUnknownOptions(fn, opts, ['gap', 'titleScale', 'background'], 'opts.', 'opts');
  const gap = nonNegativeInt(fn, 'opts.gap', opts.gap ?? 8);
  const titleScale = positiveInt(fn, 'opts.titleScale', opts.titleScale ?? 1);
  const background = greyLevel(fn, 'opts.background', opts.background ?? 0);
  const ink = background < 128 ? 255 : 0;

  const images: Required<PixelImage>[] = [];
  const columnWidths = new Array<number>(panels.length);
  let maxPanelHeight = 0;
  let channels: Channels = 1;
  for (let i = 0; i < panels.length; i++) {
    const panel = panels[i];
    if (typeof panel !== 'object' || panel === null) throw argError(fn, `panels[${i}]`, 'an object', panel);
    if (typeof panel.title !== 'string') throw argError(fn, `panels[${i}].title`, 'a string', panel.title);
    const image = checkPixelImage(fn, `panels[${i}].image`, panel.image);
    images.push(image);
    if (image.channels > channels) channels = image.channels;
    columnWidths[i] = Math.max(image.width, textWidth(panel.title, titleScale));
    maxPanelHeight = Math.max(maxPanelHeight, image.height);
  }

  const titleHeight = textHeight(titleScale);
  const titleGap = 2 * titleScale;
  const panelTop = gap + titleHeight + titleGap;
  let outWidth = gap;
  for (let i = 0; i < columnWidths.length; i++) outWidth += columnWidths[i] + gap;
  const outHeight = panelTop + maxPanelHeight + gap;
  // Titles are drawn into a grey mask, then copied into every colour channel.
  const titles = new Uint8Array(outWidth * outHeight).fill(background);
  const out = filled(outWidth * outHeight, channels, background);

  let columnLeft = gap;
  for (let i = 0; i < panels.length; i++) {
    const title = panels[i].title;
    const image = images[i];
    const columnWidth = columnWidths[i];
    const titleLeft = columnLeft + Math.floor((columnWidth - textWidth(title, titleScale)) / 2);
    drawText(titles, outWidth, outHeight, titleLeft, gap, title, ink, titleScale);
    const imageLeft = columnLeft + Math.floor((columnWidth - image.width) / 2);
    const pixels = convertChannels(image, channels).data;
    const rowValues = image.width * channels;
    for (let y = 0; y < image.height; y++) {
      out.set(pixels.subarray(y * rowValues, (y + 1) * rowValues), ((panelTop + y) * outWidth + imageLeft) * channels);
    }
    columnLeft += columnWidth + gap;
  }
  for (let p = 0; p < titles.length; p++) {
    if (titles[p] !== ink) continue;
    for (let c = 0; c < Math.min(channels, 3); c++) out[p * channels + c] = ink;
  }
  return { data: out, width: outWidth, height: outHeight, channels };
}
