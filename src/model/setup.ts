// A model's run-time set-up: how many threads it gets (and why fewer, if so), which kernel build,
// one memory, the engine over it, and the worker pool when there are threads.
import { Engine, type DataKind, type LayoutRequest } from '../engine/engine.js';
import { buildNetwork } from '../engine/network.js';
import { loadKernels, instantiateKernels } from '../runtime/wasm.js';
import { WorkerPool } from '../parallel/pool.js';
import { threadsUnavailable } from '../parallel/spawn.js';
import { Prng } from '../util/prng.js';
import { layerPlan, MAX_THREADS, type ModelConfig } from './options.js';
import type { Backend, RuntimeOptions } from './types.js';

/** Rows the inference regions hold; larger inputs go through in rounds. */
export const INFER_ROWS = 2048;
/** Largest shared memory a model may grow to (2 GiB): reserved, not committed. */
const SHARED_MAX_PAGES = 32768;

async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } catch {
    return 1;
  }
}

async function resolveThreads(wanted: 'auto' | number, custom: boolean): Promise<{ threads: number; note?: string }> {
  const asked = wanted === 'auto' ? Math.min(MAX_THREADS, await availableCores()) : wanted;
  if (asked <= 1) return { threads: 1 };
  if (custom) return { threads: 1, note: 'a custom wasm source was given: one thread (workers load the packaged threads build)' };
  const reason = threadsUnavailable();
  if (reason) return { threads: 1, note: `one thread instead of ${asked}: ${reason}` };
  return { threads: asked };
}

export function inferencePlan(threads: number, inferKind: DataKind): LayoutRequest {
  return { batchSize: 64, datasetRows: 0, datasetKind: 'u8', inferRows: INFER_ROWS, inferKind, workspaces: threads };
}

export interface ModelParts {
  engine: Engine;
  backend: Backend;
  module: WebAssembly.Module;
  pool: WorkerPool | null;
  /** The epochs' shuffles, seeded from the model's seed. */
  shuffler: Prng;
}

/** Everything a model of `config` runs on; its parameters are still zero. */
export async function assemble(config: ModelConfig, options: RuntimeOptions): Promise<ModelParts> {
  const { layers, codeLayer } = layerPlan(config);
  const spec = buildNetwork(layers, {
    alpha: config.leakyReluAlpha, loss: config.loss, codeLayer, latent: config.latent,
    variational: config.variational, beta: config.beta, classes: config.classes,
  });
  const { threads, note } = await resolveThreads(options.threads ?? 'auto', options.wasm !== undefined);
  const shared = threads > 1;
  const { build, module } = await loadKernels({ build: options.kernels ?? 'auto', shared, source: options.wasm });
  const memory = shared
    ? new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 1 });
  const engine = new Engine(instantiateKernels(module, memory), memory, spec, config.optimizer);
  engine.seed = config.seed;
  engine.plan(inferencePlan(threads, 'u8'));
  const pool = shared ? await WorkerPool.start(threads, module, memory, spec, config.optimizer) : null;
  return {
    engine, module, pool, backend: { kernels: build, threads, ...(note ? { note } : {}) },
    shuffler: new Prng((config.seed ^ 0x5bd1e995) >>> 0),
  };
}
