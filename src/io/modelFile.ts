// The model file: a small binary container, versioned and checksummed.
//
//   0   'WAAE'                 magic
//   4   u16 format version     (2: conv layers in the config; 1 is read too, dense only)
//   6   u16 flags              (bit 0: optimizer state follows the parameters)
//   8   u32 header length H
//   12  H bytes of UTF-8 JSON  (model config, parameter count, optimizer step, PRNG state)
//   ..  zero padding to a multiple of 4
//   ..  parameters, f32 little-endian
//   ..  optimizer state (two vectors of the same length), if flagged
//   end u32 CRC-32 of every byte before it
import { crc32 } from '../util/crc32.js';
import { MAX_PARAMS } from '../engine/network.js';
import { argError, describeValue } from '../util/errors.js';

const MODEL_MAGIC = 'WAAE';
const MODEL_FORMAT_VERSION = 2;
/** Versions this library reads: the layout is the same, version 1 configs hold dense layers only. */
const READABLE_VERSIONS = [1, 2];
const FLAG_OPTIMIZER = 1;

export interface ModelFileHeader {
  library: 'wasm-autoencoder';
  config: unknown;
  paramCount: number;
  /** Optimizer steps taken (meaningful with the optimizer state). */
  step: number;
  shuffleState: number[];
  /** Epochs trained so far (absent in files written before it was kept: 0). */
  epochs?: number;
}

const HEADER_KEYS = ['library', 'config', 'paramCount', 'step', 'shuffleState', 'epochs'];
/** A step or epoch count above this is not a count a file can honestly hold. */
const MAX_COUNT = 2 ** 31 - 1;

/** A decoded file. Its float vectors may be views of the bytes it was decoded from. */
export interface ModelFileContents {
  header: ModelFileHeader;
  params: Float32Array;
  optimizerState?: [Float32Array, Float32Array];
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function floatBytes(v: Float32Array): Uint8Array {
  if (!littleEndian) throw new Error('model file: big-endian hosts are not supported');
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export function encodeModelFile(c: ModelFileContents): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(c.header));
  const headerEnd = 12 + json.length;
  const paramsAt = (headerEnd + 3) & ~3;
  const P = c.params.length * 4;
  const withOpt = c.optimizerState !== undefined;
  const total = paramsAt + P * (withOpt ? 3 : 1) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MODEL_MAGIC), 0);
  view.setUint16(4, MODEL_FORMAT_VERSION, true);
  view.setUint16(6, withOpt ? FLAG_OPTIMIZER : 0, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(floatBytes(c.params), paramsAt);
  if (c.optimizerState) {
    out.set(floatBytes(c.optimizerState[0]), paramsAt + P);
    out.set(floatBytes(c.optimizerState[1]), paramsAt + 2 * P);
  }
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export function decodeModelFile(bytes: Uint8Array, fn = 'Autoencoder.load'): ModelFileContents {
  if (!(bytes instanceof Uint8Array))
    throw argError(fn, 'bytes', 'a Uint8Array (or Buffer) holding a model file', bytes);
  if (bytes.length < 16)
    throw new Error(`${fn}: the model file is truncated: ${bytes.length} bytes, a model file has at least 16`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic === 'WAAQ')
    throw new Error(`${fn}: this is a quantized (int8) model file; load it with Autoencoder.loadQuantized`);
  if (magic !== MODEL_MAGIC)
    throw new Error(
      `${fn}: not a wasm-autoencoder model file (expected magic '${MODEL_MAGIC}', got '${magic.replace(/[^\x20-\x7e]/g, '?')}')`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (!READABLE_VERSIONS.includes(version)) {
    throw new Error(
      `${fn}: model file format version ${version} is not supported (this library reads versions ${READABLE_VERSIONS.join(' and ')})`,
    );
  }
  const flags = view.getUint16(6, true);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength + 4 > bytes.length)
    throw new Error(
      `${fn}: the model file is truncated: its header claims ${headerLength} bytes, only ${bytes.length - 16} are there`,
    );
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) {
    throw new Error(
      `${fn}: the model file is corrupted or truncated (CRC-32 is ${hex(actual)}, the file says ${hex(stored)})`,
    );
  }
  const header = headerOf(bytes.subarray(12, 12 + headerLength), fn);
  const paramsAt = (12 + headerLength + 3) & ~3;
  const P = header.paramCount * 4;
  const withOpt = (flags & FLAG_OPTIMIZER) !== 0;
  if ((flags & ~FLAG_OPTIMIZER) !== 0)
    throw new Error(
      `${fn}: the model file has unknown flags 0x${flags.toString(16)} (this library knows 0x1, optimizer state)`,
    );
  // paramCount ≤ 2^25 was checked, so these sums are exact.
  const expected = paramsAt + P * (withOpt ? 3 : 1) + 4;
  if (bytes.length !== expected) {
    throw new Error(
      `${fn}: the model file should be ${expected} bytes for ${header.paramCount} parameters, got ${bytes.length}`,
    );
  }
  // Views of the caller's bytes where their floats are 4-byte aligned (no copy of a model that
  // may be hundreds of MB); otherwise copied out through a byte view of a new buffer, since
  // `bytes` may be a view at any offset into a larger buffer (a Node Buffer from the pool).
  const floats = (at: number): Float32Array => {
    if ((bytes.byteOffset + at) % 4 === 0)
      return new Float32Array(bytes.buffer, bytes.byteOffset + at, header.paramCount);
    const out = new Float32Array(header.paramCount);
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + P));
    return out;
  };
  return {
    header,
    params: floats(paramsAt),
    optimizerState: withOpt ? [floats(paramsAt + P), floats(paramsAt + 2 * P)] : undefined,
  };
}

/** The JSON header, every field checked: a file is read, never trusted. */
function headerOf(json: Uint8Array, fn: string): ModelFileHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (cause) {
    throw new Error(`${fn}: the model file's header is not valid JSON (${String(cause)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error(`${fn}: the model file's header is not a JSON object`);
  const h = header as Record<string, unknown>;
  for (const key of Object.keys(h)) {
    if (!HEADER_KEYS.includes(key))
      throw new Error(
        `${fn}: the model file's header has an unknown field '${key.slice(0, 40)}' (known: ${HEADER_KEYS.join(', ')})`,
      );
  }
  if (h.library !== 'wasm-autoencoder')
    throw new Error(`${fn}: the model file's header lacks the library name 'wasm-autoencoder'`);
  const count = (key: string, min: number, max: number): number => {
    const v = h[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`${fn}: the model file's ${key} must be an integer in [${min}, ${max}], got ${describeValue(v)}`);
    }
    return v;
  };
  count('paramCount', 1, MAX_PARAMS);
  count('step', 0, MAX_COUNT);
  if (h.epochs !== undefined) count('epochs', 0, MAX_COUNT);
  const s = h.shuffleState;
  if (
    !Array.isArray(s) ||
    s.length !== 4 ||
    !s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
    s.every((w) => w === 0)
  ) {
    throw new Error(
      `${fn}: the model file's shuffleState must be 4 integers in [0, 2^32), not all zero, got ${describeValue(s)}`,
    );
  }
  if (typeof h.config !== 'object' || h.config === null || Array.isArray(h.config))
    throw new Error(`${fn}: the model file's header lacks its config object`);
  return h as unknown as ModelFileHeader;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
