// Model options: defaults, validation with errors that name the argument, and the normalized
// form the rest of the code (and the model file) uses.
import { argError } from '../util/errors.js';
import type { Activation, LayerPlan, Loss } from '../engine/network.js';
import type { OptimizerConfig } from '../engine/engine.js';
import type { KernelBuildName } from '../runtime/wasm.js';

export type { Activation, Loss };

export interface OptimizerOptions {
  type?: 'adam' | 'adamw' | 'sgd';
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** AdamW's decoupled weight decay (default 0.004, as Keras). */
  weightDecay?: number;
  /** SGD momentum (default 0). */
  momentum?: number;
  nesterov?: boolean;
}

export interface AutoencoderOptions {
  /** [height, width, channels] of one image, or the flat size. Default [28, 28, 1]. */
  inputShape?: readonly [number, number, number] | number;
  /** Widths of the encoder's hidden layers. Default [64, 32]. */
  encoder?: readonly number[];
  /** Size of the code. Default 32. */
  latent?: number;
  /** Widths of the decoder's hidden layers. Default: the encoder's, reversed. */
  decoder?: readonly number[];
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
  encoder: number[];
  latent: number;
  decoder: number[];
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
const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
const OPTION_KEYS = ['inputShape', 'encoder', 'latent', 'decoder', 'activation', 'latentActivation', 'output',
  'leakyReluAlpha', 'loss', 'optimizer', 'seed', 'kernels', 'threads', 'variational', 'conditional'];
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

function widths(v: unknown, arg: string): number[] {
  if (!Array.isArray(v)) throw argError(FN, arg, 'an array of positive integers', v);
  return v.map((w, i) => width(w, `${arg}[${i}]`));
}

function activation(v: unknown, arg: string): Activation {
  if (!ACTIVATIONS.includes(v as Activation)) throw argError(FN, arg, `one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`, v);
  return v as Activation;
}

function rejectUnknownKeys(obj: object, known: readonly string[], arg: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new Error(`${FN}: unknown option ${arg}${key}; known options are ${known.join(', ')}`);
  }
}

function inRange(v: unknown, arg: string, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) throw argError(FN, arg, `a number in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`, v);
  return v as number;
}

export function normalizeOptimizer(opt: AutoencoderOptions['optimizer']): OptimizerConfig {
  const o: OptimizerOptions = typeof opt === 'string' ? { type: opt } : opt ?? {};
  if (typeof o !== 'object' || o === null) throw argError(FN, 'optimizer', "an object like { type: 'adam', learningRate: 1e-3 }", opt);
  rejectUnknownKeys(o, OPTIMIZER_KEYS, 'optimizer.');
  const type = o.type ?? 'adam';
  if (!OPTIMIZERS.includes(type)) throw argError(FN, 'optimizer.type', "'adam', 'adamw' or 'sgd'", type);
  return {
    type,
    learningRate: inRange(o.learningRate ?? (type === 'sgd' ? 0.01 : 0.001), 'optimizer.learningRate', 0, 10, true, false),
    beta1: inRange(o.beta1 ?? 0.9, 'optimizer.beta1', 0, 1, false, true),
    beta2: inRange(o.beta2 ?? 0.999, 'optimizer.beta2', 0, 1, false, true),
    epsilon: inRange(o.epsilon ?? 1e-7, 'optimizer.epsilon', 0, 1, true, false),
    weightDecay: inRange(o.weightDecay ?? (type === 'adamw' ? 0.004 : 0), 'optimizer.weightDecay', 0, 1, false, false),
    momentum: inRange(o.momentum ?? 0, 'optimizer.momentum', 0, 1, false, true),
    nesterov: booleanOption(o.nesterov ?? false, 'optimizer.nesterov'),
  };
}

function booleanOption(v: unknown, arg: string): boolean {
  if (typeof v !== 'boolean') throw argError(FN, arg, 'true or false', v);
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
  const encoder = widths(options.encoder ?? [64, 32], 'encoder');
  const latent = width(options.latent ?? 32, 'latent');
  const decoder = options.decoder === undefined ? [...encoder].reverse() : widths(options.decoder, 'decoder');
  const hidden = encoder.length + decoder.length;
  const act = options.activation ?? 'relu';
  let activations: Activation[];
  if (Array.isArray(act)) {
    if (act.length !== hidden) throw argError(FN, 'activation', `one activation or an array of ${hidden} (one per hidden layer)`, act);
    activations = act.map((a, i) => activation(a, `activation[${i}]`));
  } else {
    activations = new Array<Activation>(hidden).fill(activation(act, 'activation'));
  }
  const output = activation(options.output ?? 'sigmoid', 'output');
  const loss = options.loss ?? 'mse';
  if (!LOSSES.includes(loss)) throw argError(FN, 'loss', "'mse' or 'bce'", loss);
  if (loss === 'bce' && output !== 'sigmoid') throw argError(FN, 'output', "'sigmoid' when loss is 'bce' (the loss is fused with it)", output);
  const seed = options.seed ?? 42;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw argError(FN, 'seed', 'an integer in [0, 2^32)', seed);
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && !isPositiveInteger(threads, MAX_THREADS)) throw argError(FN, 'threads', `'auto' or an integer in [1, ${MAX_THREADS}]`, threads);
  if (options.kernels !== undefined && !['auto', 'simd', 'relaxed'].includes(options.kernels)) {
    throw argError(FN, 'kernels', "'auto', 'simd' or 'relaxed'", options.kernels);
  }
  const v = options.variational ?? false;
  let variational = false, beta = 0;
  if (v === true || (typeof v === 'object' && v !== null)) {
    variational = true;
    const b = v === true ? 1 : (v as { beta?: number }).beta ?? 1;
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
    if (!isPositiveInteger(c.classes, 256) || c.classes < 2) throw argError(FN, 'conditional.classes', 'an integer in [2, 256]', c.classes);
    classes = c.classes;
  }
  if (variational && options.latentActivation !== undefined && options.latentActivation !== 'linear') {
    throw argError(FN, 'latentActivation', "'linear' for a variational model (the code layer gives a mean and a log-variance)", options.latentActivation);
  }
  return {
    variational, beta, classes,
    inputShape, encoder, latent, decoder, activations,
    latentActivation: activation(options.latentActivation ?? 'linear', 'latentActivation'),
    output,
    leakyReluAlpha: inRange(options.leakyReluAlpha ?? 0.3, 'leakyReluAlpha', 0, 1, false, true),
    loss,
    optimizer: normalizeOptimizer(options.optimizer),
    seed,
  };
}

/** The layers from input to output, and where the code is. */
export function layerPlan(c: ModelConfig): { layers: LayerPlan[]; codeLayer: number } {
  const imageSize = c.inputShape[0] * c.inputShape[1] * c.inputShape[2];
  const layers: LayerPlan[] = [];
  let width = imageSize + c.classes;
  c.encoder.forEach((w, i) => { layers.push({ inputs: width, outputs: w, activation: c.activations[i] }); width = w; });
  layers.push({ inputs: width, outputs: c.variational ? 2 * c.latent : c.latent, activation: c.latentActivation });
  width = c.latent + c.classes;
  c.decoder.forEach((w, i) => {
    layers.push({ inputs: width, outputs: w, activation: c.activations[c.encoder.length + i] });
    width = w;
  });
  layers.push({ inputs: width, outputs: imageSize, activation: c.output });
  return { layers, codeLayer: c.encoder.length };
}
