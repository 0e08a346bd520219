// The epoch loop under barriers: engine/epoch.ts's generator, stepped by every training thread,
// synchronously in a worker (which may block in Atomics.wait) or asynchronously in the caller's
// thread (which must keep its event loop turning). Thread 0 records each completed step in the
// control block (so a fault leaves a known step count) and reports it.
import { CHUNK_ROWS, type Engine } from '../engine/engine.js';
import { epochSteps, type EpochHooks } from '../engine/epoch.js';
import { Barrier, Ctl, FaultError } from './control.js';
import type { FitCommand, Report } from './messages.js';

export type FitEnd = Extract<Report, { type: 'fitEnd' }>;

function stepsOf(
  engine: Engine,
  ctl: Int32Array,
  thread: number,
  threads: number,
  cmd: FitCommand,
  report: (r: Report) => void,
): Generator<void, FitEnd, boolean> {
  engine.adopt(cmd.layout);
  const hooks: EpochHooks = {
    stepped: (log, step) => {
      Atomics.store(ctl, Ctl.StepsDone, step);
      if (cmd.reportBatches) report({ type: 'batch', ...log });
    },
  };
  const inner = epochSteps(engine, thread, threads, cmd, hooks);
  return (function* (): Generator<void, FitEnd, boolean> {
    const end = yield* inner;
    return { type: 'fitEnd', thread, ...end };
  })();
}

/** A worker's epoch: blocks at the barriers. */
export function runEpoch(
  engine: Engine,
  ctl: Int32Array,
  thread: number,
  threads: number,
  cmd: FitCommand,
  report: (r: Report) => void,
): FitEnd {
  const barrier = new Barrier(ctl, threads);
  const steps = stepsOf(engine, ctl, thread, threads, cmd, report);
  try {
    let r = steps.next();
    while (!r.done) r = steps.next(barrier.arrive());
    return r.value;
  } catch (error) {
    if (error instanceof FaultError)
      return { type: 'fitEnd', thread, step: engine.step, outcome: 'fault', lossSum: 0, seconds: 0 };
    throw error;
  }
}

/** The caller's epoch as thread 0: waits at the barriers without blocking its event loop, and
 *  lets the loop turn at least every `yieldEveryMs` even when it never has to wait. */
export async function runEpochAsync(
  engine: Engine,
  ctl: Int32Array,
  threads: number,
  cmd: FitCommand,
  report: (r: Report) => void,
  yieldEveryMs: number,
  yieldNow: () => Promise<void>,
): Promise<FitEnd> {
  const barrier = new Barrier(ctl, threads);
  const steps = stepsOf(engine, ctl, 0, threads, cmd, report);
  // The first steps start a task of their own too, apart from fit's set-up (storing the data set).
  await yieldNow();
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
    // The epoch's end (validation, callbacks) starts a task of its own, not the last steps' one.
    await yieldNow();
    return r.value;
  } catch (error) {
    if (error instanceof FaultError)
      return { type: 'fitEnd', thread: 0, step: engine.step, outcome: 'fault', lossSum: 0, seconds: 0 };
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
