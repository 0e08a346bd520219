// A TensorFlow.js layers model read back (fromTfjs): its Keras `Sequential` topology walked with
// the shape flowing through it, every layer checked to be the one this library builds for some
// config, the weights copied over into a model file. Writing one is toTfjs (tfjs.ts).
import { Autoencoder } from '../model/autoencoder.js';
import { networkOf } from '../model/setup.js';
import type { RuntimeOptions } from '../model/types.js';
import { layerPlan } from '../model/layerPlan.js';
import { normalizeOptions, type Activation, type LayerConfig, type ModelConfig } from '../model/options.js';
import { convOutputShape, type DensePlan, type Padding, type Shape } from '../engine/network.js';
import { encodeModelFile } from './modelFile.js';
import { KERAS_KINDS, type KerasLayer, type TfjsArtifacts, type TfjsModelJsonFiles } from './tfjs.js';
import { bytesOf, weightTensors } from './tfjsWeights.js';
import { Prng } from '../util/prng.js';
import { argError, describeValue, rejectUnknownOptions } from '../util/errors.js';

export interface FromTfjsOptions extends RuntimeOptions {
  /** How many of the model's weighted layers (Dense, Conv2D, Conv2DTranspose) form the encoder;
   *  the last of them is the code layer. */
  encoderLayers: number;
}

const FN = 'fromTfjs';
const ACTIVATION_OF: Record<string, Activation> = { relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', linear: 'linear' };
/** Options that must have these values (or be absent / null). */
const NEUTRAL: Record<string, (v: unknown) => boolean> = {
  use_bias: (v) => v === true,
  data_format: (v) => v === 'channels_last',
  dilation_rate: (v) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1)),
  groups: (v) => v === 1,
  output_padding: () => false,
  kernel_regularizer: () => false,
  bias_regularizer: () => false,
  activity_regularizer: () => false,
  kernel_constraint: () => false,
  bias_constraint: () => false,
};

interface Weighted {
  index: number;
  name: string;
  kind: 'dense' | 'conv2d' | 'conv2dTranspose';
  activation: Activation;
  alpha?: number;
  inShape: Shape | number;
  /** Dense: units; conv: filters. */
  width: number;
  kernel: number;
  strides: number;
  padding: Padding;
}

/**
 * A model from TensorFlow.js layers artifacts (`{ modelTopology, weightSpecs, weightData }`, as
 * tf.io.ModelArtifacts) or model.json with its weight bytes (`{ modelJson, weights }`): a Keras
 * `Sequential` trained in TF.js or Keras 2 whose layers are exactly the ones this library builds
 * for some config (see README: the decoder's implied last layer, the dense layer before a conv
 * decoder). Anything else (a layer kind, an option that changes the computation, a dtype, a
 * weight that does not fit) is an Error starting with `fromTfjs:` that names the layer.
 */
export async function fromTfjs(
  artifacts: TfjsArtifacts | TfjsModelJsonFiles,
  options: FromTfjsOptions,
): Promise<Autoencoder> {
  if (typeof artifacts !== 'object' || artifacts === null)
    throw argError(FN, 'artifacts', '{ modelTopology, weightSpecs, weightData } or { modelJson, weights }', artifacts);
  rejectUnknownOptions(FN, options, ['encoderLayers', 'kernels', 'wasm', 'threads']);
  const { encoderLayers, ...runtime } = options ?? ({} as FromTfjsOptions);
  let topology: unknown, specs: unknown, data: unknown;
  if ('modelJson' in artifacts) {
    const json = artifacts.modelJson as unknown as Record<string, unknown>;
    if (typeof json !== 'object' || json === null || !Array.isArray(json.weightsManifest))
      throw new Error(`${FN}: modelJson must hold modelTopology and a weightsManifest array`);
    topology = json.modelTopology;
    specs = (json.weightsManifest as { weights?: unknown }[]).flatMap((group) => {
      if (typeof group !== 'object' || group === null || !Array.isArray(group.weights))
        throw new Error(`${FN}: every weightsManifest group must have a weights array`);
      return group.weights as unknown[];
    });
    data = artifacts.weights;
  } else {
    topology = artifacts.modelTopology;
    specs = artifacts.weightSpecs;
    data = artifacts.weightData;
  }
  const bytes = bytesOf(data);
  const layers = kerasLayers(topology);
  const { weighted, inputShape } = walk(layers);
  if (!Number.isInteger(encoderLayers) || encoderLayers < 1 || encoderLayers >= weighted.length) {
    throw argError(
      FN,
      'encoderLayers',
      `an integer in [1, ${weighted.length - 1}] (the model has ${weighted.length} weighted layers; the last encoder layer is the code)`,
      encoderLayers,
    );
  }
  const config = configOf(weighted, encoderLayers, inputShape);
  const spec = networkOf(config, FN);
  const tensors = weightTensors(specs, bytes);
  const params = new Float32Array(spec.paramCount);
  const used = new Set<string>();
  weighted.forEach((w, i) => {
    const L = spec.layers[i];
    const kernelShape =
      L.kind === 'dense'
        ? [L.inputs, L.outputs]
        : L.kind === 'conv2d'
          ? [L.conv!.kernel, L.conv!.kernel, L.inShape[2], L.outShape[2]]
          : [L.conv!.kernel, L.conv!.kernel, L.outShape[2], L.inShape[2]];
    const take = (suffix: string, shape: number[], at: number): void => {
      const key = `${w.name}/${suffix}`;
      const t = tensors.get(key);
      if (!t) throw new Error(`${FN}: layer ${w.index} ('${w.name}') has no weight '${key}' in weightSpecs`);
      if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
        throw new Error(
          `${FN}: layer ${w.index} ('${w.name}') weight '${key}' has shape [${t.shape.join(', ')}], the layer needs [${shape.join(', ')}]`,
        );
      }
      params.set(t.read(), at);
      used.add(key);
    };
    take('kernel', kernelShape, L.weightOffset);
    take('bias', [L.outShape[2]], L.biasOffset);
  });
  const unused = [...tensors.keys()].filter((k) => !used.has(k));
  if (unused.length)
    throw new Error(
      `${FN}: weightSpecs has weights no layer reads: ${unused
        .slice(0, 5)
        .map((k) => `'${k.slice(0, 60)}'`)
        .join(', ')}`,
    );
  const file = encodeModelFile({
    header: {
      library: 'wasm-autoencoder',
      config,
      paramCount: spec.paramCount,
      step: 0,
      shuffleState: new Prng(config.seed).state(),
      epochs: 0,
    },
    params,
  });
  // The load checks the memory plan and the runtime options: its errors are ours.
  return Autoencoder.load(file, runtime).catch((error: Error) => {
    throw new Error(error.message.replace(/^Autoencoder\.load: /, `${FN}: `));
  });
}

function kerasLayers(topology: unknown): KerasLayer[] {
  let t = topology as Record<string, unknown>;
  if (typeof t !== 'object' || t === null)
    throw new Error(`${FN}: modelTopology must be an object, got ${describeValue(topology)}`);
  if (t.model_config !== undefined) t = t.model_config as Record<string, unknown>;
  if (typeof t !== 'object' || t === null || t.class_name !== 'Sequential') {
    throw new Error(`${FN}: the model must be a Keras Sequential, got class_name ${describeValue(t?.class_name)}`);
  }
  const config = t.config as Record<string, unknown> | unknown[];
  const layers = Array.isArray(config) ? config : (config as Record<string, unknown> | null)?.layers;
  if (!Array.isArray(layers) || layers.length === 0)
    throw new Error(`${FN}: the Sequential config has no layers array`);
  return layers.map((l, i) => {
    const layer = l as KerasLayer;
    if (
      typeof layer !== 'object' ||
      layer === null ||
      typeof layer.class_name !== 'string' ||
      typeof layer.config !== 'object' ||
      layer.config === null
    ) {
      throw new Error(`${FN}: layer ${i} is not { class_name, config }`);
    }
    return layer;
  });
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1 << 16;

/** Walks the layers with the shape flowing through them: the weighted layers, with the
 *  activation a following LeakyReLU or Activation layer gives them, and the input's shape. */
function walk(layers: KerasLayer[]): { weighted: Weighted[]; inputShape: Shape | number } {
  const weighted: Weighted[] = [];
  let shape: Shape | number | undefined;
  let inputShape: Shape | number | undefined;
  const fail = (i: number, what: string): Error =>
    new Error(
      `${FN}: layer ${i} ('${String(layers[i].config.name ?? '').slice(0, 60)}', ${layers[i].class_name.slice(0, 40)}) ${what}`,
    );
  layers.forEach((layer, i) => {
    const c = layer.config;
    const kind = layer.class_name;
    if (
      c.dtype !== undefined &&
      c.dtype !== 'float32' &&
      !(typeof c.dtype === 'object' && (c.dtype as { config?: { name?: unknown } })?.config?.name === 'float32')
    ) {
      throw fail(i, `has dtype ${describeValue(c.dtype)}; only float32 is supported`);
    }
    const batchShape = c.batch_input_shape ?? c.batch_shape;
    if (batchShape !== undefined && shape === undefined) {
      const dims = Array.isArray(batchShape) ? batchShape.slice(1) : [];
      if (dims.length === 1 && positive(dims[0])) shape = dims[0];
      else if (dims.length === 3 && dims.every(positive)) shape = dims as Shape;
      else
        throw fail(
          i,
          `has batch_input_shape ${describeValue(batchShape)}; expected [null, size] or [null, height, width, channels]`,
        );
      inputShape = shape;
    }
    if (kind === 'InputLayer') return;
    if (shape === undefined) throw fail(i, 'comes before any input shape (the first layer needs batch_input_shape)');
    for (const [key, ok] of Object.entries(NEUTRAL)) {
      if (c[key] !== undefined && c[key] !== null && !ok(c[key]))
        throw fail(i, `has ${key} ${describeValue(c[key])}, which this library does not support`);
    }
    if (kind === 'Flatten') {
      if (typeof shape !== 'number') shape = shape[0] * shape[1] * shape[2];
      return;
    }
    if (kind === 'Reshape') {
      const target = c.target_shape;
      const size = typeof shape === 'number' ? shape : shape[0] * shape[1] * shape[2];
      if (
        Array.isArray(target) &&
        target.length === 3 &&
        target.every(positive) &&
        target[0] * target[1] * target[2] === size
      )
        shape = target as Shape;
      else if (Array.isArray(target) && target.length === 1 && target[0] === size) shape = size;
      else
        throw fail(
          i,
          `has target_shape ${describeValue(target)}; expected [height, width, channels] of ${size} values`,
        );
      return;
    }
    if (kind === 'LeakyReLU' || kind === 'Activation' || kind === 'ReLU') {
      const prev = weighted[weighted.length - 1];
      const follows = i > 0 && prev?.index === i - 1;
      if (!follows || prev.activation !== 'linear')
        throw fail(
          i,
          'must follow a Dense or Conv layer whose activation is linear (this library has no separate activation layers)',
        );
      if (kind === 'LeakyReLU') {
        const alpha = c.alpha ?? c.negative_slope ?? 0.3;
        if (typeof alpha !== 'number' || !(alpha >= 0 && alpha < 1))
          throw fail(i, `has alpha ${describeValue(alpha)}; expected a number in [0, 1)`);
        prev.activation = 'leakyRelu';
        prev.alpha = alpha;
      } else if (kind === 'ReLU') {
        if ((c.max_value ?? null) !== null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0)
          throw fail(i, 'has max_value, negative_slope or threshold; only a plain ReLU is supported');
        prev.activation = 'relu';
      } else {
        prev.activation = activationOf(c.activation, (what) => fail(i, what));
      }
      prev.index = i;
      return;
    }
    if (kind !== 'Dense' && kind !== 'Conv2D' && kind !== 'Conv2DTranspose') {
      throw fail(
        i,
        `is not supported (supported: Dense, Conv2D, Conv2DTranspose, Flatten, Reshape, LeakyReLU, ReLU, Activation, InputLayer)${kind === 'Dropout' ? '; Dropout changes training only: remove it to import the model' : ''}`,
      );
    }
    const activation = activationOf(c.activation ?? 'linear', (what) => fail(i, what));
    const name = String(c.name ?? '');
    if (kind === 'Dense') {
      if (typeof shape !== 'number') throw fail(i, `reads a ${shape.join('×')} input; a Flatten must come before it`);
      if (!positive(c.units)) throw fail(i, `has units ${describeValue(c.units)}`);
      weighted.push({
        index: i,
        name,
        kind: 'dense',
        activation,
        inShape: shape,
        width: c.units,
        kernel: 1,
        strides: 1,
        padding: 'valid',
      });
      shape = c.units;
      return;
    }
    if (typeof shape === 'number') throw fail(i, `reads a flat input of ${shape}; a Reshape must come before it`);
    const pair = (v: unknown, what: string): number => {
      const [a, b] = Array.isArray(v) ? v : [v, v];
      if (!positive(a) || a !== b) throw fail(i, `has ${what} ${describeValue(v)}; only square ones are supported`);
      return a;
    };
    const kernel = pair(c.kernel_size, 'kernel_size'),
      strides = pair(c.strides ?? 1, 'strides');
    if (kernel > 7) throw fail(i, `has kernel_size ${kernel}; at most 7 is supported`);
    if (strides > 2) throw fail(i, `has strides ${strides}; 1 or 2 are supported`);
    const padding = c.padding ?? 'valid';
    if (padding !== 'same' && padding !== 'valid')
      throw fail(i, `has padding ${describeValue(padding)}; expected 'same' or 'valid'`);
    if (!positive(c.filters)) throw fail(i, `has filters ${describeValue(c.filters)}`);
    const type = kind === 'Conv2D' ? 'conv2d' : 'conv2dTranspose';
    const w: Weighted = {
      index: i,
      name,
      kind: type,
      activation,
      inShape: shape,
      width: c.filters,
      kernel,
      strides,
      padding,
    };
    weighted.push(w);
    const out = convOutputShape({ kind: type, inShape: shape, filters: w.width, kernel, stride: strides, padding });
    if (!(out[0] > 0 && out[1] > 0)) throw fail(i, `leaves no output from ${shape.join('×')}`);
    shape = out;
  });
  if (weighted.length < 2 || inputShape === undefined)
    throw new Error(`${FN}: the model needs at least two Dense or Conv layers (an encoder and a decoder)`);
  // Remember each weighted layer's own position again (a following activation layer moved it).
  let k = 0;
  layers.forEach((l, i) => {
    if (['Dense', 'Conv2D', 'Conv2DTranspose'].includes(l.class_name)) weighted[k++].index = i;
  });
  const out = shape!;
  const size = (s: Shape | number): number => (typeof s === 'number' ? s : s[0] * s[1] * s[2]);
  if (size(out) !== size(inputShape))
    throw new Error(
      `${FN}: the model's output has ${size(out)} values per example, its input ${size(inputShape)}: not an autoencoder`,
    );
  return { weighted, inputShape };
}

function activationOf(v: unknown, fail: (what: string) => Error): Activation {
  const a = typeof v === 'string' ? ACTIVATION_OF[v] : undefined;
  if (!a)
    throw fail(`has activation ${describeValue(v)}; supported: relu, sigmoid, tanh, linear (and a LeakyReLU layer)`);
  return a;
}

/** Our config for these layers, checked by planning it again: every layer must be the one the
 *  library would build there (kind, shapes, kernel, strides, padding, activation). */
function configOf(weighted: Weighted[], encoderLayers: number, inputShape: Shape | number): ModelConfig {
  const code = weighted[encoderLayers - 1];
  const named = (w: Weighted): string => `layer ${w.index} ('${w.name.slice(0, 60)}')`;
  if (code.kind !== 'dense')
    throw new Error(`${FN}: ${named(code)}, the code layer (encoderLayers = ${encoderLayers}), must be Dense`);
  const alphas = [...new Set(weighted.filter((w) => w.alpha !== undefined).map((w) => w.alpha!))];
  if (alphas.length > 1)
    throw new Error(
      `${FN}: the LeakyReLU layers have different alphas (${alphas.join(', ')}); this library uses one for all`,
    );
  const asConfig = (w: Weighted): LayerConfig =>
    w.kind === 'dense'
      ? w.width
      : { type: w.kind, filters: w.width, kernelSize: w.kernel, strides: w.strides, padding: w.padding };
  const hidden = [...weighted.slice(0, encoderLayers - 1), ...weighted.slice(encoderLayers, -1)];
  const output = weighted[weighted.length - 1];
  let config: ModelConfig;
  try {
    config = normalizeOptions({
      inputShape,
      encoder: weighted.slice(0, encoderLayers - 1).map(asConfig) as never,
      latent: code.width,
      decoder: weighted.slice(encoderLayers, -1).map(asConfig) as never,
      activation: hidden.map((w) => w.activation),
      latentActivation: code.activation,
      output: output.activation,
      leakyReluAlpha: alphas[0] ?? 0.3,
    });
  } catch (error) {
    throw new Error(
      `${FN}: these layers are not a model this library builds: ${(error as Error).message.replace(/^Autoencoder\.create: /, '')}`,
    );
  }
  const plan = layerPlan(config).layers;
  if (plan.length !== weighted.length) {
    throw new Error(
      `${FN}: this library would build ${plan.length} weighted layers for it, the model has ${weighted.length} (the decoder's last layer and a conv decoder's first dense layer are implied; see the README)`,
    );
  }
  plan.forEach((p, i) => {
    const w = weighted[i];
    const kind = p.kind ?? 'dense';
    const mismatch = (what: string, ours: unknown, theirs: unknown): Error =>
      new Error(
        `${FN}: ${named(w)} has ${what} ${describeValue(theirs)} where this library's model has ${describeValue(ours)} (the decoder's last layer is implied: a Conv2DTranspose to the input's channels with the first conv layer's kernel, 'same' padding)`,
      );
    if (kind !== w.kind) throw mismatch('kind', KERAS_KINDS[kind], KERAS_KINDS[w.kind]);
    if (p.activation !== w.activation) throw mismatch('activation', p.activation, w.activation);
    if (p.kind === 'conv2d' || p.kind === 'conv2dTranspose') {
      if (typeof w.inShape === 'number' || p.inShape.some((d, k) => d !== (w.inShape as Shape)[k]))
        throw mismatch('input shape', p.inShape, w.inShape);
      if (p.filters !== w.width) throw mismatch('filters', p.filters, w.width);
      if (p.kernel !== w.kernel) throw mismatch('kernel_size', p.kernel, w.kernel);
      if (p.stride !== w.strides) throw mismatch('strides', p.stride, w.strides);
      if (p.padding !== w.padding) throw mismatch('padding', p.padding, w.padding);
    } else {
      const inputs = typeof w.inShape === 'number' ? w.inShape : w.inShape[0] * w.inShape[1] * w.inShape[2];
      const d = p as DensePlan;
      if (d.inputs !== inputs) throw mismatch('inputs', d.inputs, inputs);
      if (d.outputs !== w.width) throw mismatch('units', d.outputs, w.width);
    }
  });
  return config;
}
