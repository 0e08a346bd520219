// PNG and JPEG bytes → u8 pixels (grey, RGB or RGBA, interleaved, row-major), in any runtime: no
// `node:` import. The input is treated as hostile: its size is read from its header and checked
// before anything is decoded, the PNG's image data is inflated once with bounded memory to check
// it fits that size, and the decoders get only the chunks they need.
import { convertIndexedToRgb, decode as decodePng, type DecodedPng } from 'fast-png';
import { Unzlib } from 'fflate';
import jpeg from 'jpeg-js';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import {
  checkChannels,
  convertChannels,
  describeShape,
  type Channels,
  type PixelImage,
  type RawPixels,
} from './pixels.js';

/** The most values (height × width × channels) a decoded image may have: what a model takes. */
export const MAX_IMAGE_VALUES = 1 << 16;

export interface DecodeImageOptions {
  /** The channels to return: 1 (grey: BT.601 luma of colour images), 3 (RGB) or 4 (RGBA, alpha 255
   *  where the image has none). Default: the image's own, without alpha (1 or 3). */
  channels?: Channels;
  /** What errors call the bytes (a file name; default 'bytes'). */
  name?: string;
}

/** A decoded image: `data` holds height × width × channels bytes, channels interleaved. */
export interface DecodedImage extends PixelImage {
  channels: Channels;
}

/** An image's size as its header gives it, with the channels it decodes to by default (1 or 3). */
export interface ImageHeader {
  width: number;
  height: number;
  channels: 1 | 3;
}

/** A PNG or JPEG whose header was read and checked; decode() gives its pixels. */
export interface PendingImage {
  header: ImageHeader;
  decode(): DecodedImage;
}

/** The error of an image that cannot be decoded: "decodeImage: <name> …". */
function imageError(name: string, text: string): Error {
  return new Error(`decodeImage: ${name} ${text}`);
}

export function isPng(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  );
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Refuses an image whose header claims more than MAX_IMAGE_VALUES values (with the channels it is
 * to be decoded to): before it is decoded, since the decoders allocate what the header says (a
 * 400 KB PNG claiming 20000×20000 took 1.2 GB). BigInt: the product of two u32 sizes is exact.
 */
function checkImageSize(name: string, width: number, height: number, channels: number): void {
  const values = BigInt(width) * BigInt(height) * BigInt(channels);
  if (values > BigInt(MAX_IMAGE_VALUES)) {
    throw imageError(
      name,
      `is ${describeShape(height, width, channels)}: ${values.toLocaleString('en-US')} values, more than the ` +
        `${MAX_IMAGE_VALUES.toLocaleString('en-US')} an image may have (height × width × channels); not decoded`,
    );
  }
}

/**
 * Reads a PNG or JPEG's header (found by content, not by name) and checks its size for `channels`
 * (default: the image's own, without alpha). Nothing is decoded yet.
 */
export function readImageHeader(bytes: Uint8Array, name: string, channels?: Channels): PendingImage {
  if (isPng(bytes)) return pendingPng(bytes, name, channels);
  if (isJpeg(bytes)) return pendingJpeg(bytes, name, channels);
  throw imageError(name, 'is not a PNG or JPEG image (its first bytes are neither signature)');
}

/**
 * Decodes PNG or JPEG bytes (found by content) into u8 pixels: `{ width, height, channels, data }`,
 * data row-major with channels interleaved. Any PNG colour type and bit depth (16-bit rounded to 8,
 * palettes to RGB), baseline and progressive JPEG. Images of more than 65,536 values
 * (height × width × channels) are refused before decoding; errors start with "decodeImage: ".
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const fn = 'decodeImage';
  if (!(bytes instanceof Uint8Array)) throw argError(fn, 'bytes', 'a Uint8Array', bytes);
  rejectUnknownOptions(fn, options, ['channels', 'name']);
  const name = options.name ?? 'bytes';
  if (typeof name !== 'string') throw argError(fn, 'options.name', 'a string', name);
  const channels = options.channels === undefined ? undefined : checkChannels(fn, 'options.channels', options.channels);
  return readImageHeader(bytes, name, channels).decode();
}

/** The pixels of a pending image, checked against its header. */
function finish(name: string, header: ImageHeader, img: RawPixels, channels: Channels | undefined): DecodedImage {
  if (img.width !== header.width || img.height !== header.height) {
    throw imageError(
      name,
      `decodes to ${img.width}×${img.height}, but its header says ${header.width}×${header.height}`,
    );
  }
  const wanted = channels ?? (img.channels === 4 ? 3 : img.channels === 2 ? 1 : img.channels);
  return { ...convertChannels(img, wanted as Channels), channels: wanted as Channels };
}

// ---- PNG ------------------------------------------------------------------------------------------

/** PNG colour types: the channels stored, the channels they decode to by default, the bit depths allowed. */
const PNG_COLOR_TYPES: Record<number, { stored: number; decoded: 1 | 3; depths: number[] }> = {
  0: { stored: 1, decoded: 1, depths: [1, 2, 4, 8, 16] }, // grey
  2: { stored: 3, decoded: 3, depths: [8, 16] }, // RGB
  3: { stored: 1, decoded: 3, depths: [1, 2, 4, 8] }, // palette, decoded to RGB
  4: { stored: 2, decoded: 1, depths: [8, 16] }, // grey + alpha
  6: { stored: 4, decoded: 3, depths: [8, 16] }, // RGBA
};

/** The chunks the decoder is given; the others (text, colour profiles, ...) are not needed. */
const PNG_CHUNKS_KEPT = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);

/** Adam7's passes: first column and row, then the steps between columns and rows. */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

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

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

/**
 * Reads a PNG's IHDR (bytes 16 to 28) and checks its size, then walks its chunks: lengths within
 * the file, and the image data inflating to no more than the header's size allows (the decoder
 * inflates all of it first, so a small image can carry a 400 MB zlib stream). The decoder then
 * gets only the chunks it needs: fast-png also inflates colour profiles (iCCP), to no bound.
 */
function pendingPng(bytes: Uint8Array, name: string, channels: Channels | undefined): PendingImage {
  const unreadable = (why: string): Error => imageError(name, `is not a readable PNG image (${why})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const typeAt = (at: number): string => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 33 || view.getUint32(8) !== 13 || typeAt(12) !== 'IHDR') throw unreadable('no IHDR header');
  const width = view.getUint32(16),
    height = view.getUint32(20);
  const depth = bytes[24],
    colorType = bytes[25],
    interlace = bytes[28];
  const kind = Object.hasOwn(PNG_COLOR_TYPES, colorType) ? PNG_COLOR_TYPES[colorType] : undefined;
  if (width === 0 || height === 0) throw unreadable(`its header says ${width}×${height}`);
  if (!kind?.depths.includes(depth)) throw unreadable(`colour type ${colorType} with bit depth ${depth}`);
  if (interlace > 1) throw unreadable(`interlace method ${interlace}`);
  const header: ImageHeader = { width, height, channels: kind.decoded };
  checkImageSize(name, width, height, channels ?? kind.decoded);

  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  const data: Uint8Array[] = [];
  let at = 8,
    ended = false;
  while (!ended) {
    if (bytes.length - at < 12) throw unreadable(`truncated after ${at} bytes`);
    const length = view.getUint32(at),
      type = typeAt(at + 4);
    if (length > bytes.length - at - 12)
      throw unreadable(`truncated: its ${type} chunk needs ${length} bytes, ${bytes.length - at - 12} are left`);
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
  if (!within)
    throw unreadable(`its image data inflates to more than the ${limit} bytes its ${width}×${height} size allows`);
  const total = kept.reduce((n, c) => n + c.length, 0);
  const png = new Uint8Array(total);
  for (let i = 0, p = 0; i < kept.length; p += kept[i].length, i++) png.set(kept[i], p);
  return { header, decode: () => finish(name, header, decodePngPixels(png, name), channels) };
}

/** A PNG's pixels with the channels it stores (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA), 8 bits each. */
function decodePngPixels(bytes: Uint8Array, name: string): RawPixels {
  const unreadable = (why: string): Error => imageError(name, `is not a readable PNG image (${why})`);
  let png: DecodedPng;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (error) {
    throw unreadable(oneLine(error));
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
    throw unreadable(oneLine(error));
  }
  const expected = depth < 8 ? Math.ceil((width * depth) / 8) * height : width * height * channels;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4 || raw.length !== expected) {
    throw unreadable('its pixel data is incomplete');
  }
  let full: Uint8Array;
  if (depth === 16) {
    full = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) full[i] = Math.round(raw[i] / 257);
  } else if (depth < 8) {
    // Grey at 1, 2 or 4 bits: rows are packed, each starting on a byte.
    full = new Uint8Array(width * height);
    const rowBytes = Math.ceil((width * depth) / 8),
      max = (1 << depth) - 1,
      scale = 255 / max;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth,
          byte = raw[y * rowBytes + (bit >> 3)];
        full[y * width + x] = Math.round(((byte >> (8 - depth - (bit & 7))) & max) * scale);
      }
    }
  } else {
    full = raw instanceof Uint8Array ? raw : new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  }
  return { width, height, channels, data: full };
}

// ---- JPEG -----------------------------------------------------------------------------------------

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
      return {
        height: (bytes[i + 5] << 8) | bytes[i + 6],
        width: (bytes[i + 7] << 8) | bytes[i + 8],
        components: bytes[i + 9],
      };
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
function pendingJpeg(bytes: Uint8Array, name: string, channels: Channels | undefined): PendingImage {
  const frame = jpegFrame(bytes);
  if (!frame) throw imageError(name, 'is not a readable JPEG image (no frame header before its image data)');
  if (frame.width === 0 || frame.height === 0) {
    throw imageError(name, `is not a readable JPEG image (its frame header says ${frame.width}×${frame.height})`);
  }
  const header: ImageHeader = { width: frame.width, height: frame.height, channels: frame.components === 1 ? 1 : 3 };
  checkImageSize(name, header.width, header.height, channels ?? header.channels);
  return { header, decode: () => finish(name, header, decodeJpegPixels(bytes, name, header.channels), channels) };
}

function decodeJpegPixels(bytes: Uint8Array, name: string, channels: 1 | 3): RawPixels {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: JPEG_MAX_MEGAPIXELS,
      maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    });
  } catch (error) {
    throw imageError(name, `is not a readable JPEG image (${oneLine(error)})`);
  }
  const { width, height, data } = decoded;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw imageError(name, 'is not a readable JPEG image (no pixel data)');
  }
  if (channels === 3) return { width, height, channels: 3, data };
  // A one-component JPEG: jpeg-js repeats the grey value in R, G and B.
  const grey = new Uint8Array(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = data[3 * p];
  return { width, height, channels: 1, data: grey };
}
