// The public model: create or load, fit, encode/decode/reconstruct/evaluate, save, dispose, and
// the uses built on them. Its parts live beside it: setup.ts (threads, kernels, memory, engine,
// workers), fitJob.ts (fit's checks), fit.ts (the epochs), inference.ts (rows in rounds, shared with
// the workers), uses.ts, summary.ts, options.ts (checks and the stored config), layerPlan.ts,
// dataset.ts, quantized.ts (loaded lazily). It is the one file in src/ over the 450 lines the others
// keep to because the API is wide (some thirty public members, each with its doc comment and
// argument checks), not because work happens here: every method delegates, and a split would cut
// the class, not a responsibility.
import type { Engine } from '../engine/engine.js';
import { ACTIVATION_CODES } from '../engine/codes.js';
import { decodeModelFile, encodeModelFile } from '../io/modelFile.js';
import type { ModelSource } from '../io/storage.js';
import type { QuantizedAutoencoder, QuantizedHost } from './quantized.js';
import { instantiateKernels, loadKernels } from '../runtime/wasm.js';
import { Arena } from '../runtime/memory.js';
import { crc32 } from '../util/crc32.js';
import { Prng } from '../util/prng.js';
import { bytesOf } from '../util/bytes.js';
import { argError, describeValue, rejectUnknownOptions } from '../util/errors.js';
import { imagesOf, labelsOf, resultLength, type Images, type ImagesInput } from './inputs.js';
import { layerParamCount, summaryTable } from './summary.js';
import {
  normalizeOptions,
  isPositiveInteger,
  MAX_THREADS,
  type AutoencoderOptions,
  type ModelConfig,
} from './options.js';
import { checkLoadedState, configFromFile } from './storedConfig.js';
import { assemble, networkOf, type ModelParts } from './setup.js';
import { runFit, type FitHost } from './fit.js';
import { fitJob } from './fitJob.js';
import { meanOf, runLayers } from './inference.js';
import * as uses from './uses.js';
import { validationLoss } from './validation.js';
import { layerWeights, setLayerWeights, type LayerWeights } from './weights.js';
import type { Backend, Evaluation, FitOptions, History, LabelOptions, OutputOptions, RuntimeOptions } from './types.js';
import { WorkerPool } from '../parallel/pool.js';
import { Dataset, DataStore, type ImageChunks } from './dataset.js';

export type { LayerWeights } from './weights.js';
export type { QuantizedAutoencoder } from './quantized.js';
export { Dataset } from './dataset.js';
export type { ImageChunks } from './dataset.js';
export type {
  BatchLog,
  EpochLog,
  FitOptions,
  FitWarning,
  NoiseOptions,
  LabelOptions,
  OutputOptions,
  History,
  Evaluation,
  Backend,
  RuntimeOptions,
} from './types.js';

/** What model/internal.ts (the benchmarks' seam) reaches inside a model; no part of the API. */
export interface ModelInternals {
  engine: Engine;
  pool: WorkerPool | null;
}
const internals = new WeakMap<Autoencoder, () => ModelInternals>();

/** The engine and pool of `ae`, for model/internal.ts only. */
export function internalsOf(ae: Autoencoder): ModelInternals {
  const get = internals.get(ae);
  if (!get) throw new Error('internalsOf: not an Autoencoder');
  return get();
}

export class Autoencoder {
  readonly config: ModelConfig;
  readonly backend: Backend;
  private engine: Engine | null;
  private pool: WorkerPool | null;
  private readonly module: WebAssembly.Module;
  private readonly shuffler: Prng;
  /** 'busy' while fit computes; 'between' while its onEpochEnd runs (read-only calls allowed). */
  private training: 'idle' | 'busy' | 'between' = 'idle';
  private epochCount = 0;
  private lastHistory: History = { epochs: [] };
  /** The data sets kept in this model's memory (dataset()). */
  private readonly store = new DataStore({
    engine: () => this.live,
    assertIdle: (fn) => void this.idleEngine(fn, false),
  });

  private constructor(config: ModelConfig, parts: ModelParts) {
    this.config = config;
    this.engine = parts.engine;
    this.backend = parts.backend;
    this.module = parts.module;
    this.pool = parts.pool;
    this.shuffler = parts.shuffler;
    internals.set(this, () => ({ engine: this.idleEngine('internalsOf', false), pool: this.pool }));
  }

  /** A new model with Glorot-uniform weights drawn from `seed`. */
  static async create(options: AutoencoderOptions & RuntimeOptions = {}): Promise<Autoencoder> {
    const { wasm, ...rest } = options ?? {};
    const config = normalizeOptions(rest);
    const model = new Autoencoder(
      config,
      await assemble(config, { kernels: options?.kernels, wasm, threads: options?.threads }, 'Autoencoder.create'),
    );
    model.live.initialize(new Prng(config.seed));
    return model;
  }

  /**
   * A model from the bytes `save()` wrote (format version 2, or version 1 of dense models): a
   * Uint8Array (a Node Buffer too), any other ArrayBufferView, or an ArrayBuffer. Every field of
   * the file is checked, and its sizes against the limits, before any memory or worker is taken.
   */
  static async load(
    source: Uint8Array | ArrayBufferView | ArrayBuffer,
    options: RuntimeOptions = {},
  ): Promise<Autoencoder> {
    const fn = 'Autoencoder.load';
    const bytes = bytesOf(source);
    rejectUnknownOptions(fn, options, RUNTIME_KEYS);
    if (
      options.threads !== undefined &&
      options.threads !== 'auto' &&
      !isPositiveInteger(options.threads, MAX_THREADS)
    ) {
      throw argError(fn, 'threads', `'auto' or an integer in [1, ${MAX_THREADS}]`, options.threads);
    }
    if (options.kernels !== undefined && !['auto', 'simd', 'relaxed'].includes(options.kernels)) {
      throw argError(fn, 'kernels', "'auto', 'simd' or 'relaxed'", options.kernels);
    }
    const file = decodeModelFile(bytes as Uint8Array, fn);
    let config: ModelConfig;
    try {
      config = configFromFile(file.header.config);
    } catch (cause) {
      throw new Error(`${fn}: the model file's config is invalid: ${(cause as Error).message}`);
    }
    const needed = networkOf(config, fn).paramCount;
    if (needed !== file.header.paramCount) {
      throw new Error(`${fn}: the model file holds ${file.header.paramCount} parameters, its config needs ${needed}`);
    }
    checkLoadedState(fn, config, file.params, file.optimizerState);
    const model = new Autoencoder(config, await assemble(config, options, fn));
    const engine = model.live;
    engine.step = file.optimizerState ? file.header.step : 0;
    engine.params().set(file.params);
    if (file.optimizerState) {
      const [a, b] = engine.optimizerState();
      a.set(file.optimizerState[0]);
      b.set(file.optimizerState[1]);
    }
    model.shuffler.setState(file.header.shuffleState);
    model.epochCount = file.header.epochs ?? 0;
    engine.refreshTransposed();
    return model;
  }

  private get live(): Engine {
    if (!this.engine) throw new Error('Autoencoder: this model was disposed; create or load another');
    return this.engine;
  }

  /** The engine, when no fit is computing (inference, save and fit itself share its memory).
   *  Read-only calls may also run between a fit's epochs, from its onEpochEnd. */
  private idleEngine(fn: string, readOnly = true): Engine {
    const engine = this.live;
    if (this.training === 'busy' || (this.training === 'between' && !readOnly)) {
      throw new Error(
        `${fn}: the model is training; wait for fit() to settle first${this.training === 'busy' ? ' (read-only calls may run in onEpochEnd)' : ''}`,
      );
    }
    return engine;
  }

  /** A Keras-style table of the layers: name (kind, activation), output shape, parameters. */
  summary(): string {
    return summaryTable(this.live.spec, this.config.inputShape);
  }

  /** Values per image (height·width·channels; a conditional model's label is not counted). */
  get inputSize(): number {
    return this.live.spec.imageSize;
  }

  /** Size of the code. */
  get latentSize(): number {
    return this.live.spec.latent;
  }

  /** Epochs trained so far, over the model's life (a model file keeps the count). */
  get epochs(): number {
    void this.live;
    return this.epochCount;
  }

  /** The History of the latest fit, also when it rejected (aborted, diverged): its completed epochs. */
  get history(): History {
    return this.lastHistory;
  }

  /** Weights and biases, as summary() counts them (the parameter vector pads each tensor to 4 floats). */
  get paramCount(): number {
    return this.live.spec.layers.reduce((n, L) => n + layerParamCount(L), 0);
  }

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.live.step;
  }

  /** Every layer's weights (copies), named as summary() names them, in Keras's layouts. */
  getWeights(): LayerWeights[] {
    const engine = this.idleEngine('Autoencoder.getWeights');
    return layerWeights(engine.spec, engine.params());
  }

  /** Writes the weights of the layers given (any of them, by name; as getWeights() gives them).
   *  The optimizer's state is kept. */
  setWeights(layers: readonly LayerWeights[]): void {
    const engine = this.idleEngine('Autoencoder.setWeights', false);
    setLayerWeights(engine.spec, engine.params(), layers, 'Autoencoder.setWeights');
    engine.refreshTransposed();
  }

  /**
   * Keeps images in the model's memory for training: checked once (floats must lie in [0, 1]),
   * copied once (bytes stay bytes), so that every `fit` on the returned Dataset (also as
   * `validation`) starts at once, with any thread count, and the caller may drop its array. `data`
   * is what fit takes (with `labels` for conditional models, here or as `data.labels`), or a stream
   * of chunks that says its `count` (streamIdx from 'wasm-autoencoder/mnist'), read straight in,
   * so that no copy of the whole set is ever held in JavaScript. The handle lasts until its
   * dispose() or the model's; it belongs to this model alone.
   */
  async dataset(data: ImagesInput | ImageChunks, options: LabelOptions = {}): Promise<Dataset> {
    const fn = 'Autoencoder.dataset';
    rejectUnknownOptions(fn, options, ['labels']);
    const rows = await this.store.add(fn, data, options?.labels);
    return new Dataset(this.store, rows, this.live.spec.imageSize);
  }

  /**
   * Trains on `data`: n images as bytes or floats in [0, 1] (checked, and with threads copied into
   * the model's memory, on every call), a Dataset of this model (nothing to check or copy), or a
   * stream of chunks (an async iterable read once per epoch, shuffled through a buffer of
   * `shuffleBuffer` rows in the model's memory). Resolves with the epoch logs.
   */
  async fit(data: ImagesInput | Dataset | ImageChunks, options: FitOptions = {}): Promise<History> {
    const engine = this.idleEngine('Autoencoder.fit', false);
    const job = fitJob(engine, this.store, data, options);
    this.training = 'busy';
    try {
      return await runFit(this.fitHost(), job);
    } finally {
      this.training = 'idle';
    }
  }

  private fitHost(): FitHost {
    const model = this;
    return {
      threads: this.backend.threads,
      shuffler: this.shuffler,
      engine: () => model.live,
      get disposed() {
        return model.engine === null;
      },
      workers: async () => {
        // The pool, restarted if a worker failed since it was last used.
        if (model.pool && !model.pool.broken) return model.pool;
        if (model.pool) await model.pool.terminate();
        const engine = model.live;
        model.pool = await WorkerPool.start(
          model.backend.threads,
          model.module,
          engine.arena.memory,
          engine.spec,
          engine.optimizer,
        );
        return model.pool;
      },
      dropPool: async (pool) => {
        await pool.terminate();
        if (model.pool === pool) model.pool = null;
      },
      validate: (d, count, labels) => model.validate(d, count, labels),
      store: this.store,
      get epochs() {
        return model.epochCount;
      },
      set epochs(n: number) {
        model.epochCount = n;
      },
      get history() {
        return model.lastHistory;
      },
      set history(h: History) {
        model.lastHistory = h;
      },
      between: async <T>(callback: () => T): Promise<Awaited<T>> => {
        model.training = 'between';
        try {
          return await callback();
        } finally {
          if (model.training === 'between') model.training = 'busy';
        }
      },
    };
  }

  /** Codes of `images`: Float32Array [n × latent] (a variational model's means). */
  encode(images: ImagesInput, options: OutputOptions = {}): Float32Array {
    const fn = 'Autoencoder.encode';
    rejectUnknownOptions(fn, options, ['labels', 'out']);
    if (options?.out === undefined || this.config.variational) {
      const { mean } = this.codesOf(images, options, fn);
      return options?.out ? outputInto(fn, options.out, mean) : mean;
    }
    const { data, count, labels, engine } = this.inputs(fn, images, options);
    const out = checkedOut(fn, options.out, count * this.latentSize);
    return this.run(data, count, 0, engine.spec.codeLayer, true, labels, out, { fn, arg: 'images' }).outputs!;
  }

  /** A variational model's posterior per image: means and log-variances, [n × latent] each. */
  encodeDistribution(
    images: ImagesInput,
    options: LabelOptions = {},
  ): { mean: Float32Array; logVariance: Float32Array } {
    const fn = 'Autoencoder.encodeDistribution';
    rejectUnknownOptions(fn, options, ['labels']);
    if (!this.config.variational)
      throw new Error(`${fn}: this model is not variational (create it with { variational: true })`);
    const { mean, logVariance } = this.codesOf(images, options, fn);
    return { mean, logVariance: logVariance! };
  }

  private codesOf(
    images: ImagesInput,
    options: LabelOptions,
    fn: string,
  ): { mean: Float32Array; logVariance?: Float32Array } {
    const { data, count, labels, engine } = this.inputs(fn, images, options);
    const raw = this.run(data, count, 0, engine.spec.codeLayer, true, labels, undefined, { fn, arg: 'images' })
      .outputs!;
    if (!this.config.variational) return { mean: raw };
    const L = this.latentSize;
    const mean = new Float32Array(count * L),
      logVariance = new Float32Array(count * L);
    for (let r = 0; r < count; r++) {
      mean.set(raw.subarray(r * 2 * L, r * 2 * L + L), r * L);
      logVariance.set(raw.subarray(r * 2 * L + L, (r + 1) * 2 * L), r * L);
    }
    return { mean, logVariance };
  }

  /** Images from codes: Float32Array [n × imageSize]. */
  decode(codes: Float32Array, options: OutputOptions = {}): Float32Array {
    const fn = 'Autoencoder.decode';
    rejectUnknownOptions(fn, options, ['labels', 'out']);
    const engine = this.idleEngine(fn);
    if (!(codes instanceof Float32Array))
      throw argError(fn, 'codes', `a Float32Array of n × ${this.latentSize} values`, codes);
    const { count } = imagesOf(codes, fn, 'codes', this.latentSize, undefined, false);
    const labels = labelsOf(undefined, count, engine.spec.classes, fn, 'codes', options?.labels);
    const out =
      checkedOut(fn, options?.out, resultLength(fn, count, engine.spec.imageSize)) ??
      new Float32Array(count * engine.spec.imageSize);
    return this.run(codes, count, engine.spec.codeLayer + 1, engine.spec.layers.length - 1, true, labels, out, {
      fn,
      arg: 'codes',
    }).outputs!;
  }

  /** decode(encode(images)), in one pass. */
  reconstruct(images: ImagesInput, options: OutputOptions = {}): Float32Array {
    return this.reconstructAs('Autoencoder.reconstruct', images, options);
  }

  /** Clean images from noisy ones: what a model trained with `fit(…, { noise })` learned to do. */
  denoise(images: ImagesInput, options: OutputOptions = {}): Float32Array {
    return this.reconstructAs('Autoencoder.denoise', images, options);
  }

  private reconstructAs(fn: string, images: ImagesInput, options: OutputOptions): Float32Array {
    rejectUnknownOptions(fn, options, ['labels', 'out']);
    const { data, count, labels, engine } = this.inputs(fn, images, options);
    const out = checkedOut(fn, options?.out, count * engine.spec.imageSize);
    return this.run(data, count, 0, engine.spec.layers.length - 1, true, labels, out, { fn, arg: 'images' }).outputs!;
  }

  /** Reconstruction MSE and PSNR over `images`. */
  evaluate(images: ImagesInput, options: LabelOptions = {}): Evaluation {
    rejectUnknownOptions('Autoencoder.evaluate', options, ['labels']);
    const { data, count, labels } = this.inputs('Autoencoder.evaluate', images, options);
    const mse = this.meanError(data, count, labels, { fn: 'Autoencoder.evaluate', arg: 'images' });
    return { count, mse, psnr: 10 * Math.log10(1 / mse) };
  }

  /** Per-image mean squared reconstruction error. */
  reconstructionErrors(images: ImagesInput, options: LabelOptions = {}): Float32Array {
    rejectUnknownOptions('Autoencoder.reconstructionErrors', options, ['labels']);
    const { data, count, labels, engine } = this.inputs('Autoencoder.reconstructionErrors', images, options);
    return this.run(data, count, 0, engine.spec.layers.length - 1, false, labels, undefined, {
      fn: 'Autoencoder.reconstructionErrors',
      arg: 'images',
    }).errors!;
  }

  /** An inference call's images and labels, checked; the floats' values are checked by run() as
   *  they are copied in (pass it `{ fn, arg: 'images' }`). */
  private inputs(
    fn: string,
    images: ImagesInput,
    options: LabelOptions,
  ): { data: Images; count: number; labels?: Uint8Array; engine: Engine } {
    const engine = this.idleEngine(fn);
    const { data, count } = imagesOf(images, fn, 'images', engine.spec.imageSize, undefined, false);
    const labels = labelsOf(images, count, engine.spec.classes, fn, 'images', options?.labels);
    return { data, count, labels, engine };
  }

  /**
   * Draws `n` images from a variational model: codes from N(0, I) (seeded), decoded. A conditional
   * model draws the class `label` (or one label per image in `labels`).
   */
  sample(n: number, options: { seed?: number; label?: number; labels?: Uint8Array } = {}): Float32Array {
    this.idleEngine('Autoencoder.sample');
    rejectUnknownOptions('Autoencoder.sample', options, ['seed', 'label', 'labels']);
    return uses.sample(this, n, options);
  }

  /**
   * `steps` images from `a` to `b` (one image each): their codes (means) interpolated linearly,
   * decoded. The first and last are the two reconstructions.
   */
  interpolate(a: ImagesInput, b: ImagesInput, steps: number, options: { labels?: Uint8Array } = {}): Float32Array {
    this.idleEngine('Autoencoder.interpolate');
    rejectUnknownOptions('Autoencoder.interpolate', options, ['labels']);
    return uses.interpolate(this, a, b, steps, options);
  }

  /**
   * One anomaly score per image, higher for images unlike the training data: the mean squared
   * reconstruction error; `method: 'normalized'`, that error over the energy of the image and its
   * reconstruction (e/√(‖x‖²+‖x̂‖²), which does not call faint images normal: the best of the
   * one-class figures in docs/uses.md); or for a variational model `method: 'elbo'`, the negative
   * evidence lower bound per pixel (reconstruction error plus β·KL of the code, over the image size).
   */
  anomalyScores(images: ImagesInput, options: { method?: uses.AnomalyMethod; labels?: Uint8Array } = {}): Float32Array {
    rejectUnknownOptions('Autoencoder.anomalyScores', options, ['method', 'labels']);
    return uses.anomalyScores(this, images, options);
  }

  /** The score above which an image counts as anomalous: the `quantile` of the scores of
   *  `normal` images (default 0.99: 1 % of normal images are flagged). */
  anomalyThreshold(
    normal: ImagesInput,
    options: { quantile?: number; method?: uses.AnomalyMethod; labels?: Uint8Array } = {},
  ): number {
    rejectUnknownOptions('Autoencoder.anomalyThreshold', options, ['quantile', 'method', 'labels']);
    return uses.anomalyThreshold(this, normal, options);
  }

  /** Compresses images to bytes: codes quantized to `bits` bits per dimension (1 to 8, default 8),
   *  or with `bits: 32` the codes as f32, exactly (io/codeStream.ts); at most 2^28 values of images per stream (about 342,000 MNIST digits). */
  compress(images: ImagesInput, options: { bits?: number; labels?: Uint8Array } = {}): Uint8Array {
    this.idleEngine('Autoencoder.compress');
    rejectUnknownOptions('Autoencoder.compress', options, ['bits', 'labels']);
    return uses.compress(this, images, options);
  }

  /** The images back from `compress()`'s bytes: Float32Array [n × imageSize], and n. The stream is
   *  checked whole (framing, CRC, model id, latent size, labels) before anything is allocated; one
   *  stream holds at most 2^28 values of images (compress refuses more). */
  decompress(bytes: Uint8Array): { images: Float32Array; count: number; labels?: Uint8Array } {
    this.idleEngine('Autoencoder.decompress');
    return uses.decompress(this, bytes);
  }

  /** Identifies the weights and config: CRC-32 of each, as 16 hex digits. */
  modelId(): string {
    return uses.modelId(this, this.idleEngine('Autoencoder.modelId').params());
  }

  private meanError(data: Images, count: number, labels?: Uint8Array, check?: { fn: string; arg: string }): number {
    return meanOf(this.run(data, count, 0, this.live.spec.layers.length - 1, false, labels, undefined, check).errors!);
  }

  /** fit's validation figures: reconstruction MSE, and the loss the model trains on. */
  private validate(data: Images, count: number, labels?: Uint8Array): { mse: number; loss: number } {
    const mse = this.meanError(data, count, labels);
    if (this.config.loss === 'mse' && !this.config.variational) return { mse, loss: mse };
    const spec = this.live.spec;
    const outputs =
      this.config.loss === 'bce' ? this.run(data, count, 0, spec.layers.length - 1, true, labels).outputs : undefined;
    const codes = this.config.variational ? this.run(data, count, 0, spec.codeLayer, true, labels).outputs : undefined;
    return { mse, loss: validationLoss(this.config, data, count, spec.imageSize, outputs, codes, mse) };
  }

  /** Layers [first, last] over `count` rows; `check` names the caller and argument whose floats
   *  are still to be checked finite (inputs() leaves that to the kernels). */
  private run(
    data: Images,
    count: number,
    first: number,
    last: number,
    keepOutputs: boolean,
    labels?: Uint8Array,
    out?: Float32Array,
    check?: { fn: string; arg: string },
  ): { outputs?: Float32Array; errors?: Float32Array } {
    return runLayers(this.live, this.pool, data, count, first, last, keepOutputs, labels, out, check);
  }

  /**
   * An inference-only copy of this model with int8 weights (one scale per output column) and
   * integer dot products, on one thread: encode, decode, reconstruct, evaluate, save (about a
   * quarter of save()'s bytes). A variational model keeps its mean path; conditional models are
   * refused. Load its file with Autoencoder.loadQuantized.
   */
  async quantize(): Promise<QuantizedAutoencoder> {
    const engine = this.idleEngine('Autoencoder.quantize');
    const { QuantizedAutoencoder } = await import('./quantized.js');
    const module = this.backend.threads === 1 ? this.module : undefined;
    return QuantizedAutoencoder.fromFloat(quantizedHost(), this.config, engine.spec, engine.params(), {
      module,
      build: this.backend.kernels,
    });
  }

  /** A quantized model from QuantizedAutoencoder.save()'s bytes, or from a path, URL, Blob or
   *  Response as loadFrom reads them; checked whole before anything is allocated. */
  static async loadQuantized(
    source: Uint8Array | ArrayBufferView | ArrayBuffer | ModelSource,
    options: { kernels?: RuntimeOptions['kernels']; wasm?: RuntimeOptions['wasm'] } = {},
  ): Promise<QuantizedAutoencoder> {
    const fn = 'Autoencoder.loadQuantized';
    const { QuantizedAutoencoder } = await import('./quantized.js');
    const bytes =
      ArrayBuffer.isView(source) || source instanceof ArrayBuffer
        ? source
        : await (await import('../io/storage.js')).readModel(source, fn);
    return QuantizedAutoencoder.load(quantizedHost(), bytes, options, fn);
  }

  /** save()'s bytes to `target`: a file path or file: URL (Node, Deno, Bun; written atomically
   *  through a temporary file and a rename), or 'indexeddb://name' in a browser. */
  async saveTo(target: string | URL, options: { optimizer?: boolean } = {}): Promise<void> {
    // Loaded on first use: a bundle that never stores a model does not carry it.
    const { writeModel } = await import('../io/storage.js');
    await writeModel(target, this.save(options), 'Autoencoder.saveTo');
  }

  /** A model from a file path or file: URL, 'indexeddb://name', an http(s) URL, a Blob (a File)
   *  or a Response; as load() then. */
  static async loadFrom(source: ModelSource, options: RuntimeOptions = {}): Promise<Autoencoder> {
    const { readModel } = await import('../io/storage.js');
    return Autoencoder.load(await readModel(source, 'Autoencoder.loadFrom'), options);
  }

  /** The model as bytes (versioned, CRC-checked). `optimizer: true` keeps Adam's state to resume training. */
  save(options: { optimizer?: boolean } = {}): Uint8Array {
    const engine = this.idleEngine('Autoencoder.save');
    rejectUnknownOptions('Autoencoder.save', options, ['optimizer']);
    const withOptimizer = options.optimizer ?? false;
    if (typeof withOptimizer !== 'boolean')
      throw argError('Autoencoder.save', 'optimizer', 'true or false', withOptimizer);
    return encodeModelFile({
      header: {
        library: 'wasm-autoencoder',
        config: this.config,
        paramCount: engine.paramCount,
        step: engine.step,
        shuffleState: this.shuffler.state(),
        epochs: this.epochCount,
      },
      params: engine.params(),
      optimizerState: withOptimizer ? engine.optimizerState() : undefined,
    });
  }

  /** Ends the worker threads and frees the model's memory; any later call throws. */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.engine = null;
    this.store.clear();
    if (pool) await pool.terminate();
  }
}

/** The caller's output array, when given: a Float32Array of exactly `length` values. */
function checkedOut(fn: string, out: unknown, length: number): Float32Array | undefined {
  if (out === undefined) return undefined;
  if (!(out instanceof Float32Array) || out.length !== length)
    throw argError(fn, 'out', `a Float32Array of ${length} values`, out);
  return out;
}

function outputInto(fn: string, out: Float32Array, values: Float32Array): Float32Array {
  checkedOut(fn, out, values.length)!.set(values);
  return out;
}

const RUNTIME_KEYS = ['kernels', 'wasm', 'threads'];

/** What the lazily loaded int8 chunk uses from the main entry's modules (see QuantizedHost). */
const quantizedHost = (): QuantizedHost => ({
  networkOf,
  configFromFile,
  imagesOf,
  resultLength,
  loadKernels,
  instantiateKernels,
  rejectUnknownOptions,
  Arena,
  crc32,
  argError,
  describeValue,
  activationCodes: ACTIVATION_CODES,
});
