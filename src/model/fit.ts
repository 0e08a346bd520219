// fit(): its options checked once, then the epochs. One thread steps engine/epoch.ts's generator
// here, copying each shuffled batch from the caller's array just before its step (the data set is
// never held twice); with threads the data set sits in the shared memory once and every thread,
// the caller's too, steps the same generator under barriers (parallel/). Both end each epoch the
// same way: the log, validation, the callback, a turn of the event loop.
import type { Corruption, DataKind, Engine } from '../engine/engine.js';
import { epochSteps, type EpochEnd } from '../engine/epoch.js';
import type { WorkerPool } from '../parallel/pool.js';
import type { Report } from '../parallel/messages.js';
import type { Prng } from '../util/prng.js';
import { argError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';
import { imagesOf, labelsOf, type Images, type ImagesInput } from './inputs.js';
import { isPositiveInteger } from './options.js';
import { INFER_ROWS, inferencePlan } from './setup.js';
import type { EpochLog, FitOptions, History, NoiseOptions } from './types.js';

const FN = 'Autoencoder.fit';
const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validation', 'onEpochEnd', 'onBatchEnd', 'signal', 'noise'];
const NOISE_KINDS = { gaussian: 1, masking: 2, saltAndPepper: 3 } as const;
/** The caller's event loop turns at least this often during a one-thread fit. */
const YIELD_EVERY_MS = 30;

/** What fit needs of the model. */
export interface FitHost {
  readonly threads: number;
  readonly shuffler: Prng;
  /** The engine; throws once the model is disposed. */
  engine(): Engine;
  readonly disposed: boolean;
  /** The worker pool, started (again) if needed. */
  workers(): Promise<WorkerPool>;
  /** Drops a pool whose worker failed. */
  dropPool(pool: WorkerPool): Promise<void>;
  meanError(data: Images, count: number, labels?: Uint8Array): number;
}

export interface FitJob {
  images: Images;
  labels?: Uint8Array;
  count: number;
  batch: number;
  kind: DataKind;
  epochs: number;
  shuffle: boolean;
  corruption: Corruption;
  validation?: { data: Images; count: number; labels?: Uint8Array };
  options: FitOptions;
}

/** Checks fit's arguments; every error names the argument. */
export function fitJob(engine: Engine, bceRange: boolean, data: ImagesInput, options: FitOptions): FitJob {
  if (typeof options !== 'object' || options === null) throw argError(FN, 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!FIT_KEYS.includes(key)) throw new Error(`${FN}: unknown option ${key}; known options are ${FIT_KEYS.join(', ')}`);
  }
  const { data: images, count } = imagesOf(data, FN, 'data', engine.spec.imageSize, bceRange ? [0, 1] : undefined);
  const epochs = options.epochs ?? 1;
  if (!isPositiveInteger(epochs, 1e6)) throw argError(FN, 'epochs', 'a positive integer', epochs);
  const batchSize = options.batchSize ?? 32;
  if (!isPositiveInteger(batchSize, 1 << 16)) throw argError(FN, 'batchSize', 'an integer in [1, 65536]', batchSize);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw argError(FN, 'shuffle', 'true or false', shuffle);
  const classes = engine.spec.classes;
  const labels = labelsOf(data, count, classes, FN, 'data');
  const validation = options.validation === undefined ? undefined : (() => {
    const v = imagesOf(options.validation!, FN, 'validation', engine.spec.imageSize);
    return { ...v, labels: labelsOf(options.validation, v.count, classes, FN, 'validation') };
  })();
  const corruption = noiseOf(options.noise);
  for (const cb of ['onEpochEnd', 'onBatchEnd'] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== 'function') throw argError(FN, cb, 'a function', options[cb]);
  }
  const { signal } = options;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw argError(FN, 'signal', 'an AbortSignal', signal);
  signal?.throwIfAborted();
  const kind: DataKind = images instanceof Uint8Array ? 'u8' : 'f32';
  return { images, labels, count, batch: Math.min(batchSize, count), kind, epochs, shuffle, corruption, validation, options };
}

export async function runFit(host: FitHost, job: FitJob): Promise<History> {
  const engine = host.engine();
  engine.corruption = job.corruption;
  try {
    return host.threads > 1 ? await fitThreads(host, job) : await fitHere(host, job);
  } finally {
    engine.corruption = { kind: 0, level: 0 };
  }
}

function shuffled(host: FitHost, order: Uint32Array, shuffle: boolean): Uint32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (shuffle) host.shuffler.shuffle(order);
  return order;
}

/** One thread, in the caller. */
async function fitHere(host: FitHost, job: FitJob): Promise<History> {
  const { images, labels, count, batch, kind, epochs, shuffle, validation, options } = job;
  const engine = host.engine();
  engine.plan({ ...inferencePlan(1, validation?.data instanceof Float32Array ? 'f32' : 'u8'), batchSize: batch, datasetRows: batch, datasetKind: kind });
  const identity = new Uint32Array(batch);
  for (let i = 0; i < batch; i++) identity[i] = i;
  const order = new Uint32Array(count);
  const history: History = { epochs: [] };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffled(host, order, shuffle);
    engine.setOrder(identity); // stored rows 0…batch-1, restaged before every step
    const steps = epochSteps(engine, 0, 1, { epoch, batchSize: batch, count, step: engine.step, seed: engine.seed, corruption: job.corruption }, {
      stage: (start, rows) => {
        if (host.disposed) throw new Error(`${FN}: the model was disposed during fit`);
        engine.stageBatch(images, order, start, rows, labels);
        return 0;
      },
      stepped: (log) => options.onBatchEnd?.(log),
    });
    let lastYield = performance.now();
    let r = steps.next();
    while (!r.done) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      r = steps.next(options.signal?.aborted ?? false);
    }
    endOrThrow(r.value, epoch, options.signal?.reason);
    await endEpoch(host, job, history, epoch, r.value.lossSum, r.value.seconds);
  }
  return history;
}

/** Worker threads: each epoch runs in every thread; this one relays progress, shuffles, and
 *  validates between epochs. */
async function fitThreads(host: FitHost, job: FitJob): Promise<History> {
  const { images, labels, count, batch, kind, epochs, shuffle, validation, options } = job;
  const engine = host.engine();
  const pool = await host.workers();
  const layout = engine.plan({
    batchSize: batch, datasetRows: count, datasetKind: kind, workspaces: host.threads,
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
  const onAbort = (): void => stop(options.signal!.reason ?? new Error(`${FN}: aborted`));
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
      engine.setOrder(shuffled(host, order, shuffle));
      const end = await pool.fitEpoch(engine, {
        layout, step: engine.step, epoch, batchSize: batch, count, reportBatches: options.onBatchEnd !== undefined,
        seed: engine.seed, corruption: job.corruption,
      }, onReport);
      engine.step = end.step;
      endOrThrow(end, epoch, stopReason);
      await endEpoch(host, job, history, epoch, end.lossSum, end.seconds);
    }
    return history;
  } catch (error) {
    if (pool.broken) {
      // The last completed step's weights are intact in its bank; rebuild what depends on them.
      engine.step = pool.stepsDone(layout);
      engine.refreshTransposed();
      await host.dropPool(pool);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function endOrThrow(end: { outcome: EpochEnd['outcome'] | 'fault'; loss?: number; batch?: number }, epoch: number, stopReason: unknown): void {
  // (A worker's fault rejects fitEpoch before an end report could say 'fault'.)
  if (end.outcome === 'diverged') {
    throw new Error(`${FN}: the loss became ${end.loss} at epoch ${epoch}, batch ${end.batch}; the weights are kept from the last good step (a lower optimizer.learningRate may help)`);
  }
  if (end.outcome === 'stopped') throw stopReason ?? new Error(`${FN}: stopped`);
}

/** An epoch's log (with validation), its callback, and a turn of the event loop. */
async function endEpoch(host: FitHost, job: FitJob, history: History, epoch: number, lossSum: number, seconds: number): Promise<void> {
  const { count, validation, options } = job;
  const log: EpochLog = { epoch, loss: lossSum / count, seconds, samplesPerSec: count / seconds };
  if (validation) {
    const mse = host.meanError(validation.data, validation.count, validation.labels);
    Object.assign(log, { valMse: mse, valPsnr: 10 * Math.log10(1 / mse) });
  }
  history.epochs.push(log);
  options.onEpochEnd?.(log);
  await yieldToEventLoop();
  options.signal?.throwIfAborted();
}

function noiseOf(noise: unknown): Corruption {
  if (noise === undefined) return { kind: 0, level: 0 };
  if (typeof noise !== 'object' || noise === null) throw argError(FN, 'noise', "an object { type, level }", noise);
  const { type, level, ...rest } = noise as NoiseOptions;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`${FN}: unknown option noise.${unknown[0]}; known options are type, level`);
  if (!(type in NOISE_KINDS)) throw argError(FN, 'noise.type', "'gaussian', 'masking' or 'saltAndPepper'", type);
  const max = type === 'gaussian' ? 10 : 1;
  if (typeof level !== 'number' || !(level >= 0 && level <= max)) throw argError(FN, 'noise.level', `a number in [0, ${max}]`, level);
  return { kind: NOISE_KINDS[type], level };
}
