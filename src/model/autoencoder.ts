// The public model: create or load, fit, encode/decode/reconstruct/evaluate, save, dispose.
import { Engine, CHUNK_ROWS } from '../engine/engine.js';
import { buildNetwork } from '../engine/network.js';
import { loadKernels, instantiateKernels, type KernelBuildName, type KernelSource } from '../runtime/wasm.js';
import { decodeModelFile, encodeModelFile } from '../io/modelFile.js';
import { Prng } from '../util/prng.js';
import { argError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';
import { imagesOf, type Images, type ImagesInput } from './inputs.js';
import { layerPlan, normalizeOptions, isPositiveInteger, type AutoencoderOptions, type ModelConfig } from './options.js';

export interface EpochLog {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's examples. */
  loss: number;
  /** Validation MSE and PSNR (dB), when `validation` was given. */
  valMse?: number;
  valPsnr?: number;
  /** Training time of the epoch (without validation), and its throughput. */
  seconds: number;
  samplesPerSec: number;
}

export interface BatchLog {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  loss: number;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validation?: ImagesInput;
  onEpochEnd?: (log: EpochLog) => void;
  onBatchEnd?: (log: BatchLog) => void;
  /** Aborting stops training after the step in progress; fit then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface History {
  epochs: EpochLog[];
}

export interface Evaluation {
  count: number;
  /** Mean squared error per pixel, values in [0, 1]. */
  mse: number;
  /** 10·log10(1 / mse), in dB. */
  psnr: number;
}

export interface Backend {
  kernels: KernelBuildName;
  threads: number;
  /** Why fewer threads than asked for are used, if so. */
  note?: string;
}

export interface RuntimeOptions {
  kernels?: 'auto' | KernelBuildName;
  /** The kernels' wasm (bytes, URL or a precompiled module) where the default file cannot be read. */
  wasm?: KernelSource;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validation', 'onEpochEnd', 'onBatchEnd', 'signal'];
const YIELD_EVERY_MS = 30;

export class Autoencoder {
  readonly config: ModelConfig;
  readonly backend: Backend;
  private engine: Engine | null;
  private readonly shuffler: Prng;

  private constructor(config: ModelConfig, engine: Engine, backend: Backend, shuffler: Prng) {
    this.config = config;
    this.engine = engine;
    this.backend = backend;
    this.shuffler = shuffler;
  }

  /** A new model with Glorot-uniform weights drawn from `seed`. */
  static async create(options: AutoencoderOptions & RuntimeOptions = {}): Promise<Autoencoder> {
    const { wasm, ...rest } = options ?? {};
    const config = normalizeOptions(rest);
    const model = await Autoencoder.build(config, { kernels: options?.kernels, wasm });
    model.live.initialize(new Prng(config.seed));
    return model;
  }

  /** A model from the bytes `save()` wrote. */
  static async load(bytes: Uint8Array, options: RuntimeOptions = {}): Promise<Autoencoder> {
    const file = decodeModelFile(bytes);
    let config: ModelConfig;
    try {
      config = normalizeOptions(toOptions(file.header.config));
    } catch (cause) {
      throw new Error(`Autoencoder.load: the model file's config is invalid: ${(cause as Error).message}`);
    }
    const model = await Autoencoder.build(config, options);
    const engine = model.live;
    if (engine.paramCount !== file.header.paramCount) {
      throw new Error(`Autoencoder.load: the model file holds ${file.header.paramCount} parameters, its config needs ${engine.paramCount}`);
    }
    engine.params().set(file.params);
    if (file.optimizerState) {
      const [a, b] = engine.optimizerState();
      a.set(file.optimizerState[0]);
      b.set(file.optimizerState[1]);
      engine.step = file.header.step;
    }
    if (Array.isArray(file.header.shuffleState) && file.header.shuffleState.length === 4) {
      model.shuffler.setState(file.header.shuffleState);
    }
    engine.refreshTransposed();
    return model;
  }

  private static async build(config: ModelConfig, options: RuntimeOptions): Promise<Autoencoder> {
    const { sizes, activations, codeLayer } = layerPlan(config);
    const spec = buildNetwork(sizes, activations, config.leakyReluAlpha, config.loss, codeLayer);
    const { build, module } = await loadKernels({ build: options.kernels ?? 'auto', source: options.wasm });
    const memory = new WebAssembly.Memory({ initial: 1 });
    const engine = new Engine(instantiateKernels(module, memory), memory, spec, config.optimizer);
    const shuffler = new Prng((config.seed ^ 0x5bd1e995) >>> 0);
    return new Autoencoder(config, engine, { kernels: build, threads: 1 }, shuffler);
  }

  private get live(): Engine {
    if (!this.engine) throw new Error('Autoencoder: this model was disposed; create or load another');
    return this.engine;
  }

  /** Values per image (height·width·channels). */
  get inputSize(): number {
    return this.live.spec.inputSize;
  }

  /** Size of the code. */
  get latentSize(): number {
    return this.config.latent;
  }

  get paramCount(): number {
    return this.live.paramCount;
  }

  /** A copy of the parameter vector (all layers: W then b, each padded to 4 floats). */
  getWeights(): Float32Array {
    return this.live.params().slice();
  }

  /** Trains on `data` (n images as bytes or floats in [0, 1]); resolves with the epoch logs. */
  async fit(data: ImagesInput, options: FitOptions = {}): Promise<History> {
    const fn = 'Autoencoder.fit';
    const engine = this.live;
    if (typeof options !== 'object' || options === null) throw argError(fn, 'options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (!FIT_KEYS.includes(key)) throw new Error(`${fn}: unknown option ${key}; known options are ${FIT_KEYS.join(', ')}`);
    }
    const range: [number, number] | undefined = this.config.loss === 'bce' ? [0, 1] : undefined;
    const { data: images, count } = imagesOf(data, fn, 'data', engine.spec.inputSize, range);
    const epochs = options.epochs ?? 1;
    if (!isPositiveInteger(epochs, 1e6)) throw argError(fn, 'epochs', 'a positive integer', epochs);
    const batchSize = options.batchSize ?? 32;
    if (!isPositiveInteger(batchSize, 1 << 16)) throw argError(fn, 'batchSize', 'an integer in [1, 65536]', batchSize);
    const shuffle = options.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw argError(fn, 'shuffle', 'true or false', shuffle);
    const validation = options.validation === undefined ? undefined
      : imagesOf(options.validation, fn, 'validation', engine.spec.inputSize);
    for (const cb of ['onEpochEnd', 'onBatchEnd'] as const) {
      if (options[cb] !== undefined && typeof options[cb] !== 'function') throw argError(fn, cb, 'a function', options[cb]);
    }
    const { signal } = options;
    if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw argError(fn, 'signal', 'an AbortSignal', signal);
    signal?.throwIfAborted();

    const batch = Math.min(batchSize, count);
    const kind = images instanceof Uint8Array ? 'u8' : 'f32';
    // One thread streams each batch from the caller's array into memory; it never holds the data
    // set twice. (Workers will need it resident in their shared memory instead.)
    engine.reserveDataset(batch, kind, batch);
    const identity = new Uint32Array(batch);
    for (let i = 0; i < batch; i++) identity[i] = i;
    engine.setOrder(identity);
    const order = new Uint32Array(count);
    const batches = Math.ceil(count / batch);
    const history: History = { epochs: [] };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let i = 0; i < count; i++) order[i] = i;
      if (shuffle) this.shuffler.shuffle(order);
      const started = performance.now();
      let lastYield = started, lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * batch, rows = Math.min(batch, count - start);
        engine.stageBatch(images, order, start, rows);
        const loss = engine.trainBatch(0, rows);
        if (!Number.isFinite(loss)) {
          throw new Error(`${fn}: the loss became ${loss} at epoch ${epoch}, batch ${b + 1}; the weights are kept from the last good step (a lower optimizer.learningRate may help)`);
        }
        lossSum += loss * rows;
        options.onBatchEnd?.({ epoch, batch: b + 1, batches, loss });
        const now = performance.now();
        if (now - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        signal?.throwIfAborted();
      }
      const seconds = (performance.now() - started) / 1000;
      const log: EpochLog = { epoch, loss: lossSum / count, seconds, samplesPerSec: count / seconds };
      if (validation) {
        const v = this.evaluateImages(validation.data, validation.count);
        log.valMse = v.mse;
        log.valPsnr = v.psnr;
      }
      history.epochs.push(log);
      options.onEpochEnd?.(log);
      await yieldToEventLoop();
      signal?.throwIfAborted();
    }
    return history;
  }

  /** Codes of `images`: Float32Array [n × latent]. */
  encode(images: ImagesInput): Float32Array {
    const engine = this.live;
    const { data, count } = imagesOf(images, 'Autoencoder.encode', 'images', engine.spec.inputSize);
    return this.run(data, count, 0, engine.spec.codeLayer);
  }

  /** Images from codes: Float32Array [n × inputSize]. */
  decode(codes: Float32Array): Float32Array {
    const engine = this.live;
    if (!(codes instanceof Float32Array)) throw argError('Autoencoder.decode', 'codes', `a Float32Array of n × ${this.latentSize} values`, codes);
    const { count } = imagesOf(codes, 'Autoencoder.decode', 'codes', this.latentSize);
    return this.run(codes, count, engine.spec.codeLayer + 1, engine.spec.layers.length - 1);
  }

  /** decode(encode(images)), in one pass. */
  reconstruct(images: ImagesInput): Float32Array {
    const engine = this.live;
    const { data, count } = imagesOf(images, 'Autoencoder.reconstruct', 'images', engine.spec.inputSize);
    return this.run(data, count, 0, engine.spec.layers.length - 1);
  }

  /** Reconstruction MSE and PSNR over `images`. */
  evaluate(images: ImagesInput): Evaluation {
    const { data, count } = imagesOf(images, 'Autoencoder.evaluate', 'images', this.live.spec.inputSize);
    return this.evaluateImages(data, count);
  }

  /** Per-image mean squared reconstruction error. */
  reconstructionErrors(images: ImagesInput): Float32Array {
    const engine = this.live;
    const size = engine.spec.inputSize;
    const { data, count } = imagesOf(images, 'Autoencoder.reconstructionErrors', 'images', size);
    const out = new Float32Array(count);
    const ws = engine.workspaces[0];
    engine.inferBlocks(ws, data, count, 0, engine.spec.layers.length - 1, (output, row, rows, inputAt) => {
      const errors = engine.rowErrors(ws, output, inputAt, rows);
      for (let r = 0; r < rows; r++) out[row + r] = errors[r] / size;
    });
    return out;
  }

  private evaluateImages(data: Images, count: number): Evaluation {
    const errors = this.reconstructionErrors(data);
    let sum = 0;
    for (let i = 0; i < count; i++) sum += errors[i];
    const mse = sum / count;
    return { count, mse, psnr: 10 * Math.log10(1 / mse) };
  }

  private run(data: Images, count: number, first: number, last: number): Float32Array {
    const engine = this.live;
    const width = engine.spec.layers[last].outputs;
    const out = new Float32Array(count * width);
    const ws = engine.workspaces[0];
    engine.inferBlocks(ws, data, count, first, last, (output, row, rows) => {
      const at = output >> 2;
      out.set(engine.arena.f32.subarray(at, at + rows * width), row * width);
    });
    return out;
  }

  /** The model as bytes (versioned, CRC-checked). `optimizer: true` keeps Adam's state to resume training. */
  save(options: { optimizer?: boolean } = {}): Uint8Array {
    const engine = this.live;
    const withOptimizer = options.optimizer ?? false;
    if (typeof withOptimizer !== 'boolean') throw argError('Autoencoder.save', 'optimizer', 'true or false', withOptimizer);
    return encodeModelFile({
      header: {
        library: 'wasm-autoencoder', config: this.config, paramCount: engine.paramCount,
        step: engine.step, shuffleState: this.shuffler.state(),
      },
      params: engine.params(),
      optimizerState: withOptimizer ? engine.optimizerState() : undefined,
    });
  }

  /** Frees the model's memory; any later call throws. */
  dispose(): void {
    this.engine = null;
  }
}

/** A stored ModelConfig back into create() options. */
function toOptions(config: unknown): AutoencoderOptions {
  const c = config as ModelConfig;
  if (typeof c !== 'object' || c === null) throw new Error('config is missing');
  return {
    inputShape: c.inputShape, encoder: c.encoder, latent: c.latent, decoder: c.decoder, activation: c.activations,
    latentActivation: c.latentActivation, output: c.output, leakyReluAlpha: c.leakyReluAlpha, loss: c.loss,
    optimizer: c.optimizer, seed: c.seed,
  };
}

export { CHUNK_ROWS };
