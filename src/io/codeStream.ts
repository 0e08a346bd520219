// The compressed stream of compress()/decompress(): codes quantized to a few bits each.
//
//   0   'WAEZ'                       magic
//   4   u8  format version (1)
//   5   u8  bits per value (1..8)
//   6   u16 latent dimensions L
//   8   u32 image count n
//   12  16 ASCII hex digits          model id (CRC-32 of the weights, CRC-32 of the layer plan):
//                                    a stream is never decoded by the wrong model
//   28  u8  flags                    bit 0: labels follow the codes
//   29  3 bytes zero
//   32  L × f32 offset, L × f32 step per dimension (value = offset + q·step)
//   ..  n·L values of `bits` bits, packed most significant bit first, row by row
//   ..  n u8 labels, if flagged
//   end u32 CRC-32 of everything before
// Little-endian throughout. The header is 32 + 8·L bytes, shared by every image of the stream.
import { crc32 } from '../util/crc32.js';

const MAGIC = 'WAEZ';
const VERSION = 1;
const HEADER = 32;

export interface CodeStream {
  codes: Float32Array;
  count: number;
  latent: number;
  bits: number;
  modelId: string;
  labels?: Uint8Array;
}

export function encodeCodes(s: CodeStream): Uint8Array {
  const { codes, count, latent, bits } = s;
  const levels = (1 << bits) - 1;
  const offset = new Float32Array(latent), step = new Float32Array(latent);
  for (let j = 0; j < latent; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < count; i++) { const v = codes[i * latent + j]; if (v < lo) lo = v; if (v > hi) hi = v; }
    offset[j] = lo;
    step[j] = hi > lo ? (hi - lo) / levels : 1;
  }
  const packedBytes = Math.ceil((count * latent * bits) / 8);
  const total = HEADER + 8 * latent + packedBytes + (s.labels ? count : 0) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  out[4] = VERSION;
  out[5] = bits;
  view.setUint16(6, latent, true);
  view.setUint32(8, count, true);
  out.set(new TextEncoder().encode(s.modelId.padEnd(16, '0').slice(0, 16)), 12);
  out[28] = s.labels ? 1 : 0;
  for (let j = 0; j < latent; j++) {
    view.setFloat32(HEADER + 4 * j, offset[j], true);
    view.setFloat32(HEADER + 4 * (latent + j), step[j], true);
  }
  let bit = (HEADER + 8 * latent) * 8;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < latent; j++) {
      const q = Math.min(levels, Math.max(0, Math.round((codes[i * latent + j] - offset[j]) / step[j])));
      for (let b = bits - 1; b >= 0; b--, bit++) if ((q >> b) & 1) out[bit >> 3] |= 0x80 >> (bit & 7);
    }
  }
  if (s.labels) out.set(s.labels.subarray(0, count), HEADER + 8 * latent + packedBytes);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export interface CodeStreamHeader {
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
export function readCodeHeader(bytes: Uint8Array, fn: string): CodeStreamHeader {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: bytes must be a Uint8Array from compress()`);
  if (bytes.length < HEADER + 4) throw new Error(`${fn}: the stream is truncated: ${bytes.length} bytes, a stream has at least ${HEADER + 4}`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MAGIC) throw new Error(`${fn}: not a compressed wasm-autoencoder stream (expected magic '${MAGIC}', got '${magic.replace(/[^\x20-\x7e]/g, '?')}')`);
  if (bytes[4] !== VERSION) throw new Error(`${fn}: stream format version ${bytes[4]} is not supported (this library reads version ${VERSION})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = bytes[5], latent = view.getUint16(6, true), count = view.getUint32(8, true);
  const flags = bytes[28], reserved = bytes[29] | bytes[30] | bytes[31];
  if (bits < 1 || bits > 8 || latent < 1 || count < 1 || flags > 1 || reserved !== 0) {
    throw new Error(`${fn}: the stream's header is corrupted (bits ${bits}, latent ${latent}, count ${count}, flags ${flags}, reserved bytes ${reserved === 0 ? 'zero' : 'not zero'})`);
  }
  const labelled = flags === 1;
  // At most (2^32 - 1) · (2^16 - 1) · 8 bits: below 2^53, so exact in a double. The length must
  // match to the byte, so a count can never claim more codes than the stream holds.
  const packedBytes = Math.ceil((count * latent * bits) / 8);
  const expected = HEADER + 8 * latent + packedBytes + (labelled ? count : 0) + 4;
  if (bytes.length !== expected) throw new Error(`${fn}: the stream should be ${expected} bytes for ${count} codes of ${latent}×${bits} bits, got ${bytes.length}`);
  const stored = view.getUint32(bytes.length - 4, true), actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) throw new Error(`${fn}: the stream is corrupted (CRC-32 is ${actual.toString(16)}, the stream says ${stored.toString(16)})`);
  // Codes go from offset (q = 0) to offset + levels · step (q = levels) in a straight line, so both
  // ends finite as f32 means every code is.
  const levels = (1 << bits) - 1;
  for (let j = 0; j < latent; j++) {
    const offset = view.getFloat32(HEADER + 4 * j, true), step = view.getFloat32(HEADER + 4 * (latent + j), true);
    if (!Number.isFinite(offset) || !Number.isFinite(Math.fround(offset + levels * step))) {
      throw new Error(`${fn}: the stream's header is corrupted (dimension ${j}: offset ${offset}, step ${step} do not give finite codes)`);
    }
  }
  const modelId = new TextDecoder().decode(bytes.subarray(12, 28));
  return { count, latent, bits, modelId, labelled };
}

/** The codes (count × latent) and labels of a stream that readCodeHeader accepted. */
export function decodeCodes(bytes: Uint8Array, header: CodeStreamHeader): { codes: Float32Array; labels?: Uint8Array } {
  const { count, latent, bits } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packedBytes = Math.ceil((count * latent * bits) / 8);
  const codes = new Float32Array(count * latent);
  let bit = (HEADER + 8 * latent) * 8;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < latent; j++) {
      let q = 0;
      for (let b = 0; b < bits; b++, bit++) q = (q << 1) | ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
      codes[i * latent + j] = view.getFloat32(HEADER + 4 * j, true) + q * view.getFloat32(HEADER + 4 * (latent + j), true);
    }
  }
  const labelsAt = HEADER + 8 * latent + packedBytes;
  const labels = header.labelled ? bytes.slice(labelsAt, labelsAt + count) : undefined;
  return { codes, labels };
}
