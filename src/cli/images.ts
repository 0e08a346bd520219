// Image sources of the command line: MNIST, IDX files (plain or gzipped), folders of PNG/JPEG
// images, single PNG/JPEG files. Every image comes out as u8 pixels, row-major, channels
// interleaved (height × width × channels), 1 (grey) or 3 (RGB) channels for PNG and JPEG.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { convertIndexedToRgb, decode as decodePng, type DecodedPng } from 'fast-png';
import { Unzlib } from 'fflate';
import jpeg from 'jpeg-js';
import { parseIdx } from '../entries/idx.js';
import { loadMnist } from '../entries/mnist.js';
import { CliError, UsageError, oneLine } from './errors.js';
import { kindOf, readBytes } from './files.js';

export interface ImageBatch {
  /** count × height × width × channels pixels, 0..255. */
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Where the images came from, for messages. */
  name: string;
}

export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** MNIST's sizes, so that a limit can be clamped before loading. */
const MNIST_TRAIN = 60000;
const MNIST_TEST = 10000;
const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** "16×16 grey", "32×32 RGB", "8×8 with 5 channels". */
export function describeShape(height: number, width: number, channels: number): string {
  const kind = channels === 1 ? 'grey' : channels === 3 ? 'RGB' : `with ${channels} channels`;
  return `${width}×${height} ${kind}`;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 &&
    bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a;
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The most values (height × width × channels) an image may have: what a model takes. */
export const MAX_IMAGE_VALUES = 1 << 16;

/** An image's size as its header gives it, with the channels it decodes to (1 grey, 3 RGB). */
export interface ImageHeader {
  width: number;
  height: number;
  channels: number;
}

/**
 * Refuses an image whose header claims more than MAX_IMAGE_VALUES values: before it is decoded,
 * since the decoders allocate what the header says (a 400 KB PNG claiming 20000×20000 took
 * 1.2 GB). BigInt: the product of two u32 sizes is exact and cannot wrap.
 */
function checkImageSize(path: string, { width, height, channels }: ImageHeader): void {
  const values = BigInt(width) * BigInt(height) * BigInt(channels);
  if (values > BigInt(MAX_IMAGE_VALUES)) {
    throw new CliError(`${path} is ${describeShape(height, width, channels)}: ${values.toLocaleString('en-US')} values, more than the ` +
      `${MAX_IMAGE_VALUES.toLocaleString('en-US')} an image may have (height × width × channels); not decoded`);
  }
}

/** A PNG or JPEG (found by content, not by name), its size read and checked, ready to decode. */
export interface PendingImage {
  header: ImageHeader;
  /** Decodes it into grey or RGB u8 pixels of the header's size. */
  decode(): DecodedImage;
}

export function readImageHeader(bytes: Uint8Array, path: string): PendingImage {
  if (isPng(bytes)) return pendingPng(bytes, path);
  if (isJpeg(bytes)) return pendingJpeg(bytes, path);
  throw new CliError(`${path} is not a PNG or JPEG image (its first bytes are neither signature)`);
}

/** Decodes a PNG or JPEG (found by content, not by name) into grey or RGB u8 pixels. */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  return decodePending(readImageHeader(bytes, path), path);
}

function decodePending(pending: PendingImage, path: string): DecodedImage {
  const img = pending.decode();
  const { width, height, channels } = pending.header;
  if (img.width !== width || img.height !== height || img.channels !== channels) {
    throw new CliError(`${path} decodes to ${describeShape(img.height, img.width, img.channels)}, but its header says ` +
      `${describeShape(height, width, channels)}`);
  }
  return img;
}

/** PNG colour types: the channels stored, the channels they decode to, the bit depths allowed. */
const PNG_COLOR_TYPES: Record<number, { stored: number; decoded: number; depths: number[] }> = {
  0: { stored: 1, decoded: 1, depths: [1, 2, 4, 8, 16] }, // grey
  2: { stored: 3, decoded: 3, depths: [8, 16] }, // RGB
  3: { stored: 1, decoded: 3, depths: [1, 2, 4, 8] }, // palette, decoded to RGB
  4: { stored: 2, decoded: 1, depths: [8, 16] }, // grey + alpha, alpha dropped
  6: { stored: 4, decoded: 3, depths: [8, 16] }, // RGBA, alpha dropped
};

/** The chunks the decoder is given; the others (text, colour profiles, ...) are not needed. */
const PNG_CHUNKS_KEPT = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);

/** Adam7's passes: first column and row, then the steps between columns and rows. */
const ADAM7: readonly (readonly [number, number, number, number])[] =
  [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** Bytes of a PNG's inflated image data: each row (of each Adam7 pass) a filter byte and its pixels. */
function pngDataBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number): number => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}

/** Input of at most this many bytes is inflated at a time: a deflate stream expands at most 1032 times. */
const INFLATE_SLICE = 1024;

/** Whether the zlib stream in `parts` inflates to at most `limit` bytes, found out with bounded memory. */
function inflatesWithin(parts: Uint8Array[], limit: number): boolean {
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
  });
  for (const part of parts) {
    for (let at = 0; at < part.length; at += INFLATE_SLICE) {
      inflater.push(part.subarray(at, at + INFLATE_SLICE), false);
      if (total > limit) return false;
    }
  }
  inflater.push(new Uint8Array(0), true);
  return total <= limit;
}

/**
 * Reads a PNG's IHDR (bytes 16 to 28) and checks its size, then walks its chunks: lengths within
 * the file, and the image data inflating to no more than the header's size allows (the decoder
 * inflates all of it first, so a small image can carry a 400 MB zlib stream). The decoder then
 * gets only the chunks it needs: fast-png also inflates colour profiles (iCCP), to no bound.
 */
function pendingPng(bytes: Uint8Array, path: string): PendingImage {
  const unreadable = (why: string): CliError => new CliError(`${path} is not a readable PNG image (${why})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const typeAt = (at: number): string => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 33 || view.getUint32(8) !== 13 || typeAt(12) !== 'IHDR') throw unreadable('no IHDR header');
  const width = view.getUint32(16), height = view.getUint32(20);
  const depth = bytes[24], colorType = bytes[25], interlace = bytes[28];
  const kind = Object.hasOwn(PNG_COLOR_TYPES, colorType) ? PNG_COLOR_TYPES[colorType] : undefined;
  if (width === 0 || height === 0) throw unreadable(`its header says ${width}×${height}`);
  if (!kind || !kind.depths.includes(depth)) throw unreadable(`colour type ${colorType} with bit depth ${depth}`);
  if (interlace > 1) throw unreadable(`interlace method ${interlace}`);
  const header = { width, height, channels: kind.decoded };
  checkImageSize(path, header);

  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  const data: Uint8Array[] = [];
  let at = 8, ended = false;
  while (!ended) {
    if (bytes.length - at < 12) throw unreadable(`truncated after ${at} bytes`);
    const length = view.getUint32(at), type = typeAt(at + 4);
    if (length > bytes.length - at - 12) throw unreadable(`truncated: its ${type} chunk needs ${length} bytes, ${bytes.length - at - 12} are left`);
    const end = at + 12 + length;
    if (PNG_CHUNKS_KEPT.has(type)) kept.push(bytes.subarray(at, end));
    if (type === 'IDAT') data.push(bytes.subarray(at + 8, at + 8 + length));
    ended = type === 'IEND';
    at = end;
  }
  if (data.length === 0) throw unreadable('no image data');
  const limit = pngDataBytes(width, height, kind.stored * depth, interlace === 1);
  let within: boolean;
  try {
    within = inflatesWithin(data, limit);
  } catch (error) {
    throw unreadable(`its image data is not a zlib stream: ${oneLine(error)}`);
  }
  if (!within) throw unreadable(`its image data inflates to more than the ${limit} bytes its ${width}×${height} size allows`);
  const total = kept.reduce((n, c) => n + c.length, 0);
  const png = new Uint8Array(total);
  for (let i = 0, p = 0; i < kept.length; p += kept[i].length, i++) png.set(kept[i], p);
  return { header, decode: () => decodePngImage(png, path) };
}

function decodePngImage(bytes: Uint8Array, path: string): DecodedImage {
  let png: DecodedPng;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (error) {
    throw new CliError(`${path} is not a readable PNG image (${oneLine(error)})`);
  }
  const { width, height } = png;
  let { channels, depth } = png;
  let raw: Uint8Array | Uint8ClampedArray | Uint16Array = png.data;
  try {
    if (png.palette) {
      raw = convertIndexedToRgb(png); // RGB, or RGBA where the palette has transparency
      channels = raw.length / (width * height);
      depth = 8;
    }
  } catch (error) {
    throw new CliError(`${path} is not a readable PNG image (${oneLine(error)})`);
  }
  const expected = depth < 8 ? Math.ceil((width * depth) / 8) * height : width * height * channels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4 || raw.length !== expected) {
    throw new CliError(`${path} is not a readable PNG image (its pixel data is incomplete)`);
  }
  const pixels = width * height;
  let full: Uint8Array;
  if (depth === 16) {
    full = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) full[i] = Math.round(raw[i] / 257);
  } else if (depth < 8) {
    // Grey at 1, 2 or 4 bits: rows are packed, each starting on a byte.
    full = new Uint8Array(pixels);
    const rowBytes = Math.ceil((width * depth) / 8), max = (1 << depth) - 1, scale = 255 / max;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth, byte = raw[y * rowBytes + (bit >> 3)];
        full[y * width + x] = Math.round(((byte >> (8 - depth - (bit & 7))) & max) * scale);
      }
    }
  } else {
    full = raw instanceof Uint8Array ? raw : new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  }
  if (channels === 2 || channels === 4) {
    const kept = channels - 1;
    const out = new Uint8Array(pixels * kept);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < kept; c++) out[p * kept + c] = full[p * channels + c];
    }
    return { width, height, channels: kept, data: out };
  }
  return { width, height, channels, data: full };
}

/** A JPEG's frame header (SOFn): its size and components; null if none comes before the image data. */
function jpegFrame(bytes: Uint8Array): { width: number; height: number; components: number } | null {
  let i = 2;
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 >= bytes.length) return null;
      return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8], components: bytes[i + 9] };
    }
    if (marker === 0xda || marker === 0xd9) return null;
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return null;
}

/** jpeg-js's own limits, as a second line behind the header check: pixels, and memory in MB. */
const JPEG_MAX_MEGAPIXELS = (MAX_IMAGE_VALUES + 1) / 1e6;
const JPEG_MAX_MEMORY_MB = 64;

/** Reads a JPEG's frame header (SOFn: height, width, components) and checks its size. */
function pendingJpeg(bytes: Uint8Array, path: string): PendingImage {
  const frame = jpegFrame(bytes);
  if (!frame) throw new CliError(`${path} is not a readable JPEG image (no frame header before its image data)`);
  if (frame.width === 0 || frame.height === 0) {
    throw new CliError(`${path} is not a readable JPEG image (its frame header says ${frame.width}×${frame.height})`);
  }
  const header = { width: frame.width, height: frame.height, channels: frame.components === 1 ? 1 : 3 };
  checkImageSize(path, header);
  return { header, decode: () => decodeJpegImage(bytes, path, header.channels) };
}

function decodeJpegImage(bytes: Uint8Array, path: string, channels: number): DecodedImage {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true, formatAsRGBA: false, tolerantDecoding: false,
      maxResolutionInMP: JPEG_MAX_MEGAPIXELS, maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    });
  } catch (error) {
    throw new CliError(`${path} is not a readable JPEG image (${oneLine(error)})`);
  }
  const { width, height, data } = decoded;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new CliError(`${path} is not a readable JPEG image (no pixel data)`);
  }
  if (channels === 3) return { width, height, channels: 3, data };
  const grey = new Uint8Array(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = data[3 * p];
  return { width, height, channels: 1, data: grey };
}

/** Every .png/.jpg/.jpeg file of a folder (not of its subfolders), in natural name order. */
export async function imageFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => !e.isDirectory() && !e.name.startsWith('.') && IMAGE_FILE.test(e.name)).map((e) => e.name);
  } catch (error) {
    throw new CliError(`cannot read folder ${dir}: ${oneLine(error)}`);
  }
  const collator = new Intl.Collator('en', { numeric: true });
  return names.sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

async function readFolder(dir: string, limit: number | undefined): Promise<ImageBatch> {
  let files = await imageFiles(dir);
  if (files.length === 0) throw new CliError(`folder ${dir} holds no .png, .jpg or .jpeg images`);
  if (limit !== undefined) files = files.slice(0, limit);
  const paths = files.map((f) => join(dir, f));
  let next = readBytes(paths[0], 'image');
  let images = new Uint8Array(0);
  let first: ImageHeader | null = null;
  for (let i = 0; i < paths.length; i++) {
    const bytes = await next;
    if (i + 1 < paths.length) {
      next = readBytes(paths[i + 1], 'image');
      next.catch(() => undefined); // reported when awaited
    }
    const pending = readImageHeader(bytes, paths[i]);
    const { width, height, channels } = pending.header;
    if (first && (width !== first.width || height !== first.height || channels !== first.channels)) {
      throw new CliError(
        `${paths[i]} is ${describeShape(height, width, channels)} but ${paths[0]} (the first image) is ` +
        `${describeShape(first.height, first.width, first.channels)}; all images of a folder must have the same width, height and channels`);
    }
    const img = decodePending(pending, paths[i]);
    if (!first) {
      first = pending.header;
      images = new Uint8Array(paths.length * img.data.length);
    }
    images.set(img.data, i * img.data.length);
  }
  const { width, height, channels } = first!;
  return { images, count: paths.length, height, width, channels, name: dir };
}

function readIdxImages(bytes: Uint8Array, path: string, limit: number | undefined): ImageBatch {
  let idx;
  try {
    idx = parseIdx(bytes, path);
  } catch (error) {
    throw new CliError(oneLine(error).replace(/^parseIdx: /, ''));
  }
  const { dims, type } = idx;
  if (type !== 'u8' || (dims.length !== 3 && dims.length !== 4)) {
    throw new CliError(`${path} must hold u8 images with dims [count, height, width] or [count, height, width, channels], ` +
      `got ${type} with dims [${dims.join(', ')}]`);
  }
  const [n, height, width] = dims;
  const channels = dims.length === 4 ? dims[3] : 1;
  if (n === 0 || height === 0 || width === 0 || channels === 0) throw new CliError(`${path} holds no images (dims [${dims.join(', ')}])`);
  const count = Math.min(n, limit ?? n);
  const images = (idx.data as Uint8Array).subarray(0, count * height * width * channels);
  return { images, count, height, width, channels, name: path };
}

/** Images from a folder, an IDX file (plain or gzipped) or one PNG/JPEG file. */
export async function readImages(path: string, limit?: number): Promise<ImageBatch> {
  if ((await kindOf(path, '--images')) === 'folder') return readFolder(path, limit);
  const bytes = await readBytes(path, '--images');
  if (isPng(bytes) || isJpeg(bytes)) {
    const img = decodeImage(bytes, path);
    return { images: img.data, count: 1, height: img.height, width: img.width, channels: img.channels, name: path };
  }
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const idx = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0;
  if (!gzip && !idx) throw new CliError(`${path} is not an IDX file (plain or gzipped), a PNG or a JPEG image, nor a folder`);
  return readIdxImages(bytes, path, limit);
}

export interface SourceChoice {
  data?: string;
  images?: string;
  limit?: number;
}

export function checkSource(choice: SourceChoice): void {
  if (choice.data !== undefined && choice.images !== undefined) throw new UsageError('give --data or --images, not both');
  if (choice.data !== undefined && choice.data !== 'mnist') {
    throw new UsageError(`--data must be mnist (use --images for a folder or an IDX file), got '${choice.data}'`);
  }
}

/** Training data: MNIST's training set and, as validation, its test set; or the images given. */
export async function trainingSource(choice: SourceChoice): Promise<{ set: ImageBatch; mnistTest?: ImageBatch }> {
  checkSource(choice);
  if (choice.images !== undefined) return { set: await readImages(choice.images, choice.limit) };
  const limit = choice.limit;
  const { train, test } = await mnist(limit === undefined ? {} : { trainLimit: Math.min(limit, MNIST_TRAIN), testLimit: Math.min(limit, MNIST_TEST) });
  return { set: fromMnist(train, 'MNIST training set'), mnistTest: fromMnist(test, 'MNIST test set') };
}

/** Images to run through a model: the images given, or MNIST's test set. */
export async function inputSource(choice: SourceChoice): Promise<ImageBatch> {
  checkSource(choice);
  if (choice.images !== undefined) return readImages(choice.images, choice.limit);
  const limit = choice.limit;
  const { test } = await mnist({ trainLimit: 1, testLimit: Math.min(limit ?? MNIST_TEST, MNIST_TEST) });
  return fromMnist(test, 'MNIST test set');
}

async function mnist(options: { trainLimit?: number; testLimit?: number }): ReturnType<typeof loadMnist> {
  try {
    return await loadMnist(options);
  } catch (error) {
    throw new CliError(oneLine(error));
  }
}

function fromMnist(set: { images: Uint8Array; count: number; rows: number; cols: number }, name: string): ImageBatch {
  return { images: set.images, count: set.count, height: set.rows, width: set.cols, channels: 1, name };
}

/** The first `count` images of a batch, as a batch. */
export function firstImages(batch: ImageBatch, count: number, name = batch.name): ImageBatch {
  const size = batch.height * batch.width * batch.channels;
  return { ...batch, images: batch.images.subarray(0, count * size), count, name };
}

/** The images after the first `from`, as a batch. */
export function imagesFrom(batch: ImageBatch, from: number, name = batch.name): ImageBatch {
  const size = batch.height * batch.width * batch.channels;
  return { ...batch, images: batch.images.subarray(from * size), count: batch.count - from, name };
}
