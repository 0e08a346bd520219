// loadImages: a folder of PNG/JPEG files → one Uint8Array of rows for Autoencoder.fit. Node only
// (node:fs); the entry src/image-node.ts adds it to the image entry's platform-neutral functions.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { readImageHeader, type ImageHeader } from './decode.js';
import { checkChannels, describeShape, positiveInt, type Channels } from './pixels.js';

export interface LoadImagesOptions {
  /** The channels of every image: 1 (grey), 3 (RGB) or 4 (RGBA); default: the first image's own
   *  (1 or 3, alpha dropped), which every other image must then have too. */
  channels?: Channels;
  /** Read only the first `limit` files (in the order below). */
  limit?: number;
}

export interface LoadedImages {
  /** count × height × width × channels pixels, 0–255: one row per image, ready for `ae.fit`. */
  images: Uint8Array;
  /** The file names (not paths), in the order of the rows. */
  names: string[];
  count: number;
  width: number;
  height: number;
  channels: Channels;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;
/** No image file is read past this size (a PNG of 65,536 values with large ancillary chunks fits well below it). */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The .png/.jpg/.jpeg files of a folder (not of its subfolders, not hidden), in natural name
 * order ('2.png' before '10.png'; ties by code units), so that rows come in the same order on
 * every machine.
 */
export async function imageFiles(folder: string, fn = 'imageFiles'): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    names = entries
      .filter((e) => !e.isDirectory() && !e.name.startsWith('.') && IMAGE_FILE.test(e.name))
      .map((e) => e.name);
  } catch (error) {
    throw new Error(`${fn}: cannot read folder ${folder}: ${message(error)}`);
  }
  const collator = new Intl.Collator('en', { numeric: true });
  return names.sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** A regular file's bytes, refused before reading when larger than MAX_IMAGE_FILE_BYTES. */
async function readImageFile(fn: string, path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new Error(`${fn}: cannot read ${path}: ${message(error)}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${fn}: ${path} is not a regular file`);
    if (info.size > MAX_IMAGE_FILE_BYTES) {
      throw new Error(
        `${fn}: ${path} is ${info.size.toLocaleString('en-US')} bytes, more than the ` +
          `${MAX_IMAGE_FILE_BYTES.toLocaleString('en-US')} an image file may have`,
      );
    }
    const buf = await handle.readFile();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${fn}: `)) throw error;
    throw new Error(`${fn}: cannot read ${path}: ${message(error)}`);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a folder's PNG and JPEG files (sorted as imageFiles sorts them) into one Uint8Array of
 * rows, height × width × channels each, ready for `ae.fit`. Every image must have the first
 * one's width, height and channels (with `channels` given, any image is converted to them).
 * Each header is checked before its file is decoded (decodeImage's limits); errors name the file.
 */
export async function loadImages(folder: string, options: LoadImagesOptions = {}): Promise<LoadedImages> {
  const fn = 'loadImages';
  if (typeof folder !== 'string' || folder === '')
    throw argError(fn, 'folder', 'a folder path (a non-empty string)', folder);
  rejectUnknownOptions(fn, options, ['channels', 'limit']);
  const wanted = options.channels === undefined ? undefined : checkChannels(fn, 'options.channels', options.channels);
  const limit = options.limit === undefined ? undefined : positiveInt(fn, 'options.limit', options.limit);

  let names = await imageFiles(folder, fn);
  if (names.length === 0) throw new Error(`${fn}: folder ${folder} holds no .png, .jpg or .jpeg images`);
  if (limit !== undefined) names = names.slice(0, limit);
  const paths = names.map((name) => join(folder, name));
  const rethrow = (error: unknown): never => {
    throw new Error(message(error).replace(/^decodeImage: /, `${fn}: `));
  };

  let images = new Uint8Array(0);
  let first: ImageHeader | null = null;
  let channels: Channels = 1;
  let next = readImageFile(fn, paths[0]);
  for (let i = 0; i < paths.length; i++) {
    const bytes = await next;
    if (i + 1 < paths.length) {
      next = readImageFile(fn, paths[i + 1]); // read while this one decodes
      next.catch(() => undefined); // reported when awaited
    }
    let pending;
    try {
      pending = readImageHeader(bytes, paths[i], wanted);
    } catch (error) {
      rethrow(error);
    }
    const { width, height } = pending!.header;
    if (first === null) {
      first = pending!.header;
      channels = wanted ?? first.channels;
      const total = paths.length * width * height * channels;
      if (total > 2 ** 31 - 1) {
        throw new Error(
          `${fn}: ${paths.length} images of ${describeShape(height, width, channels)} are ${total.toLocaleString('en-US')} bytes, ` +
            'more than one Uint8Array of rows may hold here (2^31 - 1); pass options.limit',
        );
      }
      images = new Uint8Array(total);
    } else if (
      width !== first.width ||
      height !== first.height ||
      (wanted === undefined && pending!.header.channels !== first.channels)
    ) {
      const shape = (h: ImageHeader): string =>
        wanted === undefined ? describeShape(h.height, h.width, h.channels) : `${h.width}×${h.height}`;
      throw new Error(
        `${fn}: ${paths[i]} is ${shape(pending!.header)} but ${paths[0]} (the first image) is ${shape(first)}; ` +
          `all images of a folder must have the same width, height${wanted === undefined ? ' and channels (or pass options.channels)' : ''}`,
      );
    }
    let img;
    try {
      img = pending!.decode();
    } catch (error) {
      rethrow(error);
    }
    images.set(img!.data, i * img!.data.length);
  }
  const { width, height } = first!;
  return { images, names, count: paths.length, width, height, channels };
}
