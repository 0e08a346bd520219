import { argError } from './errors.js';

let table: Uint32Array | undefined;

// Reflected polynomial of CRC-32/ISO-HDLC (zlib, PNG, gzip).
function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32/ISO-HDLC of `bytes`. Pass a previous result as `seed` to continue a
 * running checksum over several chunks (same convention as zlib.crc32).
 */
export function crc32(bytes: Uint8Array, seed = 0): number {
  if (!(bytes instanceof Uint8Array)) throw argError('crc32', 'bytes', 'a Uint8Array', bytes);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw argError('crc32', 'seed', 'an integer in 0..0xFFFFFFFF', seed);
  }
  const t = crcTable();
  let c = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
