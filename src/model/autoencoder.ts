// The public model: create or load, fit, encode/decode/reconstruct/evaluate, save, dispose.
import { Engine, type Corruption, type DataKind, type LayoutRequest } from '../engine/engine.js';
import { buildNetwork } from '../engine/network.js';
import { rowMeanErrors } from '../engine/metrics.js';
import { loadKernels, instantiateKernels, type KernelBuildName, type KernelSource } from '../runtime/wasm.js';
import { WorkerPool } from '../parallel/pool.js';
import { threadsUnavailable } from '../parallel/spawn.js';
import type { Report } from '../parallel/messages.js';
import { decodeModelFile, encodeModelFile } from '../io/modelFile.js';
import { Prng } from '../util/prng.js';
import { argError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';
import { imagesOf, labelsOf, type Images, type ImagesInput } from './inputs.js';
import { decodeCodes, encodeCodes } from '../io/codeStream.js';
import { crc32 } from '../util/crc32.js';
import { layerPlan, normalizeOptions, isPositiveInteger, MAX_THREADS, type AutoencoderOptions, type ModelConfig } from './options.js';

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
  /** Denoising: corrupt each input this way (fresh noise every step) and learn to give back the
   *  clean image. gaussian: x + level·N(0, 1); masking: each value zeroed with probability level;
   *  saltAndPepper: each value set to 0 or 1 with probability level. */
  noise?: NoiseOptions;
}

export interface NoiseOptions {
  type: 'gaussian' | 'masking' | 'saltAndPepper';
  level: number;
}

/** Labels for the rows of a call, for conditional models. */
export interface LabelOptions {
  labels?: Uint8Array;
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
  /** The kernels' wasm (bytes, URL or a precompiled module) where the default file cannot be
   *  read, as in edge runtimes. A model given one runs on one thread. */
  wasm?: KernelSource;
  /** Worker threads: 'auto' (default) uses every core; 1 runs everything in the caller. */
  threads?: 'auto' | number;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validation', 'onEpochEnd', 'onBatchEnd', 'signal', 'noise'];
const NOISE_KINDS = { gaussian: 1, masking: 2, saltAndPepper: 3 } as const;
const YIELD_EVERY_MS = 30;
/** Rows the inference regions hold; larger inputs go through in rounds. */
const INFER_ROWS = 2048;
/** Inference calls on fewer rows run in the caller alone: handing out work costs more. */
const PARALLEL_MIN_ROWS = 512;
/** Largest shared memory a model may grow to (2 GiB): reserved, not committed. */
const SHARED_MAX_PAGES = 32768;

async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } catch {
    return 1;
  }
}

async function resolveThreads(wanted: 'auto' | number, custom: boolean): Promise<{ threads: number; note?: string }> {
  const asked = wanted === 'auto' ? Math.min(MAX_THREADS, await availableCores()) : wanted;
  if (asked <= 1) return { threads: 1 };
  if (custom) return { threads: 1, note: 'a custom wasm source was given: one thread (workers load the packaged threads build)' };
  const reason = threadsUnavailable();
  if (reason) return { threads: 1, note: `one thread instead of ${asked}: ${reason}` };
  return { threads: asked };
}

export class Autoencoder {
  readonly config: ModelConfig;
  readonly backend: Backend;
  private engine: Engine | null;
  private pool: WorkerPool | null = null;
  private readonly module: WebAssembly.Module;
  private readonly shuffler: Prng;
  private training = false;

  private constructor(config: ModelConfig, engine: Engine, backend: Backend, module: WebAssembly.Module, shuffler: Prng) {
    this.config = config;
    this.engine = engine;
    this.backend = backend;
    this.module = module;
    this.shuffler = shuffler;
  }

  /** A new model with Glorot-uniform weights drawn from `seed`. */
  static async create(options: AutoencoderOptions & RuntimeOptions = {}): Promise<Autoencoder> {
    const { wasm, ...rest } = options ?? {};
    const config = normalizeOptions(rest);
    const model = await Autoencoder.build(config, { kernels: options?.kernels, wasm, threads: options?.threads });
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
    if (options.threads !== undefined && options.threads !== 'auto' && !isPositiveInteger(options.threads, MAX_THREADS)) {
      throw argError('Autoencoder.load', 'threads', `'auto' or an integer in [1, ${MAX_THREADS}]`, options.threads);
    }
    const engine0 = await Autoencoder.build(config, options);
    const engine = engine0.live;
    if (engine.paramCount !== file.header.paramCount) {
      await engine0.dispose();
      throw new Error(`Autoencoder.load: the model file holds ${file.header.paramCount} parameters, its config needs ${engine.paramCount}`);
    }
    engine.step = file.optimizerState ? file.header.step : 0;
    engine.params().set(file.params);
    if (file.optimizerState) {
      const [a, b] = engine.optimizerState();
      a.set(file.optimizerState[0]);
      b.set(file.optimizerState[1]);
    }
    if (Array.isArray(file.header.shuffleState) && file.header.shuffleState.length === 4) {
      engine0.shuffler.setState(file.header.shuffleState);
    }
    engine.refreshTransposed();
    return engine0;
  }

  private static async build(config: ModelConfig, options: RuntimeOptions): Promise<Autoencoder> {
    const { layers, codeLayer } = layerPlan(config);
    const spec = buildNetwork(layers, {
      alpha: config.leakyReluAlpha, loss: config.loss, codeLayer, latent: config.latent,
      variational: config.variational, beta: config.beta, classes: config.classes,
    });
    const { threads, note } = await resolveThreads(options.threads ?? 'auto', options.wasm !== undefined);
    const shared = threads > 1;
    const { build, module } = await loadKernels({ build: options.kernels ?? 'auto', shared, source: options.wasm });
    const memory = shared
      ? new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: 1 });
    const engine = new Engine(instantiateKernels(module, memory), memory, spec, config.optimizer);
    engine.seed = config.seed;
    engine.plan(inferencePlan(threads, 'u8'));
    const shuffler = new Prng((config.seed ^ 0x5bd1e995) >>> 0);
    const model = new Autoencoder(config, engine, { kernels: build, threads, ...(note ? { note } : {}) }, module, shuffler);
    if (shared) model.pool = await WorkerPool.start(threads, module, memory, spec, config.optimizer);
    return model;
  }

  private get live(): Engine {
    if (!this.engine) throw new Error('Autoencoder: this model was disposed; create or load another');
    return this.engine;
  }

  /** The engine, when no fit is running (inference, save and fit itself share its memory). */
  private idleEngine(fn: string): Engine {
    const engine = this.live;
    if (this.training) throw new Error(`${fn}: the model is training; wait for fit() to settle first`);
    return engine;
  }

  /** The pool, restarted if a worker failed since it was last used. */
  private async workers(): Promise<WorkerPool> {
    if (this.pool && !this.pool.broken) return this.pool;
    if (this.pool) await this.pool.terminate();
    const engine = this.live;
    this.pool = await WorkerPool.start(this.backend.threads, this.module, engine.arena.memory, engine.spec, engine.optimizer);
    return this.pool;
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

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.live.step;
  }

  /** A copy of the parameter vector (all layers: W then b, each padded to 4 floats). */
  getWeights(): Float32Array {
    return this.idleEngine('Autoencoder.getWeights').params().slice();
  }

  /** Trains on `data` (n images as bytes or floats in [0, 1]); resolves with the epoch logs. */
  async fit(data: ImagesInput, options: FitOptions = {}): Promise<History> {
    const fn = 'Autoencoder.fit';
    const engine = this.idleEngine(fn);
    if (typeof options !== 'object' || options === null) throw argError(fn, 'options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (!FIT_KEYS.includes(key)) throw new Error(`${fn}: unknown option ${key}; known options are ${FIT_KEYS.join(', ')}`);
    }
    const range: [number, number] | undefined = this.config.loss === 'bce' ? [0, 1] : undefined;
    const { data: images, count } = imagesOf(data, fn, 'data', engine.spec.imageSize, range);
    const epochs = options.epochs ?? 1;
    if (!isPositiveInteger(epochs, 1e6)) throw argError(fn, 'epochs', 'a positive integer', epochs);
    const batchSize = options.batchSize ?? 32;
    if (!isPositiveInteger(batchSize, 1 << 16)) throw argError(fn, 'batchSize', 'an integer in [1, 65536]', batchSize);
    const shuffle = options.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw argError(fn, 'shuffle', 'true or false', shuffle);
    const classes = engine.spec.classes;
    const labels = labelsOf(data, count, classes, fn, 'data');
    const validation = options.validation === undefined ? undefined : (() => {
      const v = imagesOf(options.validation!, fn, 'validation', engine.spec.imageSize);
      return { ...v, labels: labelsOf(options.validation, v.count, classes, fn, 'validation') };
    })();
    const corruption = noiseOf(options.noise, fn);
    for (const cb of ['onEpochEnd', 'onBatchEnd'] as const) {
      if (options[cb] !== undefined && typeof options[cb] !== 'function') throw argError(fn, cb, 'a function', options[cb]);
    }
    const { signal } = options;
    if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw argError(fn, 'signal', 'an AbortSignal', signal);
    signal?.throwIfAborted();

    const batch = Math.min(batchSize, count);
    const kind: DataKind = images instanceof Uint8Array ? 'u8' : 'f32';
    this.training = true;
    engine.corruption = corruption;
    try {
      const job = { images, labels, count, batch, kind, epochs, shuffle, validation, options };
      return this.backend.threads > 1 ? await this.fitThreads(job) : await this.fitHere(job);
    } finally {
      engine.corruption = { kind: 0, level: 0 };
      this.training = false;
    }
  }

  /** One thread, in the caller: each shuffled batch is copied from the caller's array into the
   *  memory just before its step, so the data set is never held twice. */
  private async fitHere(job: FitJob): Promise<History> {
    const { images, labels, count, batch, kind, epochs, shuffle, validation, options } = job;
    const engine = this.live;
    const fn = 'Autoencoder.fit';
    engine.plan({ ...inferencePlan(1, validation?.data instanceof Float32Array ? 'f32' : 'u8'), batchSize: batch, datasetRows: batch, datasetKind: kind });
    const identity = new Uint32Array(batch);
    for (let i = 0; i < batch; i++) identity[i] = i;
    const order = new Uint32Array(count);
    const batches = Math.ceil(count / batch);
    const history: History = { epochs: [] };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let i = 0; i < count; i++) order[i] = i;
      if (shuffle) this.shuffler.shuffle(order);
      engine.setOrder(identity); // stored rows 0…batch-1, restaged before every step
      const started = performance.now();
      let lastYield = started, lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * batch, rows = Math.min(batch, count - start);
        if (this.engine === null) throw new Error(`${fn}: the model was disposed during fit`);
        engine.stageBatch(images, order, start, rows, labels);
        const loss = engine.trainBatch(0, rows);
        if (!Number.isFinite(loss)) throw divergedError(fn, loss, epoch, b + 1);
        lossSum += loss * rows;
        options.onBatchEnd?.({ epoch, batch: b + 1, batches, loss });
        const now = performance.now();
        if (now - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        options.signal?.throwIfAborted();
      }
      await this.endEpoch(job, history, epoch, lossSum, (performance.now() - started) / 1000);
    }
    return history;
  }

  /** An epoch's log (with validation), its callback, and a turn of the event loop. */
  private async endEpoch(job: FitJob, history: History, epoch: number, lossSum: number, seconds: number): Promise<void> {
    const { count, validation, options } = job;
    const log: EpochLog = { epoch, loss: lossSum / count, seconds, samplesPerSec: count / seconds };
    if (validation) Object.assign(log, withPsnr(this.meanError(validation.data, validation.count, validation.labels)));
    history.epochs.push(log);
    options.onEpochEnd?.(log);
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
  }

  /** Worker threads: the data set sits in the shared memory once, each epoch runs in the
   *  workers, and this thread relays progress, shuffles, and validates between epochs. */
  private async fitThreads(job: FitJob): Promise<History> {
    const { images, labels, count, batch, kind, epochs, shuffle, validation, options } = job;
    const engine = this.live;
    const fn = 'Autoencoder.fit';
    const pool = await this.workers();
    const layout = engine.plan({
      batchSize: batch, datasetRows: count, datasetKind: kind, workspaces: this.backend.threads,
      inferRows: INFER_ROWS, inferKind: validation?.data instanceof Float32Array ? 'f32' : 'u8',
    });
    engine.storeRows(images, 0, count, 0, labels);
    pool.beginFit(layout, engine.step);
    const history: History = { epochs: [] };
    let stopReason: unknown = null;
    const stop = (reason: unknown): void => {
      if (stopReason === null) stopReason = reason;
      pool.requestStop(layout);
    };
    const onAbort = (): void => stop(options.signal!.reason ?? new Error(`${fn}: aborted`));
    options.signal?.addEventListener('abort', onAbort);
    const onReport = (r: Report): void => {
      if (r.type !== 'batch') return;
      try {
        options.onBatchEnd?.({ epoch: r.epoch, batch: r.batch, batches: r.batches, loss: r.loss });
      } catch (error) {
        stop(error);
      }
    };
    const order = new Uint32Array(count);
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        for (let i = 0; i < count; i++) order[i] = i;
        if (shuffle) this.shuffler.shuffle(order);
        engine.setOrder(order);
        const end = await pool.fitEpoch(engine, {
          layout, step: engine.step, epoch, batchSize: batch, count, reportBatches: options.onBatchEnd !== undefined,
          seed: engine.seed, corruption: engine.corruption,
        }, onReport);
        engine.step = end.step;
        if (end.outcome === 'diverged') throw divergedError(fn, end.loss!, epoch, end.batch!);
        if (end.outcome === 'stopped') throw stopReason ?? new Error(`${fn}: stopped`);
        await this.endEpoch(job, history, epoch, end.lossSum, end.seconds);
      }
      return history;
    } catch (error) {
      if (pool.broken) {
        // The last completed step's weights are intact in its bank; rebuild what depends on them.
        engine.step = pool.stepsDone(layout);
        engine.refreshTransposed();
        await pool.terminate();
        this.pool = null;
      }
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Codes of `images`: Float32Array [n × latent] (a variational model's means). */
  encode(images: ImagesInput, options: LabelOptions = {}): Float32Array {
    const fn = 'Autoencoder.encode';
    const { mean } = this.codesOf(images, options, fn);
    return mean;
  }

  /** A variational model's posterior per image: means and log-variances, [n × latent] each. */
  encodeDistribution(images: ImagesInput, options: LabelOptions = {}): { mean: Float32Array; logVariance: Float32Array } {
    const fn = 'Autoencoder.encodeDistribution';
    if (!this.config.variational) throw new Error(`${fn}: this model is not variational (create it with { variational: true })`);
    const { mean, logVariance } = this.codesOf(images, options, fn);
    return { mean, logVariance: logVariance! };
  }

  private codesOf(images: ImagesInput, options: LabelOptions, fn: string): { mean: Float32Array; logVariance?: Float32Array } {
    const engine = this.idleEngine(fn);
    const { data, count } = imagesOf(images, fn, 'images', engine.spec.imageSize);
    const labels = labelsOf(images, count, engine.spec.classes, fn, 'images', options?.labels);
    const raw = this.run(data, count, 0, engine.spec.codeLayer, true, labels).outputs!;
    if (!this.config.variational) return { mean: raw };
    const L = this.latentSize;
    const mean = new Float32Array(count * L), logVariance = new Float32Array(count * L);
    for (let r = 0; r < count; r++) {
      mean.set(raw.subarray(r * 2 * L, r * 2 * L + L), r * L);
      logVariance.set(raw.subarray(r * 2 * L + L, (r + 1) * 2 * L), r * L);
    }
    return { mean, logVariance };
  }

  /** Images from codes: Float32Array [n × imageSize]. */
  decode(codes: Float32Array, options: LabelOptions = {}): Float32Array {
    const fn = 'Autoencoder.decode';
    const engine = this.idleEngine(fn);
    if (!(codes instanceof Float32Array)) throw argError(fn, 'codes', `a Float32Array of n × ${this.latentSize} values`, codes);
    const { count } = imagesOf(codes, fn, 'codes', this.latentSize);
    const labels = labelsOf(undefined, count, engine.spec.classes, fn, 'codes', options?.labels);
    return this.run(codes, count, engine.spec.codeLayer + 1, engine.spec.layers.length - 1, true, labels).outputs!;
  }

  /** decode(encode(images)), in one pass. */
  reconstruct(images: ImagesInput, options: LabelOptions = {}): Float32Array {
    return this.reconstructAs('Autoencoder.reconstruct', images, options);
  }

  /** Clean images from noisy ones: what a model trained with `fit(…, { noise })` learned to do. */
  denoise(images: ImagesInput, options: LabelOptions = {}): Float32Array {
    return this.reconstructAs('Autoencoder.denoise', images, options);
  }

  private reconstructAs(fn: string, images: ImagesInput, options: LabelOptions): Float32Array {
    const engine = this.idleEngine(fn);
    const { data, count } = imagesOf(images, fn, 'images', engine.spec.imageSize);
    const labels = labelsOf(images, count, engine.spec.classes, fn, 'images', options?.labels);
    return this.run(data, count, 0, engine.spec.layers.length - 1, true, labels).outputs!;
  }

  /** Reconstruction MSE and PSNR over `images`. */
  evaluate(images: ImagesInput, options: LabelOptions = {}): Evaluation {
    const fn = 'Autoencoder.evaluate';
    const engine = this.idleEngine(fn);
    const { data, count } = imagesOf(images, fn, 'images', engine.spec.imageSize);
    const labels = labelsOf(images, count, engine.spec.classes, fn, 'images', options?.labels);
    return { count, ...withPsnrOnly(this.meanError(data, count, labels)) };
  }

  /** Per-image mean squared reconstruction error. */
  reconstructionErrors(images: ImagesInput, options: LabelOptions = {}): Float32Array {
    const fn = 'Autoencoder.reconstructionErrors';
    const engine = this.idleEngine(fn);
    const { data, count } = imagesOf(images, fn, 'images', engine.spec.imageSize);
    const labels = labelsOf(images, count, engine.spec.classes, fn, 'images', options?.labels);
    return this.run(data, count, 0, engine.spec.layers.length - 1, false, labels).errors!;
  }

  /**
   * Draws `n` images from a variational model: codes from N(0, I) (seeded), decoded. A conditional
   * model draws the class `label` (or one label per image in `labels`).
   */
  sample(n: number, options: { seed?: number; label?: number; labels?: Uint8Array } = {}): Float32Array {
    const fn = 'Autoencoder.sample';
    this.idleEngine(fn);
    if (!this.config.variational) throw new Error(`${fn}: sampling needs a variational model (create it with { variational: true })`);
    if (!isPositiveInteger(n, 1 << 24)) throw argError(fn, 'n', 'a positive integer', n);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw argError(fn, 'seed', 'an integer in [0, 2^32)', seed);
    const classes = this.config.classes;
    let labels: Uint8Array | undefined;
    if (options.label !== undefined) {
      if (classes === 0) throw new Error(`${fn}: label is only for conditional models`);
      if (!Number.isInteger(options.label) || options.label < 0 || options.label >= classes) throw argError(fn, 'label', `an integer in [0, ${classes - 1}]`, options.label);
      labels = new Uint8Array(n).fill(options.label);
    } else if (classes > 0) {
      labels = labelsOf(undefined, n, classes, fn, 'labels', options.labels ?? new Uint8Array(0));
    }
    const prng = new Prng(seed);
    const codes = new Float32Array(n * this.latentSize);
    for (let i = 0; i < codes.length; i++) codes[i] = prng.nextGaussian();
    return this.decode(codes, { labels });
  }

  /**
   * `steps` images from `a` to `b` (one image each): their codes (means) interpolated linearly,
   * decoded. The first and last are the two reconstructions.
   */
  interpolate(a: ImagesInput, b: ImagesInput, steps: number, options: { labels?: Uint8Array } = {}): Float32Array {
    const fn = 'Autoencoder.interpolate';
    const engine = this.idleEngine(fn);
    if (!isPositiveInteger(steps, 4096) || steps < 2) throw argError(fn, 'steps', 'an integer in [2, 4096]', steps);
    const pair = (x: ImagesInput, arg: string): Images => {
      const { data, count } = imagesOf(x, fn, arg, engine.spec.imageSize);
      if (count !== 1) throw new Error(`${fn}: ${arg} must be one image (${engine.spec.imageSize} values), got ${count}`);
      return data;
    };
    const first = pair(a, 'a'), last = pair(b, 'b');
    const classes = engine.spec.classes;
    const endLabels = classes > 0 ? labelsOf(undefined, 2, classes, fn, 'labels', options.labels) : undefined;
    const codeA = this.encode(first, { labels: endLabels?.subarray(0, 1) });
    const codeB = this.encode(last, { labels: endLabels?.subarray(1, 2) });
    const L = this.latentSize;
    const codes = new Float32Array(steps * L);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      for (let j = 0; j < L; j++) codes[s * L + j] = (1 - t) * codeA[j] + t * codeB[j];
    }
    // A conditional path keeps the first image's label up to the middle, then the second's.
    const labels = endLabels ? Uint8Array.from({ length: steps }, (_, s) => endLabels[s < steps / 2 ? 0 : 1]) : undefined;
    return this.decode(codes, { labels });
  }

  /**
   * One anomaly score per image, higher for images unlike the training data: the mean squared
   * reconstruction error, or for a variational model with `method: 'elbo'` the negative evidence
   * lower bound per pixel (reconstruction error plus β·KL of the code, over the image size).
   */
  anomalyScores(images: ImagesInput, options: { method?: 'reconstruction' | 'elbo'; labels?: Uint8Array } = {}): Float32Array {
    const fn = 'Autoencoder.anomalyScores';
    const method = options.method ?? 'reconstruction';
    if (method !== 'reconstruction' && method !== 'elbo') throw argError(fn, 'method', "'reconstruction' or 'elbo'", method);
    if (method === 'elbo' && !this.config.variational) throw new Error(`${fn}: method 'elbo' needs a variational model`);
    const errors = this.reconstructionErrors(images, { labels: options.labels });
    if (method === 'reconstruction') return errors;
    const { mean, logVariance } = this.encodeDistribution(images, { labels: options.labels });
    const L = this.latentSize, size = this.live.spec.imageSize;
    for (let i = 0; i < errors.length; i++) {
      let kl = 0;
      for (let j = 0; j < L; j++) {
        const mu = mean[i * L + j], lv = logVariance[i * L + j];
        kl += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
      }
      errors[i] += (this.config.beta * kl) / size;
    }
    return errors;
  }

  /** The score above which an image counts as anomalous: the `quantile` of the scores of
   *  `normal` images (default 0.99: 1 % of normal images are flagged). */
  anomalyThreshold(normal: ImagesInput, options: { quantile?: number; method?: 'reconstruction' | 'elbo'; labels?: Uint8Array } = {}): number {
    const fn = 'Autoencoder.anomalyThreshold';
    const q = options.quantile ?? 0.99;
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw argError(fn, 'quantile', 'a number in [0, 1]', q);
    const scores = Float32Array.from(this.anomalyScores(normal, { method: options.method, labels: options.labels })).sort();
    return scores[Math.min(scores.length - 1, Math.floor(q * scores.length))];
  }

  /** Compresses images to bytes: codes quantized to `bits` bits per dimension (see codec.ts). */
  compress(images: ImagesInput, options: { bits?: number; labels?: Uint8Array } = {}): Uint8Array {
    const fn = 'Autoencoder.compress';
    const bits = options.bits ?? 8;
    if (!isPositiveInteger(bits, 8)) throw argError(fn, 'bits', 'an integer in [1, 8]', bits);
    const engine = this.idleEngine(fn);
    const { count } = imagesOf(images, fn, 'images', engine.spec.imageSize);
    const labels = labelsOf(images, count, engine.spec.classes, fn, 'images', options.labels);
    const codes = this.encode(images, { labels });
    return encodeCodes({ codes, count, latent: this.latentSize, bits, modelId: this.modelId(), labels });
  }

  /** The images back from `compress()`'s bytes: Float32Array [n × imageSize], and n. */
  decompress(bytes: Uint8Array): { images: Float32Array; count: number; labels?: Uint8Array } {
    const fn = 'Autoencoder.decompress';
    this.idleEngine(fn);
    const stream = decodeCodes(bytes, fn);
    const id = this.modelId();
    if (stream.modelId !== id) {
      throw new Error(`${fn}: these bytes were compressed by another model (model id ${stream.modelId}, this model is ${id})`);
    }
    if (stream.latent !== this.latentSize) throw new Error(`${fn}: the stream has ${stream.latent}-dimensional codes, this model ${this.latentSize}`);
    return { images: this.decode(stream.codes, { labels: stream.labels }), count: stream.count, labels: stream.labels };
  }

  /** Identifies the weights and config: CRC-32 of each, as 16 hex digits. */
  modelId(): string {
    const engine = this.idleEngine('Autoencoder.modelId');
    const p = engine.params();
    const weights = crc32(new Uint8Array(p.buffer, p.byteOffset, p.byteLength).slice());
    const config = crc32(new TextEncoder().encode(JSON.stringify(layerPlan(this.config))));
    return weights.toString(16).padStart(8, '0') + config.toString(16).padStart(8, '0');
  }

  private meanError(data: Images, count: number, labels?: Uint8Array): number {
    const errors = this.run(data, count, 0, this.live.spec.layers.length - 1, false, labels).errors!;
    let sum = 0;
    for (let i = 0; i < count; i++) sum += errors[i];
    return sum / count;
  }

  /**
   * Layers [first, last] over `count` rows of `data`, in rounds of the inference region's size;
   * large rounds are shared with the worker threads. Returns the outputs, or the per-row errors.
   */
  private run(data: Images, count: number, first: number, last: number, keepOutputs: boolean,
              labels?: Uint8Array): { outputs?: Float32Array; errors?: Float32Array } {
    const engine = this.live;
    const kind: DataKind = data instanceof Uint8Array ? 'u8' : 'f32';
    if (engine.layout.inferKind !== kind || engine.layout.inferRows < INFER_ROWS) {
      engine.plan({ ...engine.layout, inferKind: kind, inferRows: INFER_ROWS });
    }
    const layout = engine.layout;
    const width = first === 0 ? engine.spec.imageSize : this.latentSize;
    const outWidth = engine.spec.layers[last].outputs;
    const outputs = keepOutputs ? new Float32Array(count * outWidth) : undefined;
    const errors = keepOutputs ? undefined : new Float32Array(count);
    const ws = engine.workspaces[0];
    const pool = this.pool && !this.pool.broken ? this.pool : null;
    for (let round = 0; round < count; round += layout.inferRows) {
      const n = Math.min(layout.inferRows, count - round);
      engine.storeInferRows(data, round, n, 0, width);
      if (labels) engine.storeInferLabels(labels, round, n, 0);
      // This thread's blocks go straight from its workspace to the caller's array; the workers'
      // shares come back through the inference output region.
      const sink = outputs
        ? (row: number, rows: number, at: number): void => outputs.set(engine.arena.f32.subarray(at >> 2, (at >> 2) + rows * outWidth), (round + row) * outWidth)
        : undefined;
      let own: [number, number] = [0, n];
      const ownShare = (from: number, to: number): void => {
        own = [from, to];
        engine.inferRange(ws, from, to, first, last, keepOutputs, !keepOutputs, sink);
      };
      if (pool && n >= PARALLEL_MIN_ROWS) pool.infer(layout, engine.step, first, last, n, keepOutputs, !keepOutputs, ownShare);
      else ownShare(0, n);
      if (outputs && (own[0] > 0 || own[1] < n)) {
        const at = layout.at.inferOut >> 2;
        if (own[0] > 0) outputs.set(engine.arena.f32.subarray(at, at + own[0] * outWidth), round * outWidth);
        if (own[1] < n) outputs.set(engine.arena.f32.subarray(at + own[1] * outWidth, at + n * outWidth), (round + own[1]) * outWidth);
      }
      if (errors) rowMeanErrors(engine, n, errors, round);
    }
    return { outputs, errors };
  }

  /** The model as bytes (versioned, CRC-checked). `optimizer: true` keeps Adam's state to resume training. */
  save(options: { optimizer?: boolean } = {}): Uint8Array {
    const engine = this.idleEngine('Autoencoder.save');
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

  /** Ends the worker threads and frees the model's memory; any later call throws. */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.engine = null;
    if (pool) await pool.terminate();
  }
}

interface FitJob {
  images: Images;
  labels?: Uint8Array;
  count: number;
  batch: number;
  kind: DataKind;
  epochs: number;
  shuffle: boolean;
  validation?: { data: Images; count: number; labels?: Uint8Array };
  options: FitOptions;
}

function inferencePlan(threads: number, inferKind: DataKind): LayoutRequest {
  return { batchSize: 64, datasetRows: 0, datasetKind: 'u8', inferRows: INFER_ROWS, inferKind, workspaces: threads };
}

function noiseOf(noise: unknown, fn: string): Corruption {
  if (noise === undefined) return { kind: 0, level: 0 };
  if (typeof noise !== 'object' || noise === null) throw argError(fn, 'noise', "an object { type, level }", noise);
  const { type, level, ...rest } = noise as NoiseOptions;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`${fn}: unknown option noise.${unknown[0]}; known options are type, level`);
  if (!(type in NOISE_KINDS)) throw argError(fn, 'noise.type', "'gaussian', 'masking' or 'saltAndPepper'", type);
  const max = type === 'gaussian' ? 10 : 1;
  if (typeof level !== 'number' || !(level >= 0 && level <= max)) throw argError(fn, 'noise.level', `a number in [0, ${max}]`, level);
  return { kind: NOISE_KINDS[type], level };
}

function divergedError(fn: string, loss: number, epoch: number, batch: number): Error {
  return new Error(`${fn}: the loss became ${loss} at epoch ${epoch}, batch ${batch}; the weights are kept from the last good step (a lower optimizer.learningRate may help)`);
}

function withPsnr(mse: number): { valMse: number; valPsnr: number } {
  return { valMse: mse, valPsnr: 10 * Math.log10(1 / mse) };
}

function withPsnrOnly(mse: number): { mse: number; psnr: number } {
  return { mse, psnr: 10 * Math.log10(1 / mse) };
}

/** A stored ModelConfig back into create() options. */
function toOptions(config: unknown): AutoencoderOptions {
  const c = config as ModelConfig;
  if (typeof c !== 'object' || c === null) throw new Error('config is missing');
  return {
    inputShape: c.inputShape, encoder: c.encoder, latent: c.latent, decoder: c.decoder, activation: c.activations,
    latentActivation: c.latentActivation, output: c.output, leakyReluAlpha: c.leakyReluAlpha, loss: c.loss,
    optimizer: c.optimizer, seed: c.seed,
    variational: c.variational ? { beta: c.beta } : false,
    conditional: c.classes > 0 ? { classes: c.classes } : undefined,
  };
}
