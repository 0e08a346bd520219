// Messages between the pool (caller's thread) and its workers: commands one way, progress the
// other. Nothing per step travels this way except an optional per-batch loss report.
import type { Layout, OptimizerConfig } from '../engine/engine.js';
import type { EpochPlan } from '../engine/epoch.js';
import type { NetworkSpec } from '../engine/network.js';

export interface InitCommand {
  type: 'init';
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  spec: NetworkSpec;
  optimizer: OptimizerConfig;
  thread: number;
  threads: number;
}

/** One epoch over the stored examples, in the order the caller stored in the indices region. */
export interface FitCommand extends EpochPlan {
  type: 'fit';
  layout: Layout;
  reportBatches: boolean;
}

export interface InferCommand {
  type: 'infer';
  layout: Layout;
  step: number;
  first: number;
  last: number;
  from: number;
  to: number;
  keepOutputs: boolean;
  rowErrors: boolean;
}

/** Benchmark of the barrier alone: meet `iterations` times with no work between. */
export interface BarrierCommand {
  type: 'barriers';
  layout: Layout;
  iterations: number;
  spins: number;
}

export type Command = InitCommand | FitCommand | InferCommand | BarrierCommand;

export type Report =
  | { type: 'hello' }
  | { type: 'ready'; thread: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | {
      type: 'fitEnd';
      thread: number;
      step: number;
      outcome: 'done' | 'stopped' | 'diverged' | 'fault';
      lossSum: number;
      seconds: number;
      loss?: number;
      batch?: number;
      weights?: boolean;
    }
  | { type: 'barriersDone'; thread: number }
  | { type: 'error'; thread: number; message: string };
