// IDX images read from disk in chunks of whole rows (plain or gzipped, with node:fs and node:zlib),
// so that a data set larger than memory can train (`fit(stream)`) and a data set that fits is read
// straight into a model (`ae.dataset(stream)`) without a copy of the whole file in JavaScript. Each
// pass ([Symbol.asyncIterator]()) opens the files again, so fit may read them once per epoch.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { describeBytes, idxHeader, inflatesPastHeader, MAX_IDX_HEADER_BYTES } from './idx.js';

const FN = 'streamIdx';
/** Rows per chunk unless told: 256 MNIST digits are 200 KB (measured with bench/rss-child.js: smaller chunks left less behind at the peak than 1,024 or 8,192). */
const DEFAULT_CHUNK_ROWS = 256;
/** Inflated pieces of this size (as loadMnist's gunzip). */
const OUTPUT_CHUNK = 65536;
/** Bytes read from a file at a time when inflating. */
const READ_CHUNK = 1 << 20;
/** Bytes of a plain file read ahead of the chunk in use (a few chunks of the default size). */
const READ_AHEAD_BYTES = 1 << 20;

export interface IdxChunk {
  /** chunk rows × values per image, row-major. */
  images: Uint8Array;
  labels?: Uint8Array;
  /** Hands the arrays back, to be filled again by a later chunk of the same pass, so that a pass
   *  makes no garbage: fit and Autoencoder.dataset call it once they have copied the rows. The
   *  arrays may change after it; a chunk never released stays as it is. */
  release(): void;
}

/** The images of an IDX file (u8, dims [count, …]) in chunks of whole rows, with their labels. */
export interface IdxImageStream extends AsyncIterable<IdxChunk> {
  readonly path: string;
  /** Images in the file. */
  readonly count: number;
  /** The dims of one image (MNIST: [28, 28]). */
  readonly shape: number[];
  /** Values per image. */
  readonly imageSize: number;
}

export interface StreamIdxOptions {
  /** An IDX file of u8 labels, one per image (plain or gzipped): each chunk then has `labels`. */
  labels?: string;
  /** Images per chunk (default 256; the last chunk may have fewer). */
  chunkRows?: number;
}

/** A file's bytes after its IDX header, read in exact amounts. */
interface Reader {
  /** Fills `out` with the next out.length bytes (the order of calls, not of completions). */
  read(out: Uint8Array): Promise<Uint8Array>;
  /** Whether reads may be in flight together (a plain file's are positional; gunzip's are not). */
  concurrent: boolean;
  /** Checks that nothing is left, then closes. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

interface Opened {
  reader: Reader;
  dims: number[];
}

function isGzipStart(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Opens `path`, reads and checks its IDX header (u8, at least `minDims` dims). */
async function openIdx(path: string, what: string, minDims: number): Promise<Opened> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new Error(`${FN}: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const start = new Uint8Array(2);
    await fh.read(start, 0, 2, 0);
    if (isGzipStart(start)) {
      await fh.close();
      return await openGzip(path, what, minDims);
    }
    const head = new Uint8Array(MAX_IDX_HEADER_BYTES);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const header = idxHeader(head.subarray(0, bytesRead), path);
    if (!header) throw new Error(`parseIdx: ${path} is too short: expected a whole IDX header, got ${bytesRead} bytes`);
    checkHeader(path, what, header, minDims);
    const size = (await stat(path)).size;
    const actual = size - header.headerBytes;
    if (actual !== header.dataBytes) {
      throw new Error(
        `parseIdx: ${path} ${actual < header.dataBytes ? 'is truncated' : 'has trailing bytes'}: dims [${header.dims.join(', ')}] of u8 need ${describeBytes(header.dataBytes)} data bytes, got ${actual}`,
      );
    }
    return { reader: fileReader(fh, header.headerBytes), dims: header.dims };
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
}

function checkHeader(
  path: string,
  what: string,
  header: { type: string; dims: number[]; dataBytes: number },
  minDims: number,
): void {
  if (header.type !== 'u8' || header.dims.length < minDims) {
    throw new Error(
      `${FN}: ${path} must hold u8 ${what} with ${minDims === 1 ? '1 dim' : `at least ${minDims} dims (count, …)`}, got ${header.type} with dims [${header.dims.join(', ')}]`,
    );
  }
  if (!Number.isFinite(header.dataBytes))
    throw new Error(
      `${FN}: ${path} declares dims [${header.dims.join(', ')}] of u8, ${describeBytes(header.dataBytes)} bytes: more than any file holds`,
    );
}

/** A plain file read from `position` on. Each read takes its byte range when called, so several
 *  may be in flight at once. */
function fileReader(fh: FileHandle, position: number): Reader {
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    concurrent: true,
    async read(out) {
      const n = out.length,
        at = position;
      position += n;
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(out, got, n - got, at + got);
        if (bytesRead === 0) throw new Error(`parseIdx: ${FN}: the file ended early (it changed while read?)`);
        got += bytesRead;
      }
      return out;
    },
    finish: close,
    close,
  };
}

/** A gzipped file inflated as a stream: never past the size its header declares. */
async function openGzip(path: string, what: string, minDims: number): Promise<Opened> {
  const file = createReadStream(path, { highWaterMark: READ_CHUNK });
  const inflater = createGunzip({ chunkSize: OUTPUT_CHUNK });
  file.on('error', (e) => inflater.destroy(new Error(`${FN}: cannot read ${path}: ${e.message}`)));
  file.pipe(inflater);
  const pieces = inflater[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Uint8Array = new Uint8Array(0);
  let inflated = 0;
  let declared = Infinity;
  const pull = async (): Promise<boolean> => {
    let r: IteratorResult<Buffer>;
    try {
      r = await pieces.next();
    } catch (e) {
      const message = (e as Error).message;
      throw new Error(message.startsWith(FN) ? message : `${FN}: ${path} is corrupt gzip data (${message})`);
    }
    if (r.done) return false;
    inflated += r.value.length;
    if (inflated > declared) throw inflatesPastHeader(FN, path, declared);
    pending = pending.length === 0 ? r.value : Buffer.concat([pending, r.value]);
    return true;
  };
  const close = async (): Promise<void> => {
    file.destroy();
    inflater.destroy();
  };
  try {
    let header = idxHeader(pending, path);
    while (!header) {
      if (!(await pull()))
        throw new Error(`parseIdx: ${path} is too short: expected a whole IDX header, got ${pending.length} bytes`);
      header = idxHeader(pending, path);
    }
    checkHeader(path, what, header, minDims);
    declared = header.headerBytes + header.dataBytes;
    if (inflated > declared) throw inflatesPastHeader(FN, path, declared);
    pending = pending.subarray(header.headerBytes);
    const dims = header.dims;
    const reader: Reader = {
      concurrent: false,
      async read(out) {
        const n = out.length;
        let got = 0;
        while (got < n) {
          if (pending.length === 0 && !(await pull())) {
            throw new Error(
              `parseIdx: ${path} is truncated: dims [${dims.join(', ')}] of u8 need ${header!.dataBytes} data bytes, got ${inflated - header!.headerBytes}`,
            );
          }
          const take = Math.min(n - got, pending.length);
          out.set(pending.subarray(0, take), got);
          pending = pending.subarray(take);
          got += take;
        }
        return out;
      },
      async finish() {
        // The gzip trailer is checked by node:zlib at the end; nothing may follow the data.
        while (pending.length === 0 && (await pull()));
        if (pending.length > 0) throw inflatesPastHeader(FN, path, declared);
        await close();
      },
      close,
    };
    return { reader, dims };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The images of an IDX file (u8; dims [count, rows, cols] as MNIST's, or any [count, …]), plain
 * or gzipped, as a re-readable stream of chunks for `fit` and `Autoencoder.dataset`. The headers
 * are read and checked here (the same checks as parseIdx: magic, type, dims, size; a gzipped file
 * is never inflated past the size its header declares); the data is read as it is consumed, a
 * chunk ahead for plain files. A pass that stops early (fit rejected, the loop broke) closes its files.
 */
export async function streamIdx(path: string, options: StreamIdxOptions = {}): Promise<IdxImageStream> {
  if (typeof path !== 'string' || path === '') throw argError(FN, 'path', 'a non-empty string', path);
  if (typeof options !== 'object' || options === null) throw argError(FN, 'options', 'an object', options);
  rejectUnknownOptions(FN, options, ['labels', 'chunkRows']);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  if (!(Number.isInteger(chunkRows) && chunkRows >= 1 && chunkRows <= 1 << 24))
    throw argError(FN, 'options.chunkRows', 'an integer in [1, 16777216]', chunkRows);
  const labelsPath = options.labels;
  if (labelsPath !== undefined && (typeof labelsPath !== 'string' || labelsPath === ''))
    throw argError(FN, 'options.labels', 'a non-empty string', labelsPath);
  // Opened once here to check the headers and learn the count; every pass opens them again.
  const first = await openIdx(path, 'images', 2);
  await first.reader.close();
  const [count, ...shape] = first.dims;
  const imageSize = shape.reduce((a, b) => a * b, 1);
  if (labelsPath !== undefined) {
    const labels = await openIdx(labelsPath, 'labels', 1);
    await labels.reader.close();
    if (labels.dims.length !== 1 || labels.dims[0] !== count) {
      throw new Error(
        `${FN}: ${labelsPath} must hold one label per image of ${path} (${count}), got dims [${labels.dims.join(', ')}]`,
      );
    }
  }
  return {
    path,
    count,
    shape,
    imageSize,
    [Symbol.asyncIterator]: () => pass(path, labelsPath, count, imageSize, chunkRows),
  };
}

function pass(
  path: string,
  labelsPath: string | undefined,
  count: number,
  imageSize: number,
  chunkRows: number,
): AsyncIterator<IdxChunk> {
  let images: Reader | null = null,
    labels: Reader | null = null;
  let done = 0,
    scheduled = 0;
  // Chunks being read ahead, in order. A plain file keeps about READ_AHEAD_BYTES in flight, so the
  // chunks a trainer asks for one after another between its segments are mostly there already;
  // gunzip's reads go one at a time.
  const ahead: { rows: number; chunk: Promise<IdxChunk> }[] = [];
  let depth = 1;
  let finished = false;
  const closeAll = async (): Promise<void> => {
    finished = true;
    await Promise.all([images?.close(), labels?.close()]);
  };
  // Arrays handed back by release(), reused for the next chunks of their size.
  const spare: Uint8Array[] = [];
  const take = (n: number): Uint8Array => {
    const i = spare.findIndex((a) => a.length === n);
    return i >= 0 ? spare.splice(i, 1)[0] : new Uint8Array(n);
  };
  const readChunk = async (rows: number): Promise<IdxChunk> => {
    const [im, lb] = await Promise.all([images!.read(take(rows * imageSize)), labels?.read(take(rows))]);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      spare.push(im);
      if (lb) spare.push(lb);
    };
    return lb ? { images: im, labels: lb, release } : { images: im, release };
  };
  const fill = (): void => {
    while (ahead.length < depth && scheduled < count) {
      const rows = Math.min(chunkRows, count - scheduled);
      scheduled += rows;
      const chunk = readChunk(rows);
      chunk.catch(() => {});
      ahead.push({ rows, chunk });
    }
  };
  return {
    async next() {
      if (finished) return { done: true, value: undefined };
      try {
        if (!images) {
          images = (await openIdx(path, 'images', 2)).reader;
          if (labelsPath !== undefined) labels = (await openIdx(labelsPath, 'labels', 1)).reader;
          const concurrent = images.concurrent && (labels?.concurrent ?? true);
          depth = concurrent
            ? Math.max(1, Math.floor(READ_AHEAD_BYTES / (chunkRows * (imageSize + (labels ? 1 : 0)))))
            : 1;
        }
        if (done >= count) {
          await Promise.all([images.finish(), labels?.finish()]);
          finished = true;
          return { done: true, value: undefined };
        }
        fill();
        const { rows, chunk } = ahead.shift()!;
        const value = await chunk;
        done += rows;
        // The next chunks are read while this one is used.
        fill();
        return { done: false, value };
      } catch (e) {
        await closeAll().catch(() => {});
        throw e;
      }
    },
    async return() {
      await Promise.all(ahead.map((a) => a.chunk.catch(() => {})));
      await closeAll();
      return { done: true, value: undefined };
    },
  };
}
