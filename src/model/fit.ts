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
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';
import { imagesOf, labelsOf, type Images, type ImagesInput } from './inputs.js';
import { isPositiveInteger } from './options.js';
import { INFER_ROWS, inferencePlan } from './setup.js';
import type { EarlyStoppingOptions, EpochLog, FitOptions, History, LearningRateSchedule, NoiseOptions } from './types.js';
import { EarlyStopper, earlyStoppingOf, LearningRates, scheduleOf } from './control.js';

const FN = 'Autoencoder.fit';
const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validation', 'validationSplit', 'onEpochEnd', 'onBatchEnd', 'signal', 'noise',
  'earlyStopping', 'learningRateSchedule'];
const NOISE_KINDS = { gaussian: 1, masking: 2, saltAndPepper: 3 } as const;
/** Float pixels fit takes: the output's range, which the loss compares them with. */
const PIXELS: [number, number] = [0, 1];
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
  /** Validation figures of the model as it stands: reconstruction MSE and the training loss. */
  validate(data: Images, count: number, labels?: Uint8Array): { mse: number; loss: number };
  /** Epochs the model has trained; fit advances it after each one. */
  epochs: number;
  /** The History of the fit in progress (or the last), kept by the model. */
  history: History;
  /** Runs a callback with the model open to read-only calls. */
  between<T>(callback: () => T): Promise<Awaited<T>>;
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
  earlyStopping?: Required<EarlyStoppingOptions>;
  schedule: LearningRateSchedule | undefined;
  options: FitOptions;
}

/** Checks fit's arguments; every error names the argument. */
export function fitJob(engine: Engine, data: ImagesInput, options: FitOptions): FitJob {
  if (typeof options !== 'object' || options === null) throw argError(FN, 'options', 'an object', options);
  rejectUnknownOptions(FN, options, FIT_KEYS);
  const { data: all, count: total } = imagesOf(data, FN, 'data', engine.spec.imageSize, PIXELS);
  const epochs = options.epochs ?? 1;
  if (!isPositiveInteger(epochs, 1e6)) throw argError(FN, 'epochs', 'a positive integer', epochs);
  const batchSize = options.batchSize ?? 32;
  if (!isPositiveInteger(batchSize, 1 << 16)) throw argError(FN, 'batchSize', 'an integer in [1, 65536]', batchSize);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw argError(FN, 'shuffle', 'true or false', shuffle);
  const classes = engine.spec.classes, size = engine.spec.imageSize;
  const allLabels = labelsOf(data, total, classes, FN, 'data');
  let images = all, labels = allLabels, count = total;
  let validation: FitJob['validation'];
  if (options.validationSplit !== undefined) {
    const f = options.validationSplit;
    if (options.validation !== undefined) throw new Error(`${FN}: give validation or validationSplit, not both`);
    if (typeof f !== 'number' || !(f > 0 && f < 1)) throw argError(FN, 'validationSplit', 'a number in (0, 1)', f);
    // As Keras: the rows from ⌊n·(1 − f)⌋ on, before any shuffling.
    count = Math.floor(total * (1 - f));
    if (count < 1 || count >= total) throw new Error(`${FN}: validationSplit ${f} of ${total} images leaves ${count} to train on and ${total - count} to validate; each needs at least one`);
    images = all.subarray(0, count * size);
    labels = allLabels?.subarray(0, count);
    validation = { data: all.subarray(count * size), count: total - count, labels: allLabels?.subarray(count) };
  } else if (options.validation !== undefined) {
    const v = imagesOf(options.validation, FN, 'validation', size, PIXELS);
    validation = { ...v, labels: labelsOf(options.validation, v.count, classes, FN, 'validation') };
  }
  const corruption = noiseOf(options.noise);
  for (const cb of ['onEpochEnd', 'onBatchEnd'] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== 'function') throw argError(FN, cb, 'a function', options[cb]);
  }
  const { signal } = options;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw argError(FN, 'signal', 'an AbortSignal', signal);
  signal?.throwIfAborted();
  const earlyStopping = earlyStoppingOf(options.earlyStopping, validation !== undefined);
  const schedule = scheduleOf(options.learningRateSchedule, validation !== undefined, epochs);
  const kind: DataKind = images instanceof Uint8Array ? 'u8' : 'f32';
  return { images, labels, count, batch: Math.min(batchSize, count), kind, epochs, shuffle, corruption, validation, earlyStopping, schedule, options };
}


export async function runFit(host: FitHost, job: FitJob): Promise<History> {
  const engine = host.engine();
  const base = engine.optimizer;
  engine.corruption = job.corruption;
  const history: History = { epochs: [] };
  host.history = history;
  const run: FitRun = {
    job, history, rates: new LearningRates(base.learningRate, job.schedule),
    stopper: job.earlyStopping ? new EarlyStopper(job.earlyStopping) : null,
  };
  try {
    if (host.threads > 1) await fitThreads(host, run);
    else await fitHere(host, run);
    if (run.stopper) {
      history.bestEpoch = run.stopper.bestEpoch;
      const best = run.stopper.bestWeights;
      if (best && run.stopper.bestEpoch !== history.epochs[history.epochs.length - 1].epoch) {
        host.engine().params().set(best);
        host.engine().refreshTransposed();
      }
    }
    return history;
  } finally {
    if (!host.disposed) {
      host.engine().corruption = { kind: 0, level: 0 };
      host.engine().optimizer = base;
    }
  }
}

/** One fit in progress: its job, the History so far, and the callbacks' state. */
interface FitRun {
  job: FitJob;
  history: History;
  rates: LearningRates;
  stopper: EarlyStopper | null;
}

function shuffled(host: FitHost, order: Uint32Array, shuffle: boolean): Uint32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (shuffle) host.shuffler.shuffle(order);
  return order;
}

/** One thread, in the caller. */
async function fitHere(host: FitHost, run: FitRun): Promise<void> {
  const { images, labels, count, batch, kind, epochs, shuffle, validation, options } = run.job;
  const engine = host.engine();
  engine.plan({ ...inferencePlan(1, validation?.data instanceof Float32Array ? 'f32' : 'u8'), batchSize: batch, datasetRows: batch, datasetKind: kind }, FN);
  const identity = new Uint32Array(batch);
  for (let i = 0; i < batch; i++) identity[i] = i;
  const order = new Uint32Array(count);
  for (let e = 0; e < epochs; e++) {
    const epoch = host.epochs + 1, learningRate = run.rates.at(e);
    shuffled(host, order, shuffle);
    const live = host.engine();
    live.setOrder(identity); // stored rows 0…batch-1, restaged before every step
    const steps = epochSteps(live, 0, 1, { epoch, batchSize: batch, count, step: live.step, seed: live.seed, corruption: run.job.corruption, learningRate }, {
      stage: (start, rows) => {
        if (host.disposed) throw new Error(`${FN}: the model was disposed during fit`);
        live.stageBatch(images, order, start, rows, labels);
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
    if (await endEpoch(host, run, epoch, r.value.lossSum, r.value.seconds, learningRate)) return;
  }
}

/** Worker threads: each epoch runs in every thread; this one relays progress, shuffles, and
 *  validates between epochs. */
async function fitThreads(host: FitHost, run: FitRun): Promise<void> {
  const { images, labels, count, batch, kind, epochs, shuffle, validation, options } = run.job;
  const engine = host.engine();
  const pool = await host.workers();
  const layout = engine.plan({
    batchSize: batch, datasetRows: count, datasetKind: kind, workspaces: host.threads,
    inferRows: INFER_ROWS, inferKind: validation?.data instanceof Float32Array ? 'f32' : 'u8',
  }, FN);
  engine.storeRows(images, 0, count, 0, labels);
  pool.beginFit(layout, engine.step);
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
    for (let e = 0; e < epochs; e++) {
      const epoch = host.epochs + 1, learningRate = run.rates.at(e);
      const live = host.engine();
      live.setOrder(shuffled(host, order, shuffle));
      const end = await pool.fitEpoch(live, {
        layout, step: live.step, epoch, batchSize: batch, count, reportBatches: options.onBatchEnd !== undefined,
        seed: live.seed, corruption: run.job.corruption, learningRate,
      }, onReport);
      live.step = end.step;
      endOrThrow(end, epoch, stopReason);
      if (await endEpoch(host, run, epoch, end.lossSum, end.seconds, learningRate)) return;
    }
  } catch (error) {
    if (pool.broken && !host.disposed) {
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

function endOrThrow(end: { outcome: EpochEnd['outcome'] | 'fault'; loss?: number; batch?: number; weights?: boolean }, epoch: number, stopReason: unknown): void {
  // (A worker's fault rejects fitEpoch before an end report could say 'fault'.)
  if (end.outcome === 'diverged') {
    const what = end.weights ? `the update gave non-finite weights (its loss was ${end.loss})` : `the loss became ${end.loss}`;
    throw new Error(`${FN}: ${what} at epoch ${epoch}, batch ${end.batch}; the weights are kept from the last good step (a lower optimizer.learningRate may help)`);
  }
  if (end.outcome === 'stopped') throw stopReason ?? new Error(`${FN}: stopped`);
}

/** An epoch's log (with validation), early stopping, the schedule, the callback, and a turn of
 *  the event loop. Returns whether training stops here. */
async function endEpoch(host: FitHost, run: FitRun, epoch: number, lossSum: number, seconds: number, learningRate: number): Promise<boolean> {
  const { count, validation, options } = run.job;
  const log: EpochLog = { epoch, loss: lossSum / count, learningRate, seconds, samplesPerSec: count / seconds };
  if (validation) {
    const { mse, loss } = host.validate(validation.data, validation.count, validation.labels);
    Object.assign(log, { valMse: mse, valPsnr: 10 * Math.log10(1 / mse), valLoss: loss });
  }
  run.history.epochs.push(log);
  host.epochs = epoch;
  let stopBy: 'callback' | 'earlyStopping' | null = null;
  if (run.stopper?.observe(log, host.engine())) stopBy = 'earlyStopping';
  run.rates.observe(log);
  if (options.onEpochEnd) {
    const control = { stop: (): void => { stopBy ??= 'callback'; } };
    const result = await host.between(() => options.onEpochEnd!(log, control));
    if (result === false) stopBy ??= 'callback';
  }
  await yieldToEventLoop();
  options.signal?.throwIfAborted();
  if (stopBy === null) return false;
  if (epoch < run.history.epochs[0].epoch + run.job.epochs - 1) run.history.stopped = { epoch, by: stopBy };
  return true;
}

function noiseOf(noise: unknown): Corruption {
  if (noise === undefined) return { kind: 0, level: 0 };
  if (typeof noise !== 'object' || noise === null) throw argError(FN, 'noise', "an object { type, level }", noise);
  rejectUnknownOptions(FN, noise, ['type', 'level'], 'noise.', 'noise');
  const { type, level } = noise as NoiseOptions;
  if (!(type in NOISE_KINDS)) throw argError(FN, 'noise.type', "'gaussian', 'masking' or 'saltAndPepper'", type);
  const max = type === 'gaussian' ? 10 : 1;
  if (typeof level !== 'number' || !(level >= 0 && level <= max)) throw argError(FN, 'noise.level', `a number in [0, ${max}]`, level);
  return { kind: NOISE_KINDS[type], level };
}
