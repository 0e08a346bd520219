// Image sources of the command line: MNIST, IDX files (plain or gzipped), folders of PNG/JPEG
// images, single PNG/JPEG files. Every image comes out as u8 pixels, row-major, channels
// interleaved (height × width × channels), 1 (grey) or 3 (RGB) channels for PNG and JPEG. The
// decoding and the folder reading are the image entry's (decodeImage, loadImages); here their
// errors become one-line CliErrors that start with the file's path.
import { parseIdx } from '../entries/idx.js';
import { decodeImage, isJpeg, isPng } from '../image/decode.js';
import { loadImages } from '../image/node.js';
import { CliError, UsageError, oneLine } from './errors.js';
import { kindOf, readBytes } from './files.js';

export { MAX_IMAGE_VALUES } from '../image/decode.js';
export { describeShape } from '../image/pixels.js';

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

/** The image entry's error as the CLI reports it: without the function's name. */
function cliError(error: unknown, fn: string): CliError {
  return new CliError(oneLine(error).replace(new RegExp(`^${fn}: `), ''));
}

/** decodeImage for one file: its errors are CliErrors that start with the path. */
export function decodeImageFile(
  bytes: Uint8Array,
  path: string,
): { width: number; height: number; channels: number; data: Uint8Array } {
  try {
    return decodeImage(bytes, { name: path });
  } catch (error) {
    throw cliError(error, 'decodeImage');
  }
}

async function readFolder(dir: string, limit: number | undefined): Promise<ImageBatch> {
  try {
    const { images, count, height, width, channels } = await loadImages(dir, limit === undefined ? {} : { limit });
    return { images, count, height, width, channels, name: dir };
  } catch (error) {
    throw cliError(error, 'loadImages');
  }
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
    throw new CliError(
      `${path} must hold u8 images with dims [count, height, width] or [count, height, width, channels], ` +
        `got ${type} with dims [${dims.join(', ')}]`,
    );
  }
  const [n, height, width] = dims;
  const channels = dims.length === 4 ? dims[3] : 1;
  if (n === 0 || height === 0 || width === 0 || channels === 0)
    throw new CliError(`${path} holds no images (dims [${dims.join(', ')}])`);
  const count = Math.min(n, limit ?? n);
  const images = (idx.data as Uint8Array).subarray(0, count * height * width * channels);
  return { images, count, height, width, channels, name: path };
}

/** Images from a folder, an IDX file (plain or gzipped) or one PNG/JPEG file. */
export async function readImages(path: string, limit?: number): Promise<ImageBatch> {
  if ((await kindOf(path, '--images')) === 'folder') return readFolder(path, limit);
  const bytes = await readBytes(path, '--images');
  if (isPng(bytes) || isJpeg(bytes)) {
    const img = decodeImageFile(bytes, path);
    return { images: img.data, count: 1, height: img.height, width: img.width, channels: img.channels, name: path };
  }
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const idx = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0;
  if (!gzip && !idx)
    throw new CliError(`${path} is not an IDX file (plain or gzipped), a PNG or a JPEG image, nor a folder`);
  return readIdxImages(bytes, path, limit);
}

export interface SourceChoice {
  data?: string;
  images?: string;
  limit?: number;
}

export function checkSource(choice: SourceChoice): void {
  if (choice.data !== undefined && choice.images !== undefined)
    throw new UsageError('give --data or --images, not both');
  if (choice.data !== undefined && choice.data !== 'mnist') {
    throw new UsageError(`--data must be mnist (use --images for a folder or an IDX file), got '${choice.data}'`);
  }
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
