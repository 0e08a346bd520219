// What a training step is configured with, apart from the network: the optimizer, the input
// corruption of a denoising fit, and the seeds of the per-step noise.

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

/** Input corruption for denoising (kernel codes: 0 none, 1 gaussian, 2 masking, 3 salt and pepper). */
export interface Corruption {
  kind: 0 | 1 | 2 | 3;
  level: number;
}

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
