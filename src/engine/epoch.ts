// The one epoch loop. Every training thread runs this generator: it yields at the two points
// where threads must meet (every chunk's gradient is in; every slice is updated) and is resumed
// with the stop decision taken there. With one thread the caller steps it directly; with several,
// `parallel/fitLoop.ts` steps it under Atomics barriers, synchronously in a worker and
// asynchronously in the caller. Batching, the divergence check, the step count and the stop all
// live here, once.
import type { Engine } from './engine.js';
import type { Corruption } from './engine.js';

/** One epoch over the examples in the order stored in the indices region. */
export interface EpochPlan {
  epoch: number;
  batchSize: number;
  count: number;
  /** Completed optimizer steps before the epoch. */
  step: number;
  /** The model's noise seed and the input corruption (denoising) of this fit. */
  seed: number;
  corruption: Corruption;
  /** The learning rate of this epoch (a schedule may change it between epochs). */
  learningRate: number;
}

export interface EpochEnd {
  step: number;
  outcome: 'done' | 'stopped' | 'diverged';
  /** Σ batch loss × rows over the completed steps (thread 0). */
  lossSum: number;
  seconds: number;
  /** The loss and 1-based batch of the failed step, when diverged: a non-finite loss, or a
   *  finite one whose update gave a non-finite weight (`weights` is then true). */
  loss?: number;
  batch?: number;
  weights?: boolean;
}

export interface BatchLog {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  loss: number;
}

export interface EpochHooks {
  /** Before a batch's gradients: puts its rows in place (one thread copies them from the caller's
   *  array) and returns where the batch starts in the stored order. */
  stage?(start: number, rows: number): number;
  /** Thread 0, after each completed step. */
  stepped?(log: BatchLog, step: number): void;
}

/** Thread `thread` of `threads`: one epoch; yields at each meeting point, resumed with the stop
 *  decision taken there (the same for every thread): before a step's update it leaves the step
 *  undone, after it the epoch ends with that step. */
export function* epochSteps(
  engine: Engine,
  thread: number,
  threads: number,
  plan: EpochPlan,
  hooks: EpochHooks = {},
): Generator<void, EpochEnd, boolean> {
  engine.step = plan.step;
  engine.seed = plan.seed;
  engine.corruption = plan.corruption;
  engine.optimizer = { ...engine.optimizer, learningRate: plan.learningRate };
  engine.clearFailedUpdate(); // every thread, before the first meeting: no one sets it earlier
  const slice = engine.paramSlices(threads)[thread];
  const batches = Math.ceil(plan.count / plan.batchSize);
  const started = performance.now();
  let lossSum = 0;
  const end = (outcome: EpochEnd['outcome'], extra: Partial<EpochEnd> = {}): EpochEnd => ({
    step: engine.step,
    outcome,
    lossSum,
    seconds: (performance.now() - started) / 1000,
    ...extra,
  });
  for (let b = 0; b < batches; b++) {
    const first = b * plan.batchSize,
      rows = Math.min(plan.batchSize, plan.count - first);
    const start = hooks.stage ? hooks.stage(first, rows) : first;
    engine.computeChunks(thread, threads, start, rows);
    // A stop asked for while the gradients were computed leaves this step undone.
    if (yield) return end('stopped');
    // Every thread reads the same chunk losses, so all take the same decision.
    const loss = engine.batchLoss(rows);
    const finite = Number.isFinite(loss);
    if (finite) engine.updateSlice(slice, rows, threads);
    const stop = yield;
    if (!finite) return end('diverged', { loss, batch: b + 1 });
    if (engine.failedUpdate()) {
      // The step stays undone: its bank is never used, and Wᵀ comes back from the last good one.
      engine.restoreTransposed(slice);
      return end('diverged', { loss, batch: b + 1, weights: true });
    }
    engine.step += 1;
    if (thread === 0) {
      lossSum += loss * rows;
      hooks.stepped?.({ epoch: plan.epoch, batch: b + 1, batches, loss }, engine.step);
    }
    if (stop) return end('stopped');
  }
  return end('done');
}
