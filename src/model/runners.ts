// How fit's passes run: in the caller (one thread, stepping engine/epoch.ts's generator and turning
// the event loop every 30 ms) or on the worker pool (every thread steps it under barriers; this
// one relays progress, stop requests and faults). fit.ts picks one per fit and calls its epoch().
import type { EpochEnd } from '../engine/epoch.js';
import { epochSteps } from '../engine/epoch.js';
import type { Layout } from '../engine/engine.js';
import type { Report } from '../parallel/messages.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { FitHost, FitRun } from './fit.js';

const FN = 'Autoencoder.fit';
/** The caller's event loop turns at least this often during a one-thread fit. */
const YIELD_EVERY_MS = 30;

export type EpochEndLike = Pick<EpochEnd, 'lossSum' | 'seconds' | 'loss' | 'batch' | 'weights'> & {
  outcome: EpochEnd['outcome'] | 'fault';
  step: number;
};

/** Runs passes of the epoch generator over rows in the order stored in the indices region: in
 *  the caller (one thread) or on the worker pool. */
export interface Runner {
  /** One pass over `count` rows; batch logs are numbered after `batchBase`, of `batches` when given. */
  epoch(p: {
    count: number;
    epoch: number;
    learningRate: number;
    batchBase?: number;
    batches?: number;
    stage?: (start: number, rows: number) => number;
  }): Promise<EpochEndLike>;
  /** Why the fit was asked to stop (abort, a callback's throw), if it was. */
  stopReason(): unknown;
  /** After an error: puts the model back in order if a worker failed. */
  failed(): Promise<void>;
  close(): void;
}

export async function runnerFor(host: FitHost, run: FitRun, layout: Layout): Promise<Runner> {
  return host.threads > 1 ? poolRunner(host, run, layout) : callerRunner(host, run);
}

/** One thread, in the caller: steps the generator, turning the event loop every 30 ms. */
function callerRunner(host: FitHost, run: FitRun): Runner {
  const { batch, corruption, options } = run.job;
  return {
    async epoch({ count, epoch, learningRate, batchBase = 0, batches, stage }) {
      const live = host.engine();
      const steps = epochSteps(
        live,
        0,
        1,
        { epoch, batchSize: batch, count, step: live.step, seed: live.seed, corruption, learningRate },
        {
          stage: (start, rows) => {
            if (host.disposed) throw new Error(`${FN}: the model was disposed during fit`);
            return stage ? stage(start, rows) : start;
          },
          stepped:
            options.onBatchEnd &&
            ((log) =>
              options.onBatchEnd!(batches === undefined ? log : { ...log, batch: batchBase + log.batch, batches })),
        },
      );
      let lastYield = performance.now();
      let r = steps.next();
      while (!r.done) {
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        r = steps.next(options.signal?.aborted ?? false);
      }
      return r.value;
    },
    stopReason: () => options.signal?.reason,
    failed: async () => {},
    close: () => {},
  };
}

/** Worker threads: each pass runs in every thread; this one relays progress. */
async function poolRunner(host: FitHost, run: FitRun, layout: Layout): Promise<Runner> {
  const { batch, corruption, options } = run.job;
  const engine = host.engine();
  const pool = await host.workers();
  pool.beginFit(layout, engine.step);
  let stopReason: unknown = null;
  const stop = (reason: unknown): void => {
    if (stopReason === null) stopReason = reason;
    pool.requestStop(layout);
  };
  const onAbort = (): void => stop(options.signal!.reason ?? new Error(`${FN}: aborted`));
  options.signal?.addEventListener('abort', onAbort);
  let base = 0;
  let total: number | undefined;
  const onReport = (r: Report): void => {
    if (r.type !== 'batch') return;
    try {
      options.onBatchEnd?.({ epoch: r.epoch, batch: base + r.batch, batches: total ?? r.batches, loss: r.loss });
    } catch (error) {
      stop(error);
    }
  };
  return {
    async epoch({ count, epoch, learningRate, batchBase = 0, batches }) {
      base = batchBase;
      total = batches;
      const live = host.engine();
      const end = await pool.fitEpoch(
        live,
        {
          layout,
          step: live.step,
          epoch,
          batchSize: batch,
          count,
          reportBatches: options.onBatchEnd !== undefined,
          seed: live.seed,
          corruption,
          learningRate,
        },
        onReport,
      );
      live.step = end.step;
      return end;
    },
    stopReason: () => stopReason,
    failed: async () => {
      if (pool.broken && !host.disposed) {
        // The last completed step's weights are intact in its bank; rebuild what depends on them.
        engine.step = pool.stepsDone(layout);
        engine.refreshTransposed();
        await host.dropPool(pool);
      }
    },
    close: () => options.signal?.removeEventListener('abort', onAbort),
  };
}
