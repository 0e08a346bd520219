// A pool of workers that share one model's memory: started once per model (lazily), given
// commands, and torn down by dispose() or when one of them fails.
import type { Engine, Layout, OptimizerConfig } from '../engine/engine.js';
import type { NetworkSpec } from '../engine/network.js';
import { spawnWorker, type WorkerHandle } from './spawn.js';
import { Barrier, Ctl, controlWords, resetControl } from './control.js';
import { runEpochAsync, shareOf } from './fitLoop.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { FitCommand, Report } from './messages.js';

import type { FitEnd } from './fitLoop.js';

/** How long a broken pool waits for the surviving workers before it terminates them. */
const FAULT_GRACE_MS = 500;
/** A synchronous inference call gives up if the workers make no progress for this long. */
const INFER_TIMEOUT_MS = 20_000;

function workerUrl(): URL {
  // Running from the TypeScript sources (tests), the worker must still be plain JavaScript for
  // the runtime that loads it: take the compiled one (`npm test` builds it first).
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/parallel/worker.js', import.meta.url)
    : new URL('./worker.js', import.meta.url);
}

/**
 * Whether the caller's thread computes as thread 0, with T − 1 workers: wherever it can wait at a
 * barrier without blocking its event loop (Atomics.waitAsync), a browser page's main thread
 * included. It saves a worker (a V8 isolate of its own: compare the peak RSS of one and two
 * threads, `npm run bench`, docs/benchmarks.md). A page that only relayed progress for T workers
 * scaled poorly in Chromium: each worker waited at the barriers about as long as it computed
 * (bench/browser-threads.js; docs/architecture.md, Threads). Without waitAsync the page could only
 * poll, so it keeps T workers.
 */
export function callerComputes(
  env: { document?: unknown; Atomics?: { waitAsync?: unknown } } = globalThis as never,
): boolean {
  return env.document === undefined || typeof env.Atomics?.waitAsync === 'function';
}

/** How often the caller's thread lets its event loop turn while it computes: a page more often,
 *  so that a turn (input, a frame) waits less than its 50 ms long-task limit even when the
 *  machine is busy. */
const CALLER_YIELD_MS = typeof (globalThis as { document?: unknown }).document === 'undefined' ? 30 : 15;

export class WorkerPool {
  /** Training threads, the caller's included when it computes. */
  readonly threads: number;
  /** Index of the first worker's thread: 1 when the caller is thread 0. */
  readonly firstWorker: number;
  private readonly workers: WorkerHandle[];
  private readonly memory: WebAssembly.Memory;
  private listeners = new Set<(r: Report, thread: number) => void>();
  private failure: Error | null = null;
  private onFailure: ((e: Error) => void) | null = null;

  private constructor(workers: WorkerHandle[], firstWorker: number, memory: WebAssembly.Memory) {
    this.workers = workers;
    this.firstWorker = firstWorker;
    this.threads = workers.length + firstWorker;
    this.memory = memory;
    workers.forEach((w, i) => {
      const t = i + firstWorker;
      w.onMessage((m) => this.dispatch(m as Report, t));
      w.onFailure((e) => this.fail(new Error(`worker thread ${t} failed: ${e.message}`)));
    });
  }

  static async start(
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    spec: NetworkSpec,
    optimizer: OptimizerConfig,
  ): Promise<WorkerPool> {
    const url = workerUrl();
    const firstWorker = callerComputes() ? 1 : 0;
    const workers = await Promise.all(Array.from({ length: threads - firstWorker }, () => spawnWorker(url)));
    try {
      await Promise.all(
        workers.map(
          (w, i) =>
            new Promise<void>((resolve, reject) => {
              const thread = i + firstWorker;
              w.onFailure((e) => reject(new Error(`worker thread ${thread} could not start: ${e.message}`)));
              w.onMessage((m) => {
                const r = m as Report;
                if (r.type === 'hello') w.post({ type: 'init', module, memory, spec, optimizer, thread, threads });
                else if (r.type === 'ready') resolve();
                else if (r.type === 'error') reject(new Error(`worker thread ${thread} could not start: ${r.message}`));
              });
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    const pool = new WorkerPool(workers, firstWorker, memory);
    pool.idle();
    return pool;
  }

  get broken(): Error | null {
    return this.failure;
  }

  private dispatch(r: Report, thread: number): void {
    if (r.type === 'error') {
      this.fail(new Error(`worker thread ${thread} failed: ${r.message}`));
      return;
    }
    for (const l of this.listeners) l(r, thread);
  }

  private control(layout: Layout): Int32Array {
    return controlWords(this.memory.buffer, layout.at.control);
  }

  private controlAt = -1;

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    if (this.controlAt >= 0) {
      const c = controlWords(this.memory.buffer, this.controlAt);
      Atomics.store(c, Ctl.Fault, 1);
      Atomics.notify(c, Ctl.Generation);
      Atomics.notify(c, Ctl.InferDone);
    }
    this.onFailure?.(error);
  }

  /** Asks the workers to stop after the step in progress. */
  requestStop(layout: Layout): void {
    Atomics.store(this.control(layout), Ctl.StopRequested, 1);
  }

  /** Steps completed, as the workers last recorded (also after a failure). */
  stepsDone(layout: Layout): number {
    return Atomics.load(this.control(layout), Ctl.StepsDone);
  }

  private busy(): void {
    for (const w of this.workers) w.keepAlive(true);
  }

  private idle(): void {
    // An idle pool must not keep a Node process alive; dispose() is still the way to end it.
    for (const w of this.workers) w.keepAlive(false);
  }

  /** Starts a run of epochs: clears the stop and fault words. */
  beginFit(layout: Layout, step: number): void {
    const c = this.control(layout);
    resetControl(c);
    Atomics.store(c, Ctl.StepsDone, step);
  }

  /**
   * Runs one epoch on every training thread (the caller's too, when it computes). `onReport` sees
   * thread 0's progress. Resolves with thread 0's end report once every thread has left the
   * loop; rejects if a worker fails.
   */
  fitEpoch(engine: Engine, cmd: Omit<FitCommand, 'type'>, onReport: (r: Report) => void): Promise<FitEnd> {
    if (this.failure) return Promise.reject(this.failure);
    this.controlAt = cmd.layout.at.control;
    this.busy();
    return new Promise<FitEnd>((resolve, reject) => {
      const ended = new Map<number, FitEnd>();
      let graceTimer: ReturnType<typeof setTimeout> | null = null;
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        this.listeners.delete(listener);
        this.onFailure = null;
        if (graceTimer) clearTimeout(graceTimer);
        this.idle();
        if (this.failure) reject(this.failure);
        else resolve(ended.get(0)!);
      };
      const arrived = (r: FitEnd): void => {
        ended.set(r.thread, r);
        if (ended.size === this.threads) finish();
      };
      const listener = (r: Report, thread: number): void => {
        if (r.type === 'fitEnd') arrived(r);
        else if (thread === 0) onReport(r);
      };
      this.listeners.add(listener);
      this.onFailure = () => {
        // The survivors see the fault word and leave their loop; give them a moment, then go.
        graceTimer = setTimeout(finish, FAULT_GRACE_MS);
      };
      const full: FitCommand = { type: 'fit', ...cmd };
      for (const w of this.workers) w.post(full);
      if (this.firstWorker === 1) {
        const ctl = this.control(cmd.layout);
        runEpochAsync(engine, ctl, this.threads, full, onReport, CALLER_YIELD_MS, yieldToEventLoop).then(
          arrived,
          (error: unknown) => {
            this.fail(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
    });
  }

  /**
   * Inference over rows [0, count) of the inference region: workers 1…n-1 take their shares while
   * the caller runs share 0 through `runOwnShare`, then waits for them (synchronously: the call
   * that uses this is synchronous).
   */
  infer(
    layout: Layout,
    step: number,
    first: number,
    last: number,
    count: number,
    keepOutputs: boolean,
    rowErrors: boolean,
    runOwnShare: (from: number, to: number) => void,
  ): void {
    if (this.failure) throw this.failure;
    const c = this.control(layout);
    this.controlAt = layout.at.control;
    Atomics.store(c, Ctl.InferDone, 0);
    for (let t = 1; t < this.threads; t++) {
      const [from, to] = shareOf(count, t, this.threads);
      this.workers[t - this.firstWorker].post({
        type: 'infer',
        layout,
        step,
        first,
        last,
        from,
        to,
        keepOutputs,
        rowErrors,
      });
    }
    const [from, to] = shareOf(count, 0, this.threads);
    runOwnShare(from, to);
    const expected = this.threads - 1;
    const deadline = Date.now() + INFER_TIMEOUT_MS;
    let canWait = true;
    for (let done = Atomics.load(c, Ctl.InferDone); done < expected; done = Atomics.load(c, Ctl.InferDone)) {
      if (Atomics.load(c, Ctl.Fault) !== 0 || Date.now() > deadline) {
        const error = new Error(`inference: worker threads did not finish their share (${done} of ${expected} did)`);
        this.fail(error);
        throw error;
      }
      if (canWait) {
        try {
          Atomics.wait(c, Ctl.InferDone, done, 50);
        } catch {
          canWait = false; // a browser's main thread may not wait: poll instead
        }
      }
    }
  }

  /**
   * Microseconds per meeting of all training threads at a barrier with no work in between, over
   * `iterations` meetings; `spins` polls before sleeping (0: straight to the futex).
   */
  async measureBarrier(layout: Layout, iterations: number, spins: number): Promise<number> {
    if (this.failure) throw this.failure;
    const c = this.control(layout);
    resetControl(c);
    this.busy();
    const done = new Promise<void>((resolve) => {
      let count = 0;
      const listener = (r: Report): void => {
        if (r.type === 'barriersDone' && ++count === this.workers.length) {
          this.listeners.delete(listener);
          resolve();
        }
      };
      this.listeners.add(listener);
    });
    const started = performance.now();
    for (const w of this.workers) w.post({ type: 'barriers', layout, iterations, spins });
    if (this.firstWorker === 1) {
      const barrier = new Barrier(c, this.threads, spins);
      for (let i = 0; i < iterations; i++) await barrier.arriveAsync();
    }
    await done;
    this.idle();
    return ((performance.now() - started) * 1000) / iterations;
  }

  /** Ends every worker. A fit in progress rejects (its threads see the fault word and leave). */
  async terminate(): Promise<void> {
    this.fail(new Error('the worker threads were terminated (the model was disposed)'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
