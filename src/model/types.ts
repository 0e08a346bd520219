// The public model's option and result types, shared by its parts.
import type { KernelBuildName, KernelSource } from '../runtime/wasm.js';
import type { ImagesInput } from './inputs.js';
import type { BatchLog } from '../engine/epoch.js';

export type { BatchLog };

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

/** Inference calls that return images or codes may write them into a caller's array, so that a
 *  loop can reuse one buffer (or write into a larger one's subarray) instead of allocating. */
export interface OutputOptions extends LabelOptions {
  /** Float32Array of exactly n × (values per result); the call returns it. */
  out?: Float32Array;
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
