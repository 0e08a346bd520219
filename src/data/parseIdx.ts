// IDX files, plain or gzipped, on any runtime: gzip through fflate, with the trailer checked.
import { gunzipSync } from 'fflate';
import { crc32 } from '../util/crc32.js';
import { decodeIdx, type IdxArray } from './idx.js';

const GZIP_HEADER_AND_TRAILER = 18;

/** Parse an IDX file (the MNIST format), gunzipping it first if it starts with the gzip magic. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  return decodeIdx(bytes, name, gunzipChecked);
}

function gunzipChecked(bytes: Uint8Array, name: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (e) {
    throw new Error(`parseIdx: ${name} is corrupt gzip data (${(e as Error).message})`);
  }
  // fflate does not verify the trailer, so a flipped bit in the payload could
  // otherwise decode silently into wrong numbers.
  if (bytes.length < GZIP_HEADER_AND_TRAILER) {
    throw new Error(`parseIdx: ${name} is corrupt gzip data (only ${bytes.length} bytes)`);
  }
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const expectedCrc = trailer.getUint32(0, true);
  const expectedSize = trailer.getUint32(4, true);
  const actualCrc = crc32(out);
  if (expectedSize !== out.length % 2 ** 32 || expectedCrc !== actualCrc) {
    throw new Error(
      `parseIdx: ${name} is corrupt gzip data: trailer expects CRC-32 ${expectedCrc.toString(16)} ` +
        `and ${expectedSize} bytes, got CRC-32 ${actualCrc.toString(16)} and ${out.length} bytes`,
    );
  }
  return out;
}

