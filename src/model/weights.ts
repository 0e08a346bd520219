// Weights in and out, per layer: named as summary() names them, in the Keras layouts the engine
// already keeps (dense [in, out]; conv2d [kh, kw, in, out]; conv2dTranspose [kh, kw, out, in]), so
// a layer can be inspected or transplanted without knowing the flat vector's padding.
import type { LayerSpec, NetworkSpec } from '../engine/network.js';
import { argError, describeValue, rejectUnknownOptions } from '../util/errors.js';
import { layerNames } from './summary.js';

/** One layer's weights: copies, in Keras's layout. */
export interface LayerWeights {
  /** As summary() prints it: 'encoder/dense_1', 'code', 'decoder/conv2dTranspose_1', … */
  name: string;
  kernel: Float32Array;
  /** dense [inputs, units] (a conditional encoder's first dense layer counts its label inputs);
   *  conv2d [kh, kw, channels in, filters]; conv2dTranspose [kh, kw, filters, channels in]. */
  kernelShape: number[];
  bias: Float32Array;
}

function kernelShape(L: LayerSpec): number[] {
  if (!L.conv) return [L.weightRows, L.weightCols];
  const k = L.conv.kernel;
  return [k, k, L.weightRows / (k * k), L.weightCols];
}

export function layerWeights(spec: NetworkSpec, params: Float32Array): LayerWeights[] {
  const names = layerNames(spec);
  return spec.layers.map((L, l) => ({
    name: names[l],
    kernel: params.slice(L.weightOffset, L.weightOffset + L.weightRows * L.weightCols),
    kernelShape: kernelShape(L),
    bias: params.slice(L.biasOffset, L.biasOffset + L.outShape[2]),
  }));
}

/**
 * Checks `entries` (any subset of the layers, each named once) against the network and writes them
 * into `params`. Nothing is written unless every entry is right.
 */
export function setLayerWeights(spec: NetworkSpec, params: Float32Array, entries: unknown, fn: string): void {
  if (!Array.isArray(entries) || entries.length === 0)
    throw argError(fn, 'layers', 'a non-empty array of { name, kernel, bias } (as getWeights() gives)', entries);
  const names = layerNames(spec);
  const seen = new Set<number>();
  const writes: [number, Float32Array][] = [];
  entries.forEach((e: unknown, i) => {
    const arg = `layers[${i}]`;
    if (typeof e !== 'object' || e === null) throw argError(fn, arg, 'an object { name, kernel, bias }', e);
    rejectUnknownOptions(fn, e, ['name', 'kernel', 'kernelShape', 'bias'], `${arg}.`, arg);
    const { name, kernel, bias, kernelShape: shape } = e as Partial<LayerWeights>;
    const l = names.indexOf(name as string);
    if (l < 0) throw argError(fn, `${arg}.name`, `one of ${names.map((n) => `'${n}'`).join(', ')}`, name);
    if (seen.has(l)) throw new Error(`${fn}: ${arg} names '${name}' again`);
    seen.add(l);
    const L = spec.layers[l];
    const want = kernelShape(L);
    if (shape !== undefined && (!Array.isArray(shape) || shape.join(',') !== want.join(','))) {
      throw argError(fn, `${arg}.kernelShape`, `[${want.join(', ')}] (${name})`, shape);
    }
    for (const [part, v, n, at] of [
      ['kernel', kernel, L.weightRows * L.weightCols, L.weightOffset],
      ['bias', bias, L.outShape[2], L.biasOffset],
    ] as const) {
      if (!(v instanceof Float32Array) || v.length !== n)
        throw argError(fn, `${arg}.${part}`, `a Float32Array of ${n} values (${name})`, v);
      for (let j = 0; j < n; j++) {
        if (v[j] - v[j] !== 0)
          throw new Error(`${fn}: ${arg}.${part} must hold finite values, got ${describeValue(v[j])} at index ${j}`);
      }
      writes.push([at, v]);
    }
  });
  for (const [at, v] of writes) params.set(v, at);
}
