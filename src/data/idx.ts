import { argError, describeValue } from '../util/errors.js';

export type IdxType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  type: IdxType;
  data: IdxData;
}

interface TypeInfo {
  type: IdxType;
  code: number;
  bytes: number;
  ctor: { new (length: number): IdxData; readonly name: string };
}

const TYPES: readonly TypeInfo[] = [
  { type: 'u8', code: 0x08, bytes: 1, ctor: Uint8Array },
  { type: 'i8', code: 0x09, bytes: 1, ctor: Int8Array },
  { type: 'i16', code: 0x0b, bytes: 2, ctor: Int16Array },
  { type: 'i32', code: 0x0c, bytes: 4, ctor: Int32Array },
  { type: 'f32', code: 0x0d, bytes: 4, ctor: Float32Array },
  { type: 'f64', code: 0x0e, bytes: 8, ctor: Float64Array },
];

const MAX_DIMS = 255; // the dim count is stored in one byte
/** Magic, type, rank and up to 255 dims of 4 bytes: an IDX header is never longer. */
export const MAX_IDX_HEADER_BYTES = 4 + 4 * MAX_DIMS;
const MAX_DIM = 0xffffffff;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes, or throws an Error that names `name`. */
export type Gunzip = (bytes: Uint8Array, name: string) => Uint8Array;

/**
 * The most bytes a gzipped IDX file may inflate to, header included: 2 GiB, 45 times MNIST's 47 MB
 * of training images. Gzipped data inflates into one buffer, so the gunzips of parseIdx and
 * loadMnist refuse a header that declares more before inflating the data; plain IDX has no such
 * bound, its size is the input's.
 */
const MAX_INFLATED_IDX_BYTES = 2 ** 31;

interface IdxHeader {
  info: TypeInfo;
  dims: number[];
  headerBytes: number;
  /** Infinity when the dims multiply past Number.MAX_SAFE_INTEGER elements. */
  dataBytes: number;
}

/** Checks the first 4 bytes: the magic, the type code and the dimension count. */
function readMagic(buf: Uint8Array, name: string): { info: TypeInfo; rank: number } {
  if (buf.length < 4) {
    throw new Error(`parseIdx: ${name} is too short: expected at least 4 header bytes, got ${buf.length}`);
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(
      `parseIdx: ${name} has a bad magic number: expected first two bytes 0x00 0x00, got ${hex(buf[0])} ${hex(buf[1])}`,
    );
  }
  const info = TYPES.find((t) => t.code === buf[2]);
  if (!info) {
    const known = TYPES.map((t) => `${hex(t.code)} (${t.type})`).join(', ');
    throw new Error(`parseIdx: ${name} has an unknown type code: expected one of ${known}, got ${hex(buf[2])}`);
  }
  const rank = buf[3];
  if (rank === 0) throw new Error(`parseIdx: ${name} declares 0 dimensions: expected at least 1`);
  return { info, rank };
}

/** Reads and checks the whole header: the magic and the dims. */
function readHeader(buf: Uint8Array, name: string): IdxHeader {
  const { info, rank } = readMagic(buf, name);
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) {
    throw new Error(
      `parseIdx: ${name} is too short: expected ${headerBytes} header bytes for ${rank} dimension${rank === 1 ? '' : 's'}, got ${buf.length}`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, headerBytes);
  const dims = new Array<number>(rank);
  for (let d = 0; d < rank; d++) dims[d] = view.getUint32(4 + 4 * d, false);
  return { info, dims, headerBytes, dataBytes: elementCount(dims) * info.bytes };
}

// Up to 255 dims of up to 2^32 - 1 each: the product can pass 2^53, where doubles stop being exact
// and a wrong size could match a real length. Past that bound no input is long enough, so the
// count is reported as Infinity. A 0 anywhere makes an empty array, however large the others are.
function elementCount(dims: readonly number[]): number {
  if (dims.includes(0)) return 0;
  let count = 1;
  for (const dim of dims) {
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return count;
}

/**
 * The header at the start of an IDX file being read in pieces (a stream): its type, dims and sizes,
 * or undefined while `start` is shorter than the header. Throws decodeIdx's errors for a bad magic,
 * type code or dimension count. `dataBytes` is Infinity when the dims multiply past 2^53.
 */
export function idxHeader(
  start: Uint8Array,
  name: string,
): { type: IdxType; dims: number[]; headerBytes: number; dataBytes: number } | undefined {
  if (start.length < 4) return undefined;
  readMagic(start, name);
  if (start.length < 4 + 4 * start[3]) return undefined;
  const { info, dims, headerBytes, dataBytes } = readHeader(start, name);
  return { type: info.type, dims, headerBytes, dataBytes };
}

export function describeBytes(n: number): string {
  return Number.isFinite(n) ? String(n) : `more than ${Number.MAX_SAFE_INTEGER}`;
}

/**
 * For a gunzip that inflates IDX: the size in bytes (header and data) that the header at the start
 * of the output declares, or undefined while `start` is shorter than the header. Throws decodeIdx's
 * errors for a bad magic, type code or dimension count, so that inflating stops at the first bytes
 * that are not IDX, and an error naming `fn` when the header declares more than
 * MAX_INFLATED_IDX_BYTES.
 */
export function inflatedIdxBytes(start: Uint8Array, name: string, fn: string): number | undefined {
  if (start.length < 4 || start.length < 4 + 4 * start[3]) {
    // A bad magic or type code shows in the first 4 bytes already.
    if (start.length >= 4) readMagic(start, name);
    return undefined;
  }
  const { info, dims, headerBytes, dataBytes } = readHeader(start, name);
  const fileBytes = headerBytes + dataBytes;
  if (fileBytes > MAX_INFLATED_IDX_BYTES) {
    throw new Error(
      `${fn}: ${name} declares dims [${dims.join(', ')}] of ${info.type}, ${describeBytes(fileBytes)} bytes with its header: ` +
        `expected at most ${MAX_INFLATED_IDX_BYTES} for gzipped IDX (decompress larger files before reading them)`,
    );
  }
  return fileBytes;
}

/** The error of a gunzip that stops inflating at the size the IDX header declares. */
export function inflatesPastHeader(fn: string, name: string, fileBytes: number): Error {
  return new Error(`${fn}: ${name} decompresses to more than the ${fileBytes} bytes its IDX header implies`);
}

/** out[i] = read(at + i·size): IDX's big-endian values, one element per `size` bytes. */
function bigEndian<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  out: T,
  at: number,
  size: number,
  read: (p: number) => number,
): T {
  for (let i = 0, p = at; i < out.length; i++, p += size) out[i] = read(p);
  return out;
}

/**
 * Decode an IDX file (the MNIST format). Gzipped input (the gzip magic) goes through `gunzip`,
 * which the caller provides: `parseIdx` (./parseIdx.ts) passes a portable one, the Node MNIST
 * loader passes node:zlib's, so that neither pulls in what it does not use. u8 and i8 data are
 * returned as views into the input (or the gunzipped buffer) without copying; wider types are
 * converted from big-endian. The size the dims declare is checked against the bytes there before
 * anything is allocated.
 */
export function decodeIdx(bytes: Uint8Array, name = 'IDX data', gunzip?: Gunzip): IdxArray {
  if (typeof name !== 'string') throw argError('parseIdx', 'name', 'a string', name);
  if (!(bytes instanceof Uint8Array)) throw argError('parseIdx', `${name} (bytes)`, 'a Uint8Array', bytes);

  let buf = bytes;
  if (isGzip(bytes)) {
    if (!gunzip)
      throw new Error(`parseIdx: ${name} is gzipped and no gunzip was given (use parseIdx, which handles gzip)`);
    buf = gunzip(bytes, name);
  }

  const { info, dims, headerBytes, dataBytes } = readHeader(buf, name);
  const actualDataBytes = buf.length - headerBytes;
  if (dataBytes !== actualDataBytes) {
    const problem = actualDataBytes < dataBytes ? 'is truncated' : 'has trailing bytes';
    throw new Error(
      `parseIdx: ${name} ${problem}: dims [${dims.join(', ')}] of ${info.type} need ${describeBytes(dataBytes)} data bytes, ` +
        `got ${actualDataBytes}`,
    );
  }
  const count = dataBytes / info.bytes;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);

  let data: IdxData;
  switch (info.type) {
    case 'u8':
      data = buf.subarray(headerBytes);
      break;
    case 'i8':
      data = new Int8Array(buf.buffer, buf.byteOffset + headerBytes, count);
      break;
    case 'i16':
      data = bigEndian(new Int16Array(count), headerBytes, 2, (p) => view.getInt16(p, false));
      break;
    case 'i32':
      data = bigEndian(new Int32Array(count), headerBytes, 4, (p) => view.getInt32(p, false));
      break;
    case 'f32':
      data = bigEndian(new Float32Array(count), headerBytes, 4, (p) => view.getFloat32(p, false));
      break;
    case 'f64':
      data = bigEndian(new Float64Array(count), headerBytes, 8, (p) => view.getFloat64(p, false));
      break;
  }
  return { dims, type: info.type, data };
}

/** Encode an array as an uncompressed IDX file (big-endian, as the format requires). */
export function encodeIdx(a: IdxArray): Uint8Array {
  if (typeof a !== 'object' || a === null) throw argError('encodeIdx', 'a', 'an IdxArray object', a);
  const info = TYPES.find((t) => t.type === a.type);
  if (!info) {
    throw argError('encodeIdx', 'a.type', `one of ${TYPES.map((t) => `'${t.type}'`).join(', ')}`, a.type);
  }
  if (!Array.isArray(a.dims) || a.dims.length < 1 || a.dims.length > MAX_DIMS) {
    throw argError('encodeIdx', 'a.dims', `an array of 1..${MAX_DIMS} dimensions`, a.dims);
  }
  let count = 1;
  for (let d = 0; d < a.dims.length; d++) {
    const dim = a.dims[d];
    if (!Number.isInteger(dim) || dim < 0 || dim > MAX_DIM) {
      throw argError('encodeIdx', `a.dims[${d}]`, `an integer in 0..${MAX_DIM}`, dim);
    }
    count *= dim;
  }
  if (!(a.data instanceof info.ctor)) {
    throw argError('encodeIdx', 'a.data', `a ${info.ctor.name} for type '${info.type}'`, a.data);
  }
  if (a.data.length !== count) {
    throw new Error(
      `encodeIdx: a.data must have ${count} elements for dims [${a.dims.join(', ')}], got ${describeValue(a.data)}`,
    );
  }

  const headerBytes = 4 + 4 * a.dims.length;
  const out = new Uint8Array(headerBytes + count * info.bytes);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = a.dims.length;
  for (let d = 0; d < a.dims.length; d++) view.setUint32(4 + 4 * d, a.dims[d], false);

  const data = a.data;
  switch (info.type) {
    case 'u8':
      out.set(data as Uint8Array, headerBytes);
      break;
    case 'i8':
      out.set(new Uint8Array(data.buffer, data.byteOffset, count), headerBytes);
      break;
    case 'i16':
      for (let i = 0, p = headerBytes; i < count; i++, p += 2) view.setInt16(p, data[i], false);
      break;
    case 'i32':
      for (let i = 0, p = headerBytes; i < count; i++, p += 4) view.setInt32(p, data[i], false);
      break;
    case 'f32':
      for (let i = 0, p = headerBytes; i < count; i++, p += 4) view.setFloat32(p, data[i], false);
      break;
    case 'f64':
      for (let i = 0, p = headerBytes; i < count; i++, p += 8) view.setFloat64(p, data[i], false);
      break;
  }
  return out;
}
