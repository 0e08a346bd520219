import { argError, rejectUnknownOptions } from '../util/errors.js';
import { drawText, textHeight, textWidth } from './font.js';

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ImageGridOptions {
  count: number;
  width: number;
  height: number;
  cols: number;
  /** Pixels between images and around the grid (default 1). */
  pad?: number;
  /** Integer nearest-neighbour upscaling of each image (default 1). */
  scale?: number;
  /** Grey level of padding (default 128, so that black-background digits stay separated). */
  background?: number;
}

export interface LabelledPanelsOptions {
  /** Pixels between panels and around the figure (default 8). */
  gap?: number;
  titleScale?: number;
  /** Grey level of the figure background (default 0); titles are drawn in the contrasting extreme. */
  background?: number;
}

function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw argError(fn, name, 'a positive integer', v);
  return v;
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
 * Lay out the first `count` images (each width × height, row-major) in a grid of
 * `cols` columns. Float32 pixels are taken as [0, 1] intensities (clamped);
 * Uint8 pixels are used as they are. The grid has min(cols, count) columns.
 */
export function imageGrid(images: Float32Array | Uint8Array, opts: ImageGridOptions): GreyImage {
  const fn = 'imageGrid';
  rejectUnknownOptions(fn, opts, ['count', 'width', 'height', 'cols', 'pad', 'scale', 'background'], 'opts.', 'opts');
  if (!(images instanceof Float32Array) && !(images instanceof Uint8Array)) {
    throw argError(fn, 'images', 'a Float32Array or Uint8Array', images);
  }
  if (typeof opts !== 'object' || opts === null) throw argError(fn, 'opts', 'an object', opts);
  const count = positiveInt(fn, 'opts.count', opts.count);
  const width = positiveInt(fn, 'opts.width', opts.width);
  const height = positiveInt(fn, 'opts.height', opts.height);
  const cols = positiveInt(fn, 'opts.cols', opts.cols);
  const pad = nonNegativeInt(fn, 'opts.pad', opts.pad ?? 1);
  const scale = positiveInt(fn, 'opts.scale', opts.scale ?? 1);
  const background = greyLevel(fn, 'opts.background', opts.background ?? 128);
  const pixelsPerImage = width * height;
  if (images.length < count * pixelsPerImage) {
    throw argError(fn, 'images', `at least count × width × height = ${count * pixelsPerImage} pixels`, images);
  }

  const gridCols = Math.min(cols, count);
  const gridRows = Math.ceil(count / gridCols);
  const cellWidth = width * scale;
  const cellHeight = height * scale;
  const outWidth = gridCols * cellWidth + (gridCols + 1) * pad;
  const outHeight = gridRows * cellHeight + (gridRows + 1) * pad;
  const out = new Uint8Array(outWidth * outHeight).fill(background);
  const isFloat = images instanceof Float32Array;

  for (let n = 0; n < count; n++) {
    const left = pad + (n % gridCols) * (cellWidth + pad);
    const top = pad + Math.floor(n / gridCols) * (cellHeight + pad);
    const src = n * pixelsPerImage;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const raw = images[src + y * width + x];
        const value = isFloat ? toByte(raw) : raw;
        const firstRow = (top + y * scale) * outWidth + left + x * scale;
        for (let dy = 0; dy < scale; dy++) {
          const rowStart = firstRow + dy * outWidth;
          out.fill(value, rowStart, rowStart + scale);
        }
      }
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

function checkGreyImage(fn: string, name: string, img: unknown): GreyImage {
  if (typeof img !== 'object' || img === null) throw argError(fn, name, 'a GreyImage object', img);
  const { data, width, height } = img as GreyImage;
  positiveInt(fn, `${name}.width`, width);
  positiveInt(fn, `${name}.height`, height);
  if (!(data instanceof Uint8Array) || data.length !== width * height) {
    throw argError(fn, `${name}.data`, `a Uint8Array of width × height = ${width * height} pixels`, data);
  }
  return img as GreyImage;
}

/**
 * Place panels side by side, top-aligned, each with its title centred above it.
 */
export function labelledPanels(
  panels: { title: string; image: GreyImage }[],
  opts: LabelledPanelsOptions = {},
): GreyImage {
  const fn = 'labelledPanels';
  if (!Array.isArray(panels) || panels.length === 0) throw argError(fn, 'panels', 'a non-empty array', panels);
  rejectUnknownOptions(fn, opts, ['gap', 'titleScale', 'background'], 'opts.', 'opts');
  const gap = nonNegativeInt(fn, 'opts.gap', opts.gap ?? 8);
  const titleScale = positiveInt(fn, 'opts.titleScale', opts.titleScale ?? 1);
  const background = greyLevel(fn, 'opts.background', opts.background ?? 0);
  const ink = background < 128 ? 255 : 0;

  const columnWidths = new Array<number>(panels.length);
  let maxPanelHeight = 0;
  for (let i = 0; i < panels.length; i++) {
    const panel = panels[i];
    if (typeof panel !== 'object' || panel === null) throw argError(fn, `panels[${i}]`, 'an object', panel);
    if (typeof panel.title !== 'string') throw argError(fn, `panels[${i}].title`, 'a string', panel.title);
    const image = checkGreyImage(fn, `panels[${i}].image`, panel.image);
    columnWidths[i] = Math.max(image.width, textWidth(panel.title, titleScale));
    maxPanelHeight = Math.max(maxPanelHeight, image.height);
  }

  const titleHeight = textHeight(titleScale);
  const titleGap = 2 * titleScale;
  const panelTop = gap + titleHeight + titleGap;
  let outWidth = gap;
  for (let i = 0; i < columnWidths.length; i++) outWidth += columnWidths[i] + gap;
  const outHeight = panelTop + maxPanelHeight + gap;
  const out = new Uint8Array(outWidth * outHeight).fill(background);

  let columnLeft = gap;
  for (let i = 0; i < panels.length; i++) {
    const { title, image } = panels[i];
    const columnWidth = columnWidths[i];
    const titleLeft = columnLeft + Math.floor((columnWidth - textWidth(title, titleScale)) / 2);
    drawText(out, outWidth, outHeight, titleLeft, gap, title, ink, titleScale);
    const imageLeft = columnLeft + Math.floor((columnWidth - image.width) / 2);
    for (let y = 0; y < image.height; y++) {
      out.set(image.data.subarray(y * image.width, (y + 1) * image.width), (panelTop + y) * outWidth + imageLeft);
    }
    columnLeft += columnWidth + gap;
  }
  return { data: out, width: outWidth, height: outHeight };
}
