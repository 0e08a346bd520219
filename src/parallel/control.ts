// The control block at the start of the shared memory: words that the threads of one model read
// and write with Atomics, and the barrier built on them. Messages carry only commands and
// progress; every per-step meeting goes through here.

export enum Ctl {
  /** Barrier generation: bumped by the last thread to arrive. */
  Generation = 0,
  /** Threads arrived at the current barrier. */
  Arrived = 1,
  /** The stop decision of the last barrier: 1 when the caller asked to stop. */
  Stop = 2,
  /** Set by the caller (abort signal, failed callback): stop after the step in progress. */
  StopRequested = 3,
  /** Set by the caller when a worker died: every waiting thread gives up. */
  Fault = 4,
  /** Optimizer steps completed, written by thread 0 after each step's last barrier. */
  StepsDone = 5,
  /** Workers that finished their share of an inference call. */
  InferDone = 6,
  /** Set by a thread whose slice of an update came out non-finite (engine/layout.ts's
   *  CONTROL_UPDATE_FAILED; the engine clears and reads it). */
  UpdateFailed = 7,
}

/** Spin this many polls before sleeping in Atomics.wait. Threads that arrive together meet in a
 *  few µs spinning against tens of µs through the futex (`npm run bench`: the barrier line of
 *  docs/benchmarks.md), but a long spin (20,000 polls) lost more than it saved on a shared 2-core
 *  machine: the spinning thread used CPU time that the thread it waited for needed
 *  (bench/browser-threads.js, bench/threads-ab.js; docs/benchmarks.md). */
const SPINS = 500;
/** Sleep in slices this long, so a fault set without a notify is still seen. */
const WAIT_SLICE_MS = 100;

export class FaultError extends Error {
  constructor() {
    super('another thread of this model failed');
  }
}

/** A reusable barrier for `parties` threads over the control words. */
export class Barrier {
  constructor(
    private readonly ctl: Int32Array,
    private readonly parties: number,
    private readonly spins = SPINS,
  ) {}

  /**
   * Waits until every party has arrived. Returns the group's stop decision, taken once by the
   * last thread to arrive, so that all threads act on the same answer. Throws FaultError when
   * the caller marks the group as broken while this thread waits.
   */
  arrive(): boolean {
    const c = this.ctl;
    if (this.parties === 1) return Atomics.load(c, Ctl.StopRequested) !== 0;
    const generation = Atomics.load(c, Ctl.Generation);
    if (this.lastToArrive()) {
      this.release();
    } else if (!this.spin(generation)) {
      while (!this.opened(generation)) Atomics.wait(c, Ctl.Generation, generation, WAIT_SLICE_MS);
    }
    return Atomics.load(c, Ctl.Stop) !== 0;
  }

  /** Whether the barrier has moved past `generation`; throws FaultError once the group is broken. */
  private opened(generation: number): boolean {
    if (Atomics.load(this.ctl, Ctl.Generation) !== generation) return true;
    if (Atomics.load(this.ctl, Ctl.Fault) !== 0) throw new FaultError();
    return false;
  }

  /** Polls up to `spins` times before a thread sleeps: whether the barrier opened meanwhile. */
  private spin(generation: number): boolean {
    for (let i = 0; i < this.spins; i++) if (this.opened(generation)) return true;
    return false;
  }

  private lastToArrive(): boolean {
    return Atomics.add(this.ctl, Ctl.Arrived, 1) === this.parties - 1;
  }

  /** The last thread to arrive: reset the count, take the stop decision, open the barrier. */
  private release(): void {
    const c = this.ctl;
    Atomics.store(c, Ctl.Arrived, 0);
    Atomics.store(c, Ctl.Stop, Atomics.load(c, Ctl.StopRequested));
    Atomics.add(c, Ctl.Generation, 1);
    Atomics.notify(c, Ctl.Generation);
  }

  /**
   * The same, for a thread that may not block (the caller's): spins briefly, then waits with
   * Atomics.waitAsync (or, where that is missing, by polling between event-loop turns).
   */
  async arriveAsync(): Promise<boolean> {
    const c = this.ctl;
    if (this.parties === 1) return Atomics.load(c, Ctl.StopRequested) !== 0;
    const generation = Atomics.load(c, Ctl.Generation);
    if (this.lastToArrive()) {
      this.release();
      return Atomics.load(c, Ctl.Stop) !== 0;
    }
    if (this.spin(generation)) return Atomics.load(c, Ctl.Stop) !== 0;
    while (!this.opened(generation)) {
      if (typeof Atomics.waitAsync === 'function') {
        const r = Atomics.waitAsync(c, Ctl.Generation, generation, WAIT_SLICE_MS);
        if (r.async) await r.value;
      } else {
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
    }
    return Atomics.load(c, Ctl.Stop) !== 0;
  }
}

/** Resets the words a new command relies on. Only while no thread is inside a barrier. */
export function resetControl(c: Int32Array): void {
  for (const word of [Ctl.Arrived, Ctl.Stop, Ctl.StopRequested, Ctl.Fault, Ctl.InferDone]) Atomics.store(c, word, 0);
}

export function controlWords(buffer: ArrayBufferLike, at: number): Int32Array {
  return new Int32Array(buffer, at, 16);
}
