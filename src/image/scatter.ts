// A scatter plot of 2-D points coloured by class, as an RGB image: for the codes of a model with
// a 2-dimensional latent space. Axes span the points' range; a legend names each colour.
import { encode } from 'fast-png';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { drawText, textHeight } from './font.js';

/** Ten well-separated colours (Tableau 10), for classes 0-9; further classes cycle. */
const PALETTE = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

export interface ScatterOptions {
  /** Side of the square plot area in pixels (default 480). */
  size?: number;
  title?: string;
  /** Names of the classes for the legend (default: their numbers). */
  classNames?: string[];
}

/** PNG bytes of `points` (n × 2, x then y) coloured by `labels`. */
export function scatterPng(points: Float32Array, labels: Uint8Array, options: ScatterOptions = {}): Uint8Array {
  rejectUnknownOptions('scatterPng', options, ['size', 'title', 'classNames']);
  const fn = 'scatterPng';
  if (!(points instanceof Float32Array) || points.length % 2 !== 0 || points.length === 0)
    throw argError(fn, 'points', 'a Float32Array of n × 2 values', points);
  const n = points.length / 2;
  if (!(labels instanceof Uint8Array) || labels.length !== n)
    throw argError(fn, 'labels', `a Uint8Array of ${n} labels`, labels);
  const size = options.size ?? 480;
  if (!Number.isInteger(size) || size < 64 || size > 4096) throw argError(fn, 'size', 'an integer in [64, 4096]', size);
  const classes = Math.max(...labels) + 1;
  const pad = 12,
    legend = 90,
    top = options.title ? 28 : pad;
  const width = size + 2 * pad + legend,
    height = size + top + pad;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  let xmin = Infinity,
    xmax = -Infinity,
    ymin = Infinity,
    ymax = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i],
      y = points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y))
      throw new Error(`${fn}: points must be finite, got (${x}, ${y}) at ${i}`);
    xmin = Math.min(xmin, x);
    xmax = Math.max(xmax, x);
    ymin = Math.min(ymin, y);
    ymax = Math.max(ymax, y);
  }
  const sx = (size - 1) / (xmax - xmin || 1),
    sy = (size - 1) / (ymax - ymin || 1);
  const plot = (px: number, py: number, c: number[]): void => {
    if (px < 0 || py < 0 || px >= width || py >= height) return;
    const o = (py * width + px) * 3;
    rgb[o] = c[0];
    rgb[o + 1] = c[1];
    rgb[o + 2] = c[2];
  };
  // Frame.
  for (let i = -1; i <= size; i++) {
    for (const [px, py] of [
      [pad + i, top - 1],
      [pad + i, top + size],
      [pad - 1, top + i],
      [pad + size, top + i],
    ])
      plot(px, py, [0, 0, 0]);
  }
  for (let i = 0; i < n; i++) {
    const px = pad + Math.round((points[2 * i] - xmin) * sx);
    const py = top + size - 1 - Math.round((points[2 * i + 1] - ymin) * sy);
    const c = PALETTE[labels[i] % PALETTE.length];
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (dx * dy === 0) plot(px + dx, py + dy, c);
  }
  // Title and legend: text drawn in a grey mask, then coloured.
  const mask = new Uint8Array(width * height);
  if (options.title) drawText(mask, width, height, pad, 8, options.title, 255, 2);
  for (let c = 0; c < classes; c++) {
    const y = top + 4 + c * (textHeight(2) + 8);
    const name = options.classNames?.[c] ?? String(c);
    drawText(mask, width, height, pad + size + 34, y, name, 255, 2);
    const color = PALETTE[c % PALETTE.length];
    for (let dy = 0; dy < 12; dy++) for (let dx = 0; dx < 12; dx++) plot(pad + size + 14 + dx, y + dy, color);
  }
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      rgb[3 * i] = 0;
      rgb[3 * i + 1] = 0;
      rgb[3 * i + 2] = 0;
    }
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}
