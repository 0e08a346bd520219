// fit(): its options checked once (fitJob.ts), then the epochs. The rows come from one of three places: a
// Dataset kept in the model's memory (trained on in place), the caller's array (one thread copies
// each shuffled batch from it just before its step, so the set is never held twice; threads copy
// it into the shared memory once per call), or a stream of chunks (model/stream.ts: a shuffle
// buffer in the memory, trained in segments). One thread steps engine/epoch.ts's generator in the
// caller; with threads every thread, the caller's too, steps it under barriers (runners.ts). Every epoch
// ends the same way: the log, validation, the callback, a turn of the event loop.
import { NO_CORRUPTION, type DataKind, type Engine, type Layout, type LayoutRequest } from '../engine/engine.js';
import type { EpochEnd } from '../engine/epoch.js';
import { runnerFor, type EpochEndLike } from './runners.js';
import type { WorkerPool } from '../parallel/pool.js';
import type { Prng } from '../util/prng.js';
import { argError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';
import { imagesOf, labelsOf, type Images, type ImagesInput } from './inputs.js';
import { INFER_ROWS } from './setup.js';
import type { EpochLog, History } from './types.js';
import { EarlyStopper, LearningRates } from './control.js';
import type { DataStore, ImageChunks } from './dataset.js';
import { FN, PIXELS, type FitJob, type FitSource, type ValidationSource } from './fitJob.js';
import { streamEpoch, streamPlan } from './stream.js';

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
  /** The model's stored data sets. */
  readonly store: DataStore;
}

export async function runFit(host: FitHost, job: FitJob): Promise<History> {
  const engine = host.engine();
  const base = engine.optimizer;
  engine.corruption = job.corruption;
  const history: History = { epochs: [] };
  host.history = history;
  const run: FitRun = {
    job,
    history,
    rates: new LearningRates(base.learningRate, job.schedule),
    stopper: job.earlyStopping ? new EarlyStopper(job.earlyStopping) : null,
  };
  try {
    if (job.source.type === 'stream') await fitStream(host, run, job.source);
    else await fitInMemory(host, run, job.source);
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
      host.engine().corruption = NO_CORRUPTION;
      host.engine().optimizer = base;
    }
  }
}

/** One fit in progress: its job, the History so far, and the callbacks' state. */
export interface FitRun {
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

/** What every plan of a fit asks besides its data set: the batch, the threads' workspaces, the
 *  inference regions for validation rows, and the store. */
function fitRequest(host: FitHost, run: FitRun): Omit<LayoutRequest, 'datasetRows' | 'datasetKind'> {
  const v = run.job.validation;
  const inferKind: DataKind =
    v === undefined ? 'u8' : v.type === 'stored' ? v.rows.kind : v.data instanceof Float32Array ? 'f32' : 'u8';
  return {
    batchSize: run.job.batch,
    workspaces: host.threads,
    inferRows: INFER_ROWS,
    inferKind,
    storeBytes: host.store.storeBytes,
  };
}

/** A data set in memory: the caller's array or a stored one. */
async function fitInMemory(
  host: FitHost,
  run: FitRun,
  source: Extract<FitSource, { type: 'array' | 'stored' }>,
): Promise<void> {
  const { batch, epochs, shuffle } = run.job;
  const engine = host.engine();
  const { count } = source;
  // One thread stages each batch from the caller's array at rows 0…batch-1 (identity order);
  // otherwise the epoch's order indexes the whole set, stored here or kept in the store.
  const staged = source.type === 'array' && host.threads === 1;
  const request = fitRequest(host, run);
  let layout: Layout;
  if (source.type === 'stored') {
    layout = engine.plan(
      {
        ...request,
        datasetRows: count,
        datasetKind: source.rows.kind,
        stored: { images: source.rows.images, labels: source.rows.labels },
      },
      FN,
    );
  } else {
    const kind: DataKind = source.images instanceof Uint8Array ? 'u8' : 'f32';
    layout = engine.plan({ ...request, datasetRows: staged ? batch : count, datasetKind: kind }, FN);
    if (!staged) engine.storeRows(source.images, 0, count, 0, source.labels);
  }
  const identity = new Uint32Array(batch);
  for (let i = 0; i < batch; i++) identity[i] = i;
  const order = new Uint32Array(count);
  const runner = await runnerFor(host, run, layout);
  try {
    for (let e = 0; e < epochs; e++) {
      const epoch = host.epochs + 1,
        learningRate = run.rates.at(e);
      shuffled(host, order, shuffle);
      const live = host.engine();
      live.setOrder(staged ? identity : order);
      const stage =
        staged && source.type === 'array'
          ? (start: number, rows: number): number => {
              live.stageBatch(source.images, order, start, rows, source.labels);
              return 0;
            }
          : undefined;
      const end = await runner.epoch({ count, epoch, learningRate, stage });
      endOrThrow(end, epoch, runner.stopReason());
      if (await endEpoch(host, run, epoch, end.lossSum, end.seconds, learningRate, count)) return;
    }
  } catch (error) {
    await runner.failed();
    throw error;
  } finally {
    runner.close();
  }
}

/** A stream of chunks, read again each epoch, through a shuffle buffer in the model's memory. */
async function fitStream(host: FitHost, run: FitRun, source: Extract<FitSource, { type: 'stream' }>): Promise<void> {
  const { batch, epochs, shuffle } = run.job;
  const engine = host.engine();
  const { chunks } = source;
  const size = engine.spec.imageSize,
    classes = engine.spec.classes;
  let iterator = iteratorOf(chunks, 1, null);
  let open = true;
  let peeked: IteratorResult<ImagesInput> | null = await iterator.next();
  try {
    if (peeked.done) throw new Error(`${FN}: data (a stream) gave no images`);
    let kind: DataKind = 'u8';
    const rowsOf = (chunk: ImagesInput, k: number): { data: Images; count: number; labels?: Uint8Array } => {
      const arg = `data (chunk ${k})`;
      const { data, count } = imagesOf(chunk, FN, arg, size, PIXELS);
      const got: DataKind = data instanceof Uint8Array ? 'u8' : 'f32';
      if (got !== kind)
        throw new Error(
          `${FN}: ${arg} holds ${got === 'u8' ? 'bytes' : 'floats'}, the stream's first chunk ${kind === 'u8' ? 'bytes' : 'floats'}; a stream holds one kind`,
        );
      return { data, count, labels: labelsOf(chunk, count, classes, FN, arg) };
    };
    const first = imagesOf(peeked.value, FN, 'data (chunk 0)', size, PIXELS).data;
    kind = first instanceof Uint8Array ? 'u8' : 'f32';
    const plan = streamPlan(batch, shuffle, size * (kind === 'u8' ? 1 : 4), source.bufferRows);
    const layout = engine.plan(
      { ...fitRequest(host, run), datasetRows: plan.bufferRows + plan.segmentRows, datasetKind: kind },
      FN,
    );
    const runner = await runnerFor(host, run, layout);
    const declared = chunks.count;
    const batches =
      typeof declared === 'number' && Number.isInteger(declared) && declared > 0 ? Math.ceil(declared / batch) : 0;
    try {
      for (let e = 0; e < epochs; e++) {
        const epoch = host.epochs + 1,
          learningRate = run.rates.at(e);
        if (e > 0) {
          iterator = iteratorOf(chunks, epoch, iterator);
          open = true;
          peeked = null;
        }
        const live = host.engine();
        const started = performance.now();
        let lossSum = 0,
          batchBase = 0;
        let last: EpochEndLike | null = null;
        const rows = await streamEpoch(plan, shuffle, host.shuffler, {
          next: async () => {
            const r = peeked ?? (await iterator.next());
            peeked = null;
            if (r.done) open = false;
            return r;
          },
          rows: rowsOf,
          write: (slot, data, row, labels) => live.storeRows(data, row, 1, slot, labels),
          train: async (order) => {
            live.setOrder(order);
            last = await runner.epoch({ count: order.length, epoch, learningRate, batchBase, batches });
            batchBase += Math.ceil(order.length / batch);
            lossSum += last.lossSum;
            return last.outcome === 'done';
          },
        });
        if (last !== null) endOrThrow(last, epoch, runner.stopReason());
        if (rows === 0) throw new Error(`${FN}: data (a stream) gave no images in epoch ${epoch}`);
        const seconds = (performance.now() - started) / 1000;
        if (await endEpoch(host, run, epoch, lossSum, seconds, learningRate, rows)) return;
      }
    } catch (error) {
      await runner.failed();
      throw error;
    } finally {
      runner.close();
    }
  } finally {
    if (open) await iterator.return?.();
  }
}

/** A fresh pass over `chunks` for `epoch`; refuses a one-shot iterator (an async generator hands
 *  itself out again, spent) with an error that says what to pass instead. */
function iteratorOf(
  chunks: ImageChunks,
  epoch: number,
  previous: AsyncIterator<ImagesInput> | null,
): AsyncIterator<ImagesInput> {
  const iterator = chunks[Symbol.asyncIterator]();
  if (typeof iterator !== 'object' || iterator === null || typeof iterator.next !== 'function') {
    throw argError(
      FN,
      'data',
      'an async iterable of image chunks whose [Symbol.asyncIterator]() gives an iterator',
      iterator,
    );
  }
  if (iterator === previous) {
    throw new Error(
      `${FN}: data can be read only once (an async generator?) and epoch ${epoch} needs it again; ` +
        'pass an object whose [Symbol.asyncIterator]() starts a new pass (as streamIdx gives), or call fit once per epoch with a new stream',
    );
  }
  return iterator;
}

function endOrThrow(
  end: { outcome: EpochEnd['outcome'] | 'fault'; loss?: number; batch?: number; weights?: boolean },
  epoch: number,
  stopReason: unknown,
): void {
  // (A worker's fault rejects fitEpoch before an end report could say 'fault'.)
  if (end.outcome === 'diverged') {
    const what = end.weights
      ? `the update gave non-finite weights (its loss was ${end.loss})`
      : `the loss became ${end.loss}`;
    throw new Error(
      `${FN}: ${what} at epoch ${epoch}, batch ${end.batch}; the weights are kept from the last good step (a lower optimizer.learningRate may help)`,
    );
  }
  if (end.outcome === 'stopped') throw stopReason ?? new Error(`${FN}: stopped`);
}

/** An epoch's log (with validation), early stopping, the schedule, the callback, and a turn of
 *  the event loop. Returns whether training stops here. */
async function endEpoch(
  host: FitHost,
  run: FitRun,
  epoch: number,
  lossSum: number,
  seconds: number,
  learningRate: number,
  count: number,
): Promise<boolean> {
  const { validation, options } = run.job;
  const log: EpochLog = { epoch, loss: lossSum / count, learningRate, seconds, samplesPerSec: count / seconds };
  if (validation) {
    const { mse, loss } = validate(host, validation);
    Object.assign(log, { valMse: mse, valPsnr: 10 * Math.log10(1 / mse), valLoss: loss });
  }
  run.history.epochs.push(log);
  host.epochs = epoch;
  let stopBy: 'callback' | 'earlyStopping' | null = null;
  if (run.stopper?.observe(log, host.engine())) stopBy = 'earlyStopping';
  run.rates.observe(log);
  if (options.onEpochEnd) {
    const control = {
      stop: (): void => {
        stopBy ??= 'callback';
      },
    };
    const result = await host.between(() => options.onEpochEnd!(log, control));
    if (result === false) stopBy ??= 'callback';
  }
  await yieldToEventLoop();
  options.signal?.throwIfAborted();
  if (stopBy === null) return false;
  if (epoch < run.history.epochs[0].epoch + run.job.epochs - 1) run.history.stopped = { epoch, by: stopBy };
  return true;
}

/** Validation figures on rows of the caller's array or of a stored data set (viewed in place:
 *  the inference regions are planned for their kind first, so that no growth of the memory
 *  comes between taking the view and reading it). */
function validate(host: FitHost, v: ValidationSource): { mse: number; loss: number } {
  if (v.type === 'array') return host.validate(v.data, v.count, v.labels);
  const engine = host.engine();
  if (engine.layout.inferKind !== v.rows.kind || engine.layout.inferRows < INFER_ROWS) {
    engine.plan({ ...engine.layout, inferKind: v.rows.kind, inferRows: INFER_ROWS }, FN);
  }
  const { data, labels } = host.store.view(v.rows, engine, v.from, v.from + v.count);
  return host.validate(data, v.count, labels);
}
