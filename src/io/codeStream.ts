// Code files: the one format for codes written to bytes. compress() writes codes quantized to a
// few bits each; compress({ bits: 32 }) (the CLI's `encode`) writes them as f32, exactly.
//
//   0   'WAEZ'                       magic
//   4   u8  format version (2; version 1 is the same layout without bits 32, and is read too)
//   5   u8  bits per value: 1..8 (quantized) or 32 (f32 codes as they are)
//   6   u16 latent dimensions L
//   8   u32 code count n (one per image)
//   12  16 ASCII hex digits          model id (CRC-32 of the weights, CRC-32 of the layer plan):
//                                    a stream is never decoded by the wrong model
//   28  u8  flags                    bit 0: labels follow the codes
//   29  3 bytes zero
//   32  quantized only: L × f32 offset, L × f32 step per dimension (value = offset + q·step)
//   ..  the codes, row by row: n·L values of `bits` bits packed most significant bit first, or
//       n·L f32
//   ..  n u8 labels, if flagged
//   end u32 CRC-32 of everything before
// Little-endian throughout. A quantized header is 32 + 8·L bytes, shared by every code of the stream.
import { crc32 } from '../util/crc32.js';

const MAGIC = 'WAEZ';
const VERSION = 2;
const HEADER = 32;
/** `bits` of a stream of f32 codes. */
export const EXACT_BITS = 32;

export interface CodeStream {
  codes: Float32Array;
  count: number;
  latent: number;
  /** 1..8, or 32 for f32 codes. */
  bits: number;
  modelId: string;
  labels?: Uint8Array;
}

/** Bytes of the offset/step table and of the codes, for a stream's fields. At most
 *  (2^32 - 1) · (2^16 - 1) · 32 bits: below 2^53, so exact in a double. */
function sizes(count: number, latent: number, bits: number): { table: number; codes: number } {
  return { table: bits === EXACT_BITS ? 0 : 8 * latent, codes: Math.ceil((count * latent * bits) / 8) };
}

export function writeCodeStream(s: CodeStream): Uint8Array {
  const { codes, count, latent, bits } = s;
  const { table, codes: codeBytes } = sizes(count, latent, bits);
  const total = HEADER + table + codeBytes + (s.labels ? count : 0) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  out[4] = VERSION;
  out[5] = bits;
  view.setUint16(6, latent, true);
  view.setUint32(8, count, true);
  out.set(new TextEncoder().encode(s.modelId.padEnd(16, '0').slice(0, 16)), 12);
  out[28] = s.labels ? 1 : 0;
  const at = HEADER + table;
  if (bits === EXACT_BITS) {
    for (let i = 0; i < count * latent; i++) view.setFloat32(at + 4 * i, codes[i], true);
  } else {
    const levels = (1 << bits) - 1;
    const offset = new Float32Array(latent),
      step = new Float32Array(latent);
    for (let j = 0; j < latent; j++) {
      let lo = Infinity,
        hi = -Infinity;
      for (let i = 0; i < count; i++) {
        const v = codes[i * latent + j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      offset[j] = lo;
      step[j] = hi > lo ? (hi - lo) / levels : 1;
      view.setFloat32(HEADER + 4 * j, offset[j], true);
      view.setFloat32(HEADER + 4 * (latent + j), step[j], true);
    }
    let bit = at * 8;
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < latent; j++) {
        const q = Math.min(levels, Math.max(0, Math.round((codes[i * latent + j] - offset[j]) / step[j])));
        for (let b = bits - 1; b >= 0; b--, bit++) if ((q >> b) & 1) out[bit >> 3] |= 0x80 >> (bit & 7);
      }
    }
  }
  if (s.labels) out.set(s.labels.subarray(0, count), at + codeBytes);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export interface CodeStreamHeader {
  version: number;
  count: number;
  latent: number;
  bits: number;
  modelId: string;
  labelled: boolean;
}

/**
 * Checks a stream's framing and reads its header: magic, version, fields, the exact length those
 * fields imply, the CRC-32, and offsets and steps that decode to finite numbers. Allocates nothing
 * that grows with what the header claims, so that the caller can check the count and the fields
 * against its model first. Errors start with `fn`.
 */
export function readCodeStreamHeader(bytes: Uint8Array, fn: string): CodeStreamHeader {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: bytes must be a Uint8Array from compress()`);
  // The magic first (when there are 4 bytes): a file of another kind is named as such, not as truncated.
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === 'WAEC') {
    throw new Error(
      `${fn}: this is a code file of wasm-autoencoder 0.1's encode (magic 'WAEC'), a format no longer read; encode the images again`,
    );
  }
  if (bytes.length >= 4 && magic !== MAGIC)
    throw new Error(
      `${fn}: not a wasm-autoencoder code stream (expected magic '${MAGIC}', got '${magic.replace(/[^\x20-\x7e]/g, '?')}')`,
    );
  if (bytes.length < HEADER + 4)
    throw new Error(`${fn}: the stream is truncated: ${bytes.length} bytes, a stream has at least ${HEADER + 4}`);
  const version = bytes[4];
  if (version !== 1 && version !== VERSION)
    throw new Error(
      `${fn}: stream format version ${version} is not supported (this library reads versions 1 and ${VERSION})`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = bytes[5],
    latent = view.getUint16(6, true),
    count = view.getUint32(8, true);
  const flags = bytes[28],
    reserved = bytes[29] | bytes[30] | bytes[31];
  const bitsOk = (bits >= 1 && bits <= 8) || bits === EXACT_BITS;
  if (!bitsOk || latent < 1 || count < 1 || flags > 1 || reserved !== 0) {
    throw new Error(
      `${fn}: the stream's header is corrupted (bits ${bits}, latent ${latent}, count ${count}, flags ${flags}, reserved bytes ${reserved === 0 ? 'zero' : 'not zero'})`,
    );
  }
  if (bits === EXACT_BITS && version === 1)
    throw new Error(
      `${fn}: the stream's header is corrupted (bits 32, f32 codes, in a version 1 stream, which has 1 to 8)`,
    );
  const labelled = flags === 1;
  // The length must match to the byte, so a count can never claim more codes than the stream holds.
  const { table, codes } = sizes(count, latent, bits);
  const expected = HEADER + table + codes + (labelled ? count : 0) + 4;
  if (bytes.length !== expected)
    throw new Error(
      `${fn}: the stream should be ${expected} bytes for ${count} codes of ${latent}×${bits} bits, got ${bytes.length}`,
    );
  const stored = view.getUint32(bytes.length - 4, true),
    actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual)
    throw new Error(
      `${fn}: the stream is corrupted (CRC-32 is ${actual.toString(16)}, the stream says ${stored.toString(16)})`,
    );
  if (bits !== EXACT_BITS) {
    // Codes go from offset (q = 0) to offset + levels · step (q = levels) in a straight line, so
    // both ends finite as f32 means every code is.
    const levels = (1 << bits) - 1;
    for (let j = 0; j < latent; j++) {
      const offset = view.getFloat32(HEADER + 4 * j, true),
        step = view.getFloat32(HEADER + 4 * (latent + j), true);
      if (!Number.isFinite(offset) || !Number.isFinite(Math.fround(offset + levels * step))) {
        throw new Error(
          `${fn}: the stream's header is corrupted (dimension ${j}: offset ${offset}, step ${step} do not give finite codes)`,
        );
      }
    }
  }
  const modelId = new TextDecoder().decode(bytes.subarray(12, 28));
  return { version, count, latent, bits, modelId, labelled };
}

/** The codes (count × latent) and labels of a stream that readCodeStreamHeader accepted. f32
 *  codes must be finite (quantized ones are, by the header's check). */
export function readCodeStreamCodes(
  bytes: Uint8Array,
  header: CodeStreamHeader,
  fn: string,
): { codes: Float32Array; labels?: Uint8Array } {
  const { count, latent, bits } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { table, codes: codeBytes } = sizes(count, latent, bits);
  const at = HEADER + table;
  const codes = new Float32Array(count * latent);
  if (bits === EXACT_BITS) {
    for (let k = 0; k < codes.length; k++) {
      const v = view.getFloat32(at + 4 * k, true);
      if (!Number.isFinite(v))
        throw new Error(
          `${fn}: the stream's code ${Math.floor(k / latent)} has a value that is not finite (${v}) in dimension ${k % latent}`,
        );
      codes[k] = v;
    }
  } else {
    let bit = at * 8;
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < latent; j++) {
        let q = 0;
        for (let b = 0; b < bits; b++, bit++) q = (q << 1) | ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
        codes[i * latent + j] =
          view.getFloat32(HEADER + 4 * j, true) + q * view.getFloat32(HEADER + 4 * (latent + j), true);
      }
    }
  }
  const labelsAt = at + codeBytes;
  const labels = header.labelled ? bytes.slice(labelsAt, labelsAt + count) : undefined;
  return { codes, labels };
}
