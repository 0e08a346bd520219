// Crafting model files for tests: decode a saved model, change its header or numbers, and write
// it back with a correct CRC (so the change reaches the checks behind the checksum).
import { decodeModelFile, encodeModelFile, type ModelFileContents } from '../../src/io/modelFile.js';
import { crc32 } from '../../src/util/crc32.js';

export function patchModelFile(
  bytes: Uint8Array,
  change: (file: ModelFileContents & { header: Record<string, unknown> }) => void,
): Uint8Array {
  // A copy: the decoded floats may be views of the bytes, and the change must not reach them.
  const file = decodeModelFile(bytes.slice()) as ModelFileContents & { header: Record<string, unknown> };
  change(file);
  return encodeModelFile(file as ModelFileContents);
}

/** A model file with this exact JSON header and these float bytes, CRC included. */
export function rawModelFile(
  header: unknown,
  params: Float32Array,
  optimizer?: [Float32Array, Float32Array],
): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const paramsAt = (12 + json.length + 3) & ~3;
  const P = params.length * 4;
  const total = paramsAt + P * (optimizer ? 3 : 1) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('WAAE'), 0);
  view.setUint16(4, 2, true);
  view.setUint16(6, optimizer ? 1 : 0, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(new Uint8Array(params.buffer, params.byteOffset, P), paramsAt);
  if (optimizer) {
    out.set(new Uint8Array(optimizer[0].buffer, optimizer[0].byteOffset, P), paramsAt + P);
    out.set(new Uint8Array(optimizer[1].buffer, optimizer[1].byteOffset, P), paramsAt + 2 * P);
  }
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}
