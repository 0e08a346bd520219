// The epoch every training thread runs: the same step as the single-thread path, cut at the two
// points where threads must meet (every chunk's gradient in; every slice updated). Written once
// as a generator that yields at each meeting point, and driven either synchronously (a worker,
// which may block in Atomics.wait) or asynchronously (the caller's thread, which must keep its
// event loop turning). The caller shuffles and stores the order before each epoch and evaluates
// between epochs.
import { Engine, CHUNK_ROWS } from '../engine/engine.js';
import { Barrier, Ctl, FaultError } from './control.js';
import type { FitCommand, Report } from './messages.js';

export type FitEnd = Extract<Report, { type: 'fitEnd' }>;

/** Yields once per barrier; is resumed with the barrier's stop decision. */
function* epochSteps(engine: Engine, ctl: Int32Array, thread: number, threads: number, cmd: FitCommand,
                     report: (r: Report) => void): Generator<void, FitEnd, boolean> {
  const leader = thread === 0;
  engine.adopt(cmd.layout);
  engine.step = cmd.step;
  engine.seed = cmd.seed;
  engine.corruption = cmd.corruption;
  const slice = engine.paramSlices(threads)[thread];
  const batches = Math.ceil(cmd.count / cmd.batchSize);
  const started = performance.now();
  let lossSum = 0;
  const end = (outcome: FitEnd['outcome'], extra: Partial<FitEnd> = {}): FitEnd =>
    ({ type: 'fitEnd', thread, step: engine.step, outcome, lossSum, seconds: (performance.now() - started) / 1000, ...extra });
  for (let b = 0; b < batches; b++) {
    const start = b * cmd.batchSize, rows = Math.min(cmd.batchSize, cmd.count - start);
    engine.computeChunks(thread, threads, start, rows);
    yield;
    const loss = engine.batchLoss(rows);
    const finite = Number.isFinite(loss);
    if (finite) engine.updateSlice(slice, rows);
    const stop = yield;
    if (!finite) return end('diverged', { loss, batch: b + 1 });
    engine.step += 1;
    if (leader) {
      Atomics.store(ctl, Ctl.StepsDone, engine.step);
      lossSum += loss * rows;
      if (cmd.reportBatches) report({ type: 'batch', epoch: cmd.epoch, batch: b + 1, batches, loss });
    }
    if (stop) return end('stopped');
  }
  return end('done');
}

/** A worker's epoch: blocks at the barriers. */
export function runEpoch(engine: Engine, ctl: Int32Array, thread: number, threads: number, cmd: FitCommand,
                         report: (r: Report) => void): FitEnd {
  const barrier = new Barrier(ctl, threads);
  const steps = epochSteps(engine, ctl, thread, threads, cmd, report);
  try {
    let r = steps.next();
    while (!r.done) r = steps.next(barrier.arrive());
    return r.value;
  } catch (error) {
    if (error instanceof FaultError) return { type: 'fitEnd', thread, step: engine.step, outcome: 'fault', lossSum: 0, seconds: 0 };
    throw error;
  }
}

/** The caller's epoch as thread 0: waits at the barriers without blocking its event loop, and
 *  lets the loop turn at least every `yieldEveryMs` even when it never has to wait. */
export async function runEpochAsync(engine: Engine, ctl: Int32Array, threads: number, cmd: FitCommand,
                                    report: (r: Report) => void, yieldEveryMs: number,
                                    yieldNow: () => Promise<void>): Promise<FitEnd> {
  const barrier = new Barrier(ctl, threads);
  const steps = epochSteps(engine, ctl, 0, threads, cmd, report);
  let lastYield = performance.now();
  try {
    let r = steps.next();
    while (!r.done) {
      const stop = await barrier.arriveAsync();
      const now = performance.now();
      if (now - lastYield > yieldEveryMs) {
        await yieldNow();
        lastYield = performance.now();
      }
      r = steps.next(stop);
    }
    return r.value;
  } catch (error) {
    if (error instanceof FaultError) return { type: 'fitEnd', thread: 0, step: engine.step, outcome: 'fault', lossSum: 0, seconds: 0 };
    throw error;
  }
}

/** Rows [from, to) of `count` that part `part` of `parts` takes: whole chunks, in order. */
export function shareOf(count: number, part: number, parts: number): [number, number] {
  const blocks = Math.ceil(count / CHUNK_ROWS);
  const from = Math.floor((blocks * part) / parts) * CHUNK_ROWS;
  const to = Math.min(count, Math.floor((blocks * (part + 1)) / parts) * CHUNK_ROWS);
  return [Math.min(from, count), to];
}
