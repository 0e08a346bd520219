// The public model's option and result types, shared by its parts.
import type { KernelBuildName, KernelSource } from '../runtime/wasm.js';
import type { ImagesInput } from './inputs.js';
import type { Dataset } from './dataset.js';
import type { BatchLog } from '../engine/epoch.js';

export type { BatchLog };

export interface EpochLog {
  /** 1-based, counted over the model's life: a fit that continues a model trained for 5 epochs
   *  starts at 6 (a model file keeps the count). */
  epoch: number;
  /** Mean training loss over the epoch's examples. */
  loss: number;
  /** With validation data: reconstruction MSE and PSNR (dB), and the loss the model trains on
   *  (for 'mse' without a variational code it equals valMse; a variational model's uses the code's
   *  mean, so it is the deterministic part of the training loss). */
  valMse?: number;
  /** See valMse. */
  valPsnr?: number;
  /** See valMse. */
  valLoss?: number;
  /** The learning rate this epoch trained with (a schedule may change it). */
  learningRate: number;
  /** Training time of the epoch (without validation), and its throughput. */
  seconds: number;
  /** Training images per second this epoch (wall clock, validation excluded). */
  samplesPerSec: number;
}

/** What an onEpochEnd callback may do besides reading the log. */
export interface EpochControl {
  /** Ends the fit after this epoch; fit resolves with the History (as returning false does). */
  stop(): void;
}

/** Learning-rate schedules, applied per epoch and counted from the first epoch of the fit call;
 *  the model's own optimizer.learningRate (the base) is left as it is. */
export type LearningRateSchedule =
  /** base · factor^⌊e / every⌋ for the fit's epoch e = 0, 1, … */
  | { type: 'step'; every: number; factor: number }
  /** From base down to minLearningRate (default 0) along half a cosine over `epochs` epochs
   *  (default: the fit's), then flat. */
  | { type: 'cosine'; epochs?: number; minLearningRate?: number }
  /** Multiplies the rate by `factor` (default 0.1) once `monitor` (default 'valLoss' with
   *  validation data, else 'loss') has not improved by more than minDelta (default 1e-4) for
   *  `patience` epochs (default 10), then waits `cooldown` epochs (default 0); never below
   *  minLearningRate (default 0). As Keras's ReduceLROnPlateau. */
  | {
      type: 'reduceOnPlateau';
      monitor?: 'valLoss' | 'loss';
      factor?: number;
      patience?: number;
      minDelta?: number;
      cooldown?: number;
      minLearningRate?: number;
    };

/** Stops a fit once `monitor` stops improving, as Keras's EarlyStopping. */
export interface EarlyStoppingOptions {
  /** 'valLoss' (default; needs validation or validationSplit) or 'loss'. */
  monitor?: 'valLoss' | 'loss';
  /** Epochs without improvement before stopping; 0 (default) stops at the first. */
  patience?: number;
  /** An improvement is a drop of more than this (default 0). */
  minDelta?: number;
  /** At the end, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
}

export interface FitOptions {
  /** Epochs to train (default 1). */
  epochs?: number;
  /** Images per optimizer step (default 32; at most the number of images). */
  batchSize?: number;
  /** Reshuffle the order every epoch (default true), from the model's seed. */
  shuffle?: boolean;
  /** For data given as a stream: rows of the shuffle buffer (default: as many as fit in 32 MiB,
   *  42,799 MNIST digits as bytes). The first rows fill it; then each arriving row sends a row drawn
   *  from it into training and takes its place; at the end of the stream the rest go in a shuffled
   *  order. A buffer at least as large as the stream gives exactly an in-memory fit's order. */
  shuffleBuffer?: number;
  /** Images to report valMse, valPsnr and valLoss on after each epoch (a Dataset of this model
   *  is read in place). */
  validation?: ImagesInput | Dataset;
  /** Instead of `validation`: hold out this fraction (0 < f < 1) of `data`, its last rows (as
   *  Keras, before any shuffling), and validate on it (not for streams). */
  validationSplit?: number;
  /**
   * After each epoch, with its log. The model may be used read-only here: evaluate, encode,
   * decode, reconstruct, save (a checkpoint) and the other inference calls work; fit and dispose
   * do not. Return false (or call control.stop()) to end training after this epoch: fit then
   * resolves with the History. A returned promise is awaited before the next epoch.
   */
  onEpochEnd?: (log: EpochLog, control: EpochControl) => unknown;
  /** After each step, with its loss (with threads, relayed after the step: the model is busy). */
  onBatchEnd?: (log: BatchLog) => void;
  /** Called with a warning instead of console.warn: fit warns when an epoch makes fewer than 10
   *  steps (images / batchSize), since each step updates the weights once. */
  onWarning?: (message: string, warning: FitWarning) => void;
  /** Aborting stops training after the step in progress; fit then rejects with the signal's
   *  reason (the epochs completed so far stay in `ae.history`). */
  signal?: AbortSignal;
  /** Denoising: corrupt each input this way (fresh noise every step) and learn to give back the
   *  clean image. gaussian: x + level·N(0, 1); masking: each value zeroed with probability level;
   *  saltAndPepper: each value set to 0 or 1 with probability level. */
  noise?: NoiseOptions;
  /** Stop when the monitored loss stops improving. */
  earlyStopping?: EarlyStoppingOptions;
  /** Change the learning rate between epochs. */
  learningRateSchedule?: LearningRateSchedule;
}

/** A warning of fit's, as `onWarning` receives it besides its message. */
export interface FitWarning {
  /** 'fewSteps': an epoch makes fewer than 10 steps; the model learns little per epoch. */
  code: 'fewSteps';
  /** The text console.warn would print. */
  message: string;
  /** Images per epoch, the batch size asked, and the steps an epoch makes (⌈images / batchSize⌉). */
  images: number;
  batchSize: number;
  steps: number;
  /** The largest batch size that gives 10 steps an epoch (at least 1). */
  suggestedBatchSize: number;
}

/** Input corruption for denoising training (fit's `noise`). */
export interface NoiseOptions {
  /** gaussian: x + level·N(0, 1) (not clipped); masking: each value zeroed with probability
   *  level; saltAndPepper: each value set to 0 or 1 (even odds) with probability level. */
  type: 'gaussian' | 'masking' | 'saltAndPepper';
  /** The standard deviation (gaussian, 0 to 10) or the probability (masking, saltAndPepper, 0 to 1). */
  level: number;
}

/** Labels for the rows of a call, for conditional models. */
export interface LabelOptions {
  /** One class index (0 … classes − 1) per image. */
  labels?: Uint8Array;
}

/** Inference calls that return images or codes may write them into a caller's array, so that a
 *  loop can reuse one buffer (or write into a larger one's subarray) instead of allocating. */
export interface OutputOptions extends LabelOptions {
  /** Float32Array of exactly n × (values per result); the call returns it. */
  out?: Float32Array;
}

/** What fit resolves with (also `ae.history`: the last fit's). */
export interface History {
  /** One log per epoch trained by this call. */
  epochs: EpochLog[];
  /** Set when training ended before its last epoch: by a callback or by early stopping. */
  stopped?: { epoch: number; by: 'callback' | 'earlyStopping' };
  /** With early stopping: the epoch whose monitored value was best (restoreBestWeights puts
   *  its weights back). */
  bestEpoch?: number;
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
