// Model options: defaults, validation with errors that name the argument, and the normalized
// form the rest of the code (and the model file) uses.
import { argError, rejectUnknownOptions } from '../util/errors.js';
import type { Activation, Loss, Padding, Shape } from '../engine/network.js';
import { convOut, flat, layerPlan, reshapeOf, shapeText, type ConvConfig } from './layerPlan.js';
import type { OptimizerConfig } from '../engine/engine.js';
import type { KernelBuildName } from '../runtime/wasm.js';

export type { Activation, Loss, Padding };

/** A convolutional layer (tfjs names). Square kernels, channels-last. */
export interface ConvLayerOptions {
  /** 'conv2d' (in the encoder) or 'conv2dTranspose' (in the decoder). */
  type: 'conv2d' | 'conv2dTranspose';
  /** Output channels. */
  filters: number;
  /** 1 to 7. Default 3. */
  kernelSize?: number;
  /** 1 or 2. Default 1. */
  strides?: number;
  /** 'same' (default: output = input / strides, or × strides for conv2dTranspose) or 'valid'. */
  padding?: Padding;
  /** This layer's activation; default the model's `activation`. */
  activation?: Activation;
}

/** A layer as the model config stores it: a number is a dense layer of that width. */
export type LayerConfig =
  | number
  | { type: 'conv2d' | 'conv2dTranspose'; filters: number; kernelSize: number; strides: number; padding: Padding };

/** The optimizer and its hyper-parameters; defaults are Keras 3's. An option the chosen type does
 *  not use is refused. */
export interface OptimizerOptions {
  /** Default 'adam'. */
  type?: 'adam' | 'adamw' | 'sgd';
  /** Default 0.001 (Adam, AdamW) or 0.01 (SGD). */
  learningRate?: number;
  /** Adam's decay of the first moment (default 0.9). */
  beta1?: number;
  /** Adam's decay of the second moment (default 0.999). */
  beta2?: number;
  /** Adam's term against division by zero (default 1e-7, as Keras). */
  epsilon?: number;
  /** AdamW's decoupled weight decay (default 0.004, as Keras). */
  weightDecay?: number;
  /** SGD momentum (default 0). */
  momentum?: number;
  /** SGD: Nesterov momentum (default false). */
  nesterov?: boolean;
}

/** What `Autoencoder.create` takes; every field is optional. The defaults make the dense
 *  784-64-32-32-32-64-784 MNIST model. */
export interface AutoencoderOptions {
  /** [height, width, channels] of one image, or the flat size. Default [28, 28, 1]. */
  inputShape?: readonly [number, number, number] | number;
  /** The encoder's hidden layers: numbers are dense widths, objects conv2d layers (which come
   *  first; a flatten before the first dense layer is implied). Default [64, 32]. */
  encoder?: readonly (number | ConvLayerOptions)[];
  /** Size of the code. Default 32. */
  latent?: number;
  /** The decoder's hidden layers, or 'mirror' (the default): the encoder reversed, with a dense
   *  layer from the code to the last conv layer's shape and conv2dTranspose layers back up. After
   *  a conv encoder, a dense layer as wide as the encoder's last conv output (H·W·C) reshapes to
   *  it, and one is implied before a conv layer that follows the code or another dense layer. The
   *  layer to the input's shape is always implied: dense, or after a reshape or conv layer a
   *  conv2dTranspose to the input's channels (the first conv layer's kernel, stride 1 or 2). */
  decoder?: readonly (number | ConvLayerOptions)[] | 'mirror';
  /** Hidden layers' activation: one for all, or one per hidden layer (encoder then decoder). Default 'relu'. */
  activation?: Activation | readonly Activation[];
  /** Activation of the code layer. Default 'linear'. */
  latentActivation?: Activation;
  /** Activation of the output layer. Default 'sigmoid'. */
  output?: Activation;
  /** Slope for negative inputs of 'leakyRelu' (default 0.3, as Keras). */
  leakyReluAlpha?: number;
  /** 'mse' (mean over all elements, as Keras) or 'bce' (binary cross-entropy; needs a sigmoid output). Default 'mse'. */
  loss?: Loss;
  /** The optimizer: a type name (with its defaults) or options. Default 'adam' (learning rate 0.001). */
  optimizer?: OptimizerOptions | 'adam' | 'adamw' | 'sgd';
  /** Seed of the weights and of the shuffles. Default 42. */
  seed?: number;
  /** Kernel build: 'auto' picks relaxed SIMD where the runtime accepts it. */
  kernels?: 'auto' | KernelBuildName;
  /** Worker threads for training and large inference calls: 'auto' (default) uses every core. */
  threads?: 'auto' | number;
  /** A variational autoencoder: the encoder gives a mean and a log-variance per code dimension, the
   *  decoder reads a sample, and the loss adds β·KL(q(z|x) ‖ N(0, I)). `true` means β = 1. */
  variational?: boolean | { beta?: number };
  /** A conditional model: a one-hot label of `classes` classes is fed to the encoder (after the
   *  image) and to the decoder (after the code). fit, encode and decode then take labels. */
  conditional?: { classes: number };
}

/** Options after defaults and validation; this is what a model file stores. */
export interface ModelConfig {
  inputShape: [number, number, number];
  encoder: LayerConfig[];
  latent: number;
  decoder: LayerConfig[];
  activations: Activation[];
  latentActivation: Activation;
  output: Activation;
  leakyReluAlpha: number;
  loss: Loss;
  optimizer: OptimizerConfig;
  seed: number;
  variational: boolean;
  beta: number;
  classes: number;
}

const ACTIVATIONS: readonly Activation[] = ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'linear'];
const LOSSES: readonly Loss[] = ['mse', 'bce'];
export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
const OPTION_KEYS = [
  'inputShape',
  'encoder',
  'latent',
  'decoder',
  'activation',
  'latentActivation',
  'output',
  'leakyReluAlpha',
  'loss',
  'optimizer',
  'seed',
  'kernels',
  'threads',
  'variational',
  'conditional',
];
const OPTIMIZER_KEYS = ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'momentum', 'nesterov'];
const MAX_WIDTH = 1 << 16;
export const MAX_THREADS = 64;

const FN = 'Autoencoder.create';

export function isPositiveInteger(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max;
}

function width(v: unknown, arg: string): number {
  if (!isPositiveInteger(v, MAX_WIDTH)) throw argError(FN, arg, `a positive integer ≤ ${MAX_WIDTH}`, v);
  return v;
}

function activation(v: unknown, arg: string): Activation {
  if (!ACTIVATIONS.includes(v as Activation))
    throw argError(FN, arg, `one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`, v);
  return v as Activation;
}

function rejectUnknownKeys(obj: object, known: readonly string[], prefix: string, fn = FN): void {
  rejectUnknownOptions(fn, obj, known, prefix);
}

function inRange(v: unknown, arg: string, lo: number, hi: number, loOpen: boolean, hiOpen: boolean, fn = FN): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) throw argError(fn, arg, `a number in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`, v);
  return v as number;
}

/** The options each optimizer reads; any other is refused, since it would do nothing. */
export const OPTIMIZER_OPTIONS: Record<OptimizerConfig['type'], readonly string[]> = {
  adam: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon'],
  adamw: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
  sgd: ['type', 'learningRate', 'momentum', 'nesterov'],
};

function normalizeOptimizer(opt: AutoencoderOptions['optimizer'], fn = FN): OptimizerConfig {
  const o: OptimizerOptions = typeof opt === 'string' ? { type: opt } : (opt ?? {});
  if (typeof o !== 'object' || o === null)
    throw argError(fn, 'optimizer', "an object like { type: 'adam', learningRate: 1e-3 }", opt);
  rejectUnknownKeys(o, OPTIMIZER_KEYS, 'optimizer.', fn);
  const type = o.type ?? 'adam';
  if (!OPTIMIZERS.includes(type)) throw argError(fn, 'optimizer.type', "'adam', 'adamw' or 'sgd'", type);
  const applies = OPTIMIZER_OPTIONS[type];
  for (const [key, value] of Object.entries(o)) {
    if (value !== undefined && !applies.includes(key)) {
      const readers = OPTIMIZERS.filter((t) => OPTIMIZER_OPTIONS[t].includes(key))
        .map((t) => `'${t}'`)
        .join(' and ');
      throw new Error(
        `${fn}: optimizer.${key} does nothing for '${type}' (only ${readers} read it); the options of '${type}' are ${applies.slice(1).join(', ')}`,
      );
    }
  }
  return {
    type,
    learningRate: inRange(
      o.learningRate ?? (type === 'sgd' ? 0.01 : 0.001),
      'optimizer.learningRate',
      0,
      10,
      true,
      false,
      fn,
    ),
    beta1: inRange(o.beta1 ?? 0.9, 'optimizer.beta1', 0, 1, false, true, fn),
    beta2: inRange(o.beta2 ?? 0.999, 'optimizer.beta2', 0, 1, false, true, fn),
    epsilon: inRange(o.epsilon ?? 1e-7, 'optimizer.epsilon', 0, 1, true, false, fn),
    weightDecay: inRange(
      o.weightDecay ?? (type === 'adamw' ? 0.004 : 0),
      'optimizer.weightDecay',
      0,
      1,
      false,
      false,
      fn,
    ),
    momentum: inRange(o.momentum ?? 0, 'optimizer.momentum', 0, 1, false, true, fn),
    nesterov: booleanOption(o.nesterov ?? false, 'optimizer.nesterov', fn),
  };
}

function booleanOption(v: unknown, arg: string, fn = FN): boolean {
  if (typeof v !== 'boolean') throw argError(fn, arg, 'true or false', v);
  return v;
}

export function normalizeOptions(options: AutoencoderOptions = {}): ModelConfig {
  if (typeof options !== 'object' || options === null) throw argError(FN, 'options', 'an object', options);
  rejectUnknownKeys(options, OPTION_KEYS, '');
  const shape = options.inputShape ?? [28, 28, 1];
  let inputShape: [number, number, number];
  if (typeof shape === 'number') {
    inputShape = [1, width(shape, 'inputShape'), 1];
  } else if (Array.isArray(shape) && shape.length === 3) {
    inputShape = [width(shape[0], 'inputShape[0]'), width(shape[1], 'inputShape[1]'), width(shape[2], 'inputShape[2]')];
    width(inputShape[0] * inputShape[1] * inputShape[2], 'inputShape (height·width·channels)');
  } else {
    throw argError(FN, 'inputShape', 'a positive integer or [height, width, channels]', shape);
  }
  const latent = width(options.latent ?? 32, 'latent');
  const act = options.activation ?? 'relu';
  const { encoder, decoder, perLayer } = layerConfigs(
    options.encoder ?? [64, 32],
    options.decoder ?? 'mirror',
    inputShape,
  );
  const hidden = encoder.length + decoder.length;
  let activations: Activation[];
  if (Array.isArray(act)) {
    if (act.length !== hidden) {
      throw argError(
        FN,
        'activation',
        `one activation or an array of ${hidden} (one per hidden layer: encoder ${encoder.length}, decoder ${decoder.length}, counting a dense layer the decoder implies)`,
        act,
      );
    }
    activations = act.map((a, i) => activation(a, `activation[${i}]`));
  } else {
    activations = new Array<Activation>(hidden).fill(activation(act, 'activation'));
  }
  perLayer.forEach((a, i) => {
    if (a !== undefined) activations[i] = a;
  });
  const output = activation(options.output ?? 'sigmoid', 'output');
  const loss = options.loss ?? 'mse';
  if (!LOSSES.includes(loss)) throw argError(FN, 'loss', "'mse' or 'bce'", loss);
  if (loss === 'bce' && output !== 'sigmoid')
    throw argError(FN, 'output', "'sigmoid' when loss is 'bce' (the loss is fused with it)", output);
  const seed = options.seed ?? 42;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw argError(FN, 'seed', 'an integer in [0, 2^32)', seed);
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && !isPositiveInteger(threads, MAX_THREADS))
    throw argError(FN, 'threads', `'auto' or an integer in [1, ${MAX_THREADS}]`, threads);
  if (options.kernels !== undefined && !['auto', 'simd', 'relaxed'].includes(options.kernels)) {
    throw argError(FN, 'kernels', "'auto', 'simd' or 'relaxed'", options.kernels);
  }
  const v = options.variational ?? false;
  let variational = false,
    beta = 0;
  if (v === true || (typeof v === 'object' && v !== null)) {
    variational = true;
    const b = v === true ? 1 : ((v as { beta?: number }).beta ?? 1);
    if (typeof v === 'object') rejectUnknownKeys(v, ['beta'], 'variational.');
    beta = inRange(b, 'variational.beta', 0, 1000, false, false);
  } else if (v !== false) {
    throw argError(FN, 'variational', 'true, false or { beta }', v);
  }
  let classes = 0;
  if (options.conditional !== undefined) {
    const c = options.conditional;
    if (typeof c !== 'object' || c === null) throw argError(FN, 'conditional', 'an object { classes }', c);
    rejectUnknownKeys(c, ['classes'], 'conditional.');
    if (!isPositiveInteger(c.classes, 256) || c.classes < 2)
      throw argError(FN, 'conditional.classes', 'an integer in [2, 256]', c.classes);
    classes = c.classes;
  }
  if (variational && options.latentActivation !== undefined && options.latentActivation !== 'linear') {
    throw argError(
      FN,
      'latentActivation',
      "'linear' for a variational model (the code layer gives a mean and a log-variance)",
      options.latentActivation,
    );
  }
  return {
    variational,
    beta,
    classes,
    inputShape,
    encoder,
    latent,
    decoder,
    activations,
    latentActivation: activation(options.latentActivation ?? 'linear', 'latentActivation'),
    output,
    leakyReluAlpha: inRange(options.leakyReluAlpha ?? 0.3, 'leakyReluAlpha', 0, 1, false, true),
    loss,
    optimizer: normalizeOptimizer(options.optimizer),
    seed,
  };
}

const PADDINGS: readonly Padding[] = ['same', 'valid'];
const CONV_KEYS = ['type', 'filters', 'kernelSize', 'strides', 'padding', 'activation'];
const MAX_FILTERS = 4096;

function convEntry(
  v: unknown,
  arg: string,
  types: readonly ConvConfig['type'][],
): { conv: ConvConfig; activation?: Activation } {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw argError(
      FN,
      arg,
      `a positive integer (a dense layer) or { type: ${types.map((t) => `'${t}'`).join(' | ')}, filters, … }`,
      v,
    );
  rejectUnknownKeys(v, CONV_KEYS, `${arg}.`);
  const o = v as ConvLayerOptions;
  if (!types.includes(o.type)) throw argError(FN, `${arg}.type`, types.map((t) => `'${t}'`).join(' or '), o.type);
  if (!isPositiveInteger(o.filters, MAX_FILTERS))
    throw argError(FN, `${arg}.filters`, `an integer in [1, ${MAX_FILTERS}]`, o.filters);
  const kernelSize = o.kernelSize ?? 3,
    strides = o.strides ?? 1,
    padding = o.padding ?? 'same';
  if (!isPositiveInteger(kernelSize, 7)) throw argError(FN, `${arg}.kernelSize`, 'an integer in [1, 7]', kernelSize);
  if (strides !== 1 && strides !== 2) throw argError(FN, `${arg}.strides`, '1 or 2', strides);
  if (!PADDINGS.includes(padding)) throw argError(FN, `${arg}.padding`, "'same' or 'valid'", padding);
  const activationOf = o.activation === undefined ? undefined : activation(o.activation, `${arg}.activation`);
  return { conv: { type: o.type, filters: o.filters, kernelSize, strides, padding }, activation: activationOf };
}

/** Encoder and decoder as the config stores them ('mirror' expanded, the dense layer before a
 *  conv decoder made explicit), with the activations given inside conv layers. */
function layerConfigs(
  encoderIn: unknown,
  decoderIn: unknown,
  inputShape: Shape,
): { encoder: LayerConfig[]; decoder: LayerConfig[]; perLayer: (Activation | undefined)[] } {
  if (!Array.isArray(encoderIn)) throw argError(FN, 'encoder', 'an array of dense widths and conv2d layers', encoderIn);
  const perLayer: (Activation | undefined)[] = [];
  const encoder: LayerConfig[] = [];
  let shape: Shape = inputShape;
  encoderIn.forEach((e, i) => {
    if (typeof e === 'number') {
      encoder.push(width(e, `encoder[${i}]`));
      perLayer.push(undefined);
      return;
    }
    const { conv, activation: a } = convEntry(e, `encoder[${i}]`, ['conv2d']);
    if (encoder.some((x) => typeof x === 'number'))
      throw argError(FN, `encoder[${i}]`, 'a dense width (conv layers come before the dense ones)', e);
    const out = convOut(conv, shape);
    if (!(out[0] > 0 && out[1] > 0))
      throw new Error(
        `${FN}: encoder[${i}] leaves no output from ${shapeText(shape)} (kernel ${conv.kernelSize}, padding '${conv.padding}')`,
      );
    shape = out;
    encoder.push(conv);
    perLayer.push(a);
  });
  const reshape = reshapeOf(encoder, inputShape);
  const decoder: LayerConfig[] = [];
  if (decoderIn === 'mirror') {
    const convs = encoder.filter((e): e is ConvConfig => typeof e !== 'number');
    for (const e of [...encoder].reverse())
      if (typeof e === 'number') {
        decoder.push(e);
        perLayer.push(undefined);
      }
    if (reshape) {
      decoder.push(flat(reshape));
      perLayer.push(undefined);
    }
    for (let i = convs.length - 1; i >= 1; i--) {
      const { kernelSize, strides, padding } = convs[i];
      decoder.push({ type: 'conv2dTranspose', filters: convs[i - 1].filters, kernelSize, strides, padding });
      perLayer.push(undefined);
    }
  } else if (Array.isArray(decoderIn)) {
    let spatial: Shape | undefined;
    decoderIn.forEach((e, i) => {
      if (typeof e === 'number') {
        decoder.push(width(e, `decoder[${i}]`));
        perLayer.push(undefined);
        spatial = reshape && e === flat(reshape) ? reshape : undefined;
        return;
      }
      const { conv, activation: a } = convEntry(e, `decoder[${i}]`, ['conv2dTranspose', 'conv2d']);
      if (!spatial) {
        if (!reshape)
          throw new Error(
            `${FN}: decoder[${i}] is a conv layer, which needs a conv encoder (the decoder reshapes to its last conv layer's output)`,
          );
        // The dense layer that reshapes to the encoder's last conv shape.
        decoder.push(flat(reshape));
        perLayer.push(undefined);
        spatial = reshape;
      }
      const out = convOut(conv, spatial);
      if (!(out[0] > 0 && out[1] > 0))
        throw new Error(`${FN}: decoder[${i}] leaves no output from ${shapeText(spatial)}`);
      spatial = out;
      decoder.push(conv);
      perLayer.push(a);
    });
  } else {
    throw argError(FN, 'decoder', "'mirror' or an array of dense widths and conv layers", decoderIn);
  }
  const planned = layerPlan({
    inputShape,
    encoder,
    decoder,
    latent: 1,
    variational: false,
    classes: 0,
    activations: new Array<Activation>(encoder.length + decoder.length).fill('linear'),
    latentActivation: 'linear',
    output: 'linear',
  });
  if (typeof planned === 'string')
    throw new Error(`${FN}: ${planned}; give a decoder that ends at ${inputShape[0]}×${inputShape[1]} or half of it`);
  return { encoder, decoder, perLayer };
}
