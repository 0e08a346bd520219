// The weights of a TensorFlow.js layers model: `weightData` bytes (one buffer, several, or a view)
// and the specs laid over them, every size checked against the bytes before anything is read.
import { MAX_PARAMS } from '../engine/network.js';
import { argError, describeValue } from '../util/errors.js';
import type { TfjsWeightSpec } from './tfjs.js';

const FN = 'fromTfjs';

export function bytesOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((b) => b instanceof ArrayBuffer)) {
    const out = new Uint8Array(data.reduce((n, b: ArrayBuffer) => n + b.byteLength, 0));
    let at = 0;
    for (const b of data as ArrayBuffer[]) {
      out.set(new Uint8Array(b), at);
      at += b.byteLength;
    }
    return out;
  }
  throw argError(FN, 'weightData', 'an ArrayBuffer, an array of them or a Uint8Array', data);
}

export interface StoredTensor {
  shape: number[];
  read: () => Float32Array;
}

/** The weight specs laid over the bytes, every size checked against them before any read. */
export function weightTensors(specs: unknown, bytes: Uint8Array): Map<string, StoredTensor> {
  if (!Array.isArray(specs)) throw argError(FN, 'weightSpecs', 'an array of { name, shape, dtype }', specs);
  const tensors = new Map<string, StoredTensor>();
  let offset = 0;
  specs.forEach((s: TfjsWeightSpec, i) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string')
      throw new Error(`${FN}: weightSpecs[${i}] is not { name, shape, dtype }`);
    const name = s.name;
    const label = `weightSpecs[${i}] ('${name.slice(0, 60)}')`;
    if (s.dtype !== 'float32')
      throw new Error(`${FN}: ${label} has dtype ${describeValue(s.dtype)}; only float32 is supported`);
    if (s.quantization !== undefined && s.quantization !== null)
      throw new Error(`${FN}: ${label} is quantized; only plain float32 weights are supported`);
    if (!Array.isArray(s.shape) || s.shape.length > 4)
      throw new Error(`${FN}: ${label} has shape ${describeValue(s.shape)}`);
    let count = 1;
    for (const d of s.shape) {
      if (!Number.isInteger(d) || d < 0 || d > MAX_PARAMS)
        throw new Error(`${FN}: ${label} has shape ${describeValue(s.shape)}`);
      count *= d;
      if (count > MAX_PARAMS) throw new Error(`${FN}: ${label} has more than ${MAX_PARAMS} values`);
    }
    const at = offset;
    offset += count * 4;
    if (offset > bytes.length)
      throw new Error(`${FN}: ${label} ends at byte ${offset}, weightData has ${bytes.length}`);
    if (tensors.has(name)) throw new Error(`${FN}: ${label} names a weight twice`);
    const shape = [...s.shape];
    tensors.set(name, {
      shape,
      read: () => {
        const out = new Float32Array(count);
        const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * 4);
        for (let k = 0; k < count; k++) out[k] = view.getFloat32(4 * k, true);
        return out;
      },
    });
  });
  if (offset !== bytes.length)
    throw new Error(`${FN}: weightSpecs describe ${offset} bytes, weightData has ${bytes.length}`);
  return tensors;
}
