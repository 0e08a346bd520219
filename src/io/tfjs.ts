// The TensorFlow.js layers format, both ways: a Keras `Sequential` topology (plain JSON) with its
// weight specs and little-endian float32 bytes, as `tf.io.fromMemory` + `tf.loadLayersModel`
// take them and as tensorflowjs_converter writes model.json. No @tensorflow import: the format is
// data. Our weights are already in the Keras layouts (see engine/network.ts) and our rows NHWC,
// so Flatten and Reshape move nothing and the kernels copy over unchanged. This file writes the
// format (toTfjs); fromTfjs.ts reads it back.
import { Autoencoder } from '../model/autoencoder.js';
import { networkOf } from '../model/setup.js';
import { layerPlan } from '../model/layerPlan.js';
import type { Activation } from '../model/options.js';
import type { ConvPlan } from '../engine/network.js';
import { layerNames } from '../model/summary.js';
import { argError, rejectUnknownOptions } from '../util/errors.js';

/** One weight tensor's place in `weightData`, as tfjs's `WeightsManifestEntry`. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** What `tf.io.fromMemory` takes (a `tf.io.ModelArtifacts`). */
export interface TfjsArtifacts {
  modelTopology: unknown;
  weightSpecs: TfjsWeightSpec[];
  weightData: ArrayBuffer | ArrayBuffer[] | Uint8Array;
}

/** model.json as tensorflowjs_converter or `model.save` write it, and its shards' bytes
 *  concatenated in the manifest's order. */
export interface TfjsModelJsonFiles {
  modelJson: { modelTopology: unknown; weightsManifest: { paths?: string[]; weights: TfjsWeightSpec[] }[] };
  weights: ArrayBuffer | ArrayBuffer[] | Uint8Array;
}

export type TfjsPart = 'autoencoder' | 'encoder' | 'decoder';

export const KERAS_KINDS = { dense: 'Dense', conv2d: 'Conv2D', conv2dTranspose: 'Conv2DTranspose' } as const;
const KERAS_ACTIVATIONS: Record<Activation, string> = {
  relu: 'relu',
  leakyRelu: 'linear',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  linear: 'linear',
};

export interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The model, or its encoder or decoder, as TensorFlow.js layers artifacts: a Keras `Sequential`
 * of Dense, Conv2D, Conv2DTranspose, Flatten, Reshape (and LeakyReLU after a layer whose
 * activation is leakyRelu). A model whose first layer is dense takes flat rows [n, H·W·C]; a conv
 * model takes [n, H, W, C]. The output of a conv decoder is [n, H, W, C], of a dense one flat.
 * Variational models: the 'encoder' part ends with the code layer as it is, [mean | logVariance]
 * (2·latent values); the 'autoencoder' part keeps the mean's half of the code layer, as
 * `reconstruct` does. Conditional models are refused (they take two inputs).
 */
export function toTfjs(ae: Autoencoder, options: { part?: TfjsPart } = {}): TfjsArtifacts {
  const fn = 'toTfjs';
  if (!(ae instanceof Autoencoder)) throw argError(fn, 'ae', 'an Autoencoder', ae);
  rejectUnknownOptions(fn, options, ['part']);
  const part = options.part ?? 'autoencoder';
  if (!['autoencoder', 'encoder', 'decoder'].includes(part))
    throw argError(fn, 'part', "'autoencoder', 'encoder' or 'decoder'", part);
  const config = ae.config;
  if (config.classes > 0)
    throw new Error(`${fn}: conditional models take an image and a label, two inputs a Sequential model cannot have`);
  const spec = networkOf(config, fn);
  const plan = layerPlan(config).layers;
  const weights = ae.getWeights(); // per layer, in spec order, Keras layouts
  const [H, W, C] = config.inputShape;
  const flatInput = H === 1 && C === 1;
  const names = layerNames(spec).map((n) => n.replace('/', '_'));
  const first = part === 'decoder' ? spec.codeLayer + 1 : 0;
  const last = part === 'encoder' ? spec.codeLayer : spec.layers.length - 1;
  const layers: KerasLayer[] = [];
  const weightSpecs: TfjsWeightSpec[] = [];
  const tensors: Float32Array[] = [];
  for (let l = first; l <= last; l++) {
    const L = spec.layers[l];
    const prev = l > first ? spec.layers[l - 1] : undefined;
    const name = names[l];
    if (prev && L.kind === 'dense' && prev.kind !== 'dense')
      layers.push({ class_name: 'Flatten', config: { name: `flatten_${l}` } });
    if (prev && L.kind !== 'dense' && prev.kind === 'dense')
      layers.push({ class_name: 'Reshape', config: { name: `reshape_${l}`, target_shape: [...L.inShape] } });
    // The mean's half of a variational code layer: its first `latent` columns.
    const meanOnly = part === 'autoencoder' && config.variational && l === spec.codeLayer;
    const cols = meanOnly ? spec.latent : L.weightCols;
    const layerConfig: Record<string, unknown> = {
      name,
      trainable: true,
      dtype: 'float32',
      activation: KERAS_ACTIVATIONS[L.activation],
      use_bias: true,
    };
    if (l === 0 && L.kind === 'dense' && !flatInput) {
      // Images in, as the model's inputShape says; flattening them moves nothing.
      layers.push({
        class_name: 'Flatten',
        config: { name: 'flatten_input', batch_input_shape: [null, H, W, C], dtype: 'float32' },
      });
    } else if (l === first) {
      layerConfig.batch_input_shape = L.kind === 'dense' ? [null, L.inputs] : [null, ...L.inShape];
    }
    let kernelShape: number[];
    if (L.kind === 'dense') {
      layerConfig.units = cols;
      kernelShape = [L.inputs, cols];
    } else {
      const c = L.conv!;
      const padding = (plan[l] as ConvPlan).padding;
      Object.assign(layerConfig, {
        filters: L.outShape[2],
        kernel_size: [c.kernel, c.kernel],
        strides: [c.stride, c.stride],
        padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
      });
      kernelShape =
        L.kind === 'conv2d'
          ? [c.kernel, c.kernel, L.inShape[2], L.outShape[2]]
          : [c.kernel, c.kernel, L.outShape[2], L.inShape[2]];
    }
    layers.push({ class_name: KERAS_KINDS[L.kind], config: layerConfig });
    if (L.activation === 'leakyRelu')
      layers.push({ class_name: 'LeakyReLU', config: { name: `${name}_leaky_relu`, alpha: L.alpha } });
    const kernel = new Float32Array(L.weightRows * cols);
    const { kernel: all, bias } = weights[l];
    for (let r = 0; r < L.weightRows; r++)
      kernel.set(all.subarray(r * L.weightCols, r * L.weightCols + cols), r * cols);
    const biases = meanOnly ? spec.latent : L.outShape[2];
    weightSpecs.push(
      { name: `${name}/kernel`, shape: kernelShape, dtype: 'float32' },
      { name: `${name}/bias`, shape: [biases], dtype: 'float32' },
    );
    tensors.push(kernel, bias.slice(0, biases));
  }
  if (last === spec.layers.length - 1 && spec.layers[last].kind === 'dense' && !flatInput) {
    layers.push({ class_name: 'Reshape', config: { name: 'reshape_output', target_shape: [H, W, C] } });
  }
  const weightData = new Float32Array(tensors.reduce((n, t) => n + t.length, 0));
  let at = 0;
  for (const t of tensors) {
    weightData.set(t, at);
    at += t.length;
  }
  if (!littleEndian) throw new Error(`${fn}: big-endian hosts are not supported`);
  const modelTopology = {
    class_name: 'Sequential',
    config: { name: `wasm_autoencoder_${part}`, layers },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  return { modelTopology, weightSpecs, weightData: weightData.buffer };
}
