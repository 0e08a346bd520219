// What a training step is configured with, apart from the network: the optimizer, the input
// corruption of a denoising fit, and the seeds of the per-step noise.
import { NOISE_CODES } from './codes.js';

export interface OptimizerConfig {
  type: 'adam' | 'adamw' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
}

/** Input corruption for denoising: `kind` is a kernel noise code (codes.ts NOISE_CODES). */
export interface Corruption {
  kind: number;
  level: number;
}

export const NO_CORRUPTION: Readonly<Corruption> = { kind: NOISE_CODES.none, level: 0 };

/** A 32-bit seed for step `step` of a model seeded with `seed` (noise and samples per step). */
export function stepSeed(seed: number, step: number): number {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(step, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
}

/** Where a training step's variational draws come from. */
export interface SampleOptions {
  seed: number;
  /** Position in the batch of the chunk's first row (keys the noise, whatever the thread). */
  first: number;
  labels?: { labels: number; indices: number };
}
