// The seam the benchmarks (bench/) measure through: things inside a model that are no part of
// the public API. Not in package.json's `exports` (bench/ imports dist/model/internal.js), and
// free to change with the internals it reaches.
import type { Kernels } from '../runtime/wasm.js';
import { internalsOf, type Autoencoder } from './autoencoder.js';

/** Microseconds per meeting of the training threads at a barrier (WorkerPool.measureBarrier):
 *  `spins` polls before each thread sleeps. Throws when the model has no worker pool. */
export async function measureBarrier(ae: Autoencoder, iterations: number, spins: number): Promise<number> {
  const { engine, pool } = internalsOf(ae);
  if (!pool) throw new Error('measureBarrier: this model has no worker pool (threads: 1, or no threads here)');
  return pool.measureBarrier(engine.layout, iterations, spins);
}

/** Replaces the kernels the caller's thread calls (a one-thread model's every kernel call) with
 *  `wrap(kernels)`, e.g. timers around each; returns the original ones. */
export function instrumentKernels(ae: Autoencoder, wrap: (kernels: Kernels) => Kernels): Kernels {
  const { engine } = internalsOf(ae);
  const original = engine.kernels;
  engine.kernels = wrap(original);
  return original;
}
