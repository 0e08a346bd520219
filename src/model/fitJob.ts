// fit's arguments checked once, before any step: the options, where the rows come from (the
// caller's array, a stored Dataset, or a stream of chunks) and the validation rows, the noise,
// early stopping and the schedule, as a FitJob that fit.ts runs.
import { NO_CORRUPTION, type Corruption, type Engine } from '../engine/engine.js';
import { NOISE_CODES } from '../engine/codes.js';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { imagesOf, labelsOf, type Images, type ImagesInput } from './inputs.js';
import { isPositiveInteger } from './options.js';
import type { EarlyStoppingOptions, FitOptions, FitWarning, LearningRateSchedule, NoiseOptions } from './types.js';
import { earlyStoppingOf, scheduleOf } from './control.js';
import { Dataset, isChunks, type DataStore, type ImageChunks, type StoredRows } from './dataset.js';

export const FN = 'Autoencoder.fit';
/** fit's defaults, the same as Keras's `fit` (also the CLI's `train` defaults): one pass over the
 *  data in steps of 32 images. */
export const fitDefaults: Readonly<{ epochs: number; batchSize: number }> = Object.freeze({ epochs: 1, batchSize: 32 });

const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'validation',
  'validationSplit',
  'onEpochEnd',
  'onBatchEnd',
  'onWarning',
  'signal',
  'noise',
  'earlyStopping',
  'learningRateSchedule',
  'shuffleBuffer',
];
/** Float pixels fit takes: the output's range, which the loss compares them with. */
export const PIXELS: [number, number] = [0, 1];

/** Where a fit's rows come from. */
export type FitSource =
  | { type: 'array'; images: Images; labels?: Uint8Array; count: number }
  | { type: 'stored'; rows: StoredRows; count: number }
  | { type: 'stream'; chunks: ImageChunks; bufferRows?: number };

/** Validation rows: the caller's array, or rows [from, from + count) of a stored data set. */
export type ValidationSource =
  | { type: 'array'; data: Images; count: number; labels?: Uint8Array }
  | { type: 'stored'; rows: StoredRows; from: number; count: number };

export interface FitJob {
  source: FitSource;
  /** Rows per step: batchSize, or fewer when the data set has fewer. */
  batch: number;
  epochs: number;
  shuffle: boolean;
  corruption: Corruption;
  validation?: ValidationSource;
  earlyStopping?: Required<EarlyStoppingOptions>;
  schedule: LearningRateSchedule | undefined;
  options: FitOptions;
}

/** Checks fit's arguments; every error names the argument. */
export function fitJob(
  engine: Engine,
  store: DataStore,
  data: ImagesInput | Dataset | ImageChunks,
  options: FitOptions,
): FitJob {
  if (typeof options !== 'object' || options === null) throw argError(FN, 'options', 'an object', options);
  rejectUnknownOptions(FN, options, FIT_KEYS);
  if (store.building) throw new Error(`${FN}: a dataset() of this model is still reading its chunks; await it first`);
  const epochs = options.epochs ?? fitDefaults.epochs;
  if (!isPositiveInteger(epochs, 1e6)) throw argError(FN, 'epochs', 'a positive integer', epochs);
  const batchSize = options.batchSize ?? fitDefaults.batchSize;
  if (!isPositiveInteger(batchSize, 1 << 16)) throw argError(FN, 'batchSize', 'an integer in [1, 65536]', batchSize);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw argError(FN, 'shuffle', 'true or false', shuffle);
  const classes = engine.spec.classes,
    size = engine.spec.imageSize;
  let source: FitSource;
  let validation: ValidationSource | undefined;
  const split = options.validationSplit;
  if (split !== undefined) {
    if (options.validation !== undefined) throw new Error(`${FN}: give validation or validationSplit, not both`);
    if (typeof split !== 'number' || !(split > 0 && split < 1))
      throw argError(FN, 'validationSplit', 'a number in (0, 1)', split);
  }
  /** As Keras: the rows from ⌊n·(1 − f)⌋ on, before any shuffling. */
  const splitAt = (total: number): number => {
    const count = Math.floor(total * (1 - split!));
    if (count < 1 || count >= total)
      throw new Error(
        `${FN}: validationSplit ${split} of ${total} images leaves ${count} to train on and ${total - count} to validate; each needs at least one`,
      );
    return count;
  };
  if (data instanceof Dataset) {
    const rows = Dataset.entryOf(data, store, FN, 'data');
    const count = split !== undefined ? splitAt(rows.count) : rows.count;
    source = { type: 'stored', rows, count };
    if (split !== undefined) validation = { type: 'stored', rows, from: count, count: rows.count - count };
  } else if (isChunks(data)) {
    if (split !== undefined)
      throw new Error(`${FN}: validationSplit needs the data in memory; with a stream give validation images instead`);
    source = { type: 'stream', chunks: data };
    if (options.shuffleBuffer !== undefined) {
      if (!isPositiveInteger(options.shuffleBuffer, 1 << 24))
        throw argError(FN, 'shuffleBuffer', 'an integer in [1, 16777216] (rows)', options.shuffleBuffer);
      source.bufferRows = options.shuffleBuffer;
    }
  } else {
    const { data: all, count: total } = imagesOf(data, FN, 'data', size, PIXELS);
    const allLabels = labelsOf(data, total, classes, FN, 'data');
    if (split !== undefined) {
      const count = splitAt(total);
      source = { type: 'array', images: all.subarray(0, count * size), labels: allLabels?.subarray(0, count), count };
      validation = {
        type: 'array',
        data: all.subarray(count * size),
        count: total - count,
        labels: allLabels?.subarray(count),
      };
    } else {
      source = { type: 'array', images: all, labels: allLabels, count: total };
    }
  }
  if (options.shuffleBuffer !== undefined && source.type !== 'stream') {
    throw new Error(
      `${FN}: shuffleBuffer is for data given as a stream of chunks; this data is in memory and is shuffled whole`,
    );
  }
  if (options.validation !== undefined) {
    if (options.validation instanceof Dataset) {
      const rows = Dataset.entryOf(options.validation, store, FN, 'validation');
      validation = { type: 'stored', rows, from: 0, count: rows.count };
    } else {
      const v = imagesOf(options.validation, FN, 'validation', size, PIXELS);
      validation = { type: 'array', ...v, labels: labelsOf(options.validation, v.count, classes, FN, 'validation') };
    }
  }
  const corruption = noiseOf(options.noise);
  for (const cb of ['onEpochEnd', 'onBatchEnd'] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== 'function')
      throw argError(FN, cb, 'a function', options[cb]);
  }
  const { signal } = options;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal))
    throw argError(FN, 'signal', 'an AbortSignal', signal);
  signal?.throwIfAborted();
  const earlyStopping = earlyStoppingOf(options.earlyStopping, validation !== undefined);
  const schedule = scheduleOf(options.learningRateSchedule, validation !== undefined, epochs);
  const batch = source.type === 'stream' ? batchSize : Math.min(batchSize, source.count);
  const warn = options.onWarning ?? ((message: string): void => console.warn(message));
  if (typeof warn !== 'function') throw argError(FN, 'onWarning', 'a function', warn);
  if (source.type !== 'stream') {
    const warning = fewStepsWarning(source.count, batchSize);
    if (warning !== null) warn(warning.message, warning);
  }
  return { source, batch, epochs, shuffle, corruption, validation, earlyStopping, schedule, options };
}

/** Fewer steps per epoch than this and fit warns: each step is one update of the weights, so an
 *  epoch of a handful of steps teaches the model almost nothing (200 images at batch 256 made
 *  every reconstruction the same blurry digit, with no word said). */
export const MIN_EPOCH_STEPS = 10;

/** The warning for an epoch of fewer than MIN_EPOCH_STEPS steps (as the epoch loop counts them:
 *  a last partial batch is a step), or null. */
export function fewStepsWarning(images: number, batchSize: number): FitWarning | null {
  const steps = Math.ceil(images / batchSize);
  if (steps >= MIN_EPOCH_STEPS) return null;
  const suggestedBatchSize = Math.max(1, Math.floor(images / MIN_EPOCH_STEPS));
  const message =
    `${FN}: an epoch of ${images} images at batchSize ${batchSize} is ${steps} step${steps === 1 ? '' : 's'} ` +
    `(each step updates the weights once); for at least ${MIN_EPOCH_STEPS} steps an epoch, use batchSize ≤ ${suggestedBatchSize}, or many more epochs`;
  return { code: 'fewSteps', message, images, batchSize, steps, suggestedBatchSize };
}

function noiseOf(noise: unknown): Corruption {
  if (noise === undefined) return NO_CORRUPTION;
  if (typeof noise !== 'object' || noise === null) throw argError(FN, 'noise', 'an object { type, level }', noise);
  rejectUnknownOptions(FN, noise, ['type', 'level'], 'noise.', 'noise');
  const { type, level } = noise as NoiseOptions;
  if (type !== 'gaussian' && type !== 'masking' && type !== 'saltAndPepper')
    throw argError(FN, 'noise.type', "'gaussian', 'masking' or 'saltAndPepper'", type);
  const max = type === 'gaussian' ? 10 : 1;
  if (typeof level !== 'number' || !(level >= 0 && level <= max))
    throw argError(FN, 'noise.level', `a number in [0, ${max}]`, level);
  return { kind: NOISE_CODES[type], level };
}
