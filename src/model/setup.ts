// A model's run-time set-up: how many threads it gets (and why fewer, if so), which kernel build,
// one memory, the engine over it, and the worker pool when there are threads.
import { Engine, type DataKind, type LayoutRequest } from '../engine/engine.js';
import { buildNetwork, MAX_PARAMS, type NetworkSpec } from '../engine/network.js';
import { MAX_MEMORY_BYTES, planEngineLayout } from '../engine/layout.js';
import { loadKernels, instantiateKernels } from '../runtime/wasm.js';
import { WorkerPool } from '../parallel/pool.js';
import { threadsUnavailable } from '../parallel/spawn.js';
import { cores } from '#platform';
import { Prng } from '../util/prng.js';
import { layerPlan } from './layerPlan.js';
import { MAX_THREADS, type ModelConfig } from './options.js';
import type { Backend, RuntimeOptions } from './types.js';

/** Rows the inference regions hold; larger inputs go through in rounds. */
export const INFER_ROWS = 2048;
/** Largest shared memory a model may grow to: reserved, not committed. */
const SHARED_MAX_PAGES = MAX_MEMORY_BYTES / 65536;
/** Room left for the kernels' own data and stack below the planned regions. */
const KERNEL_RESERVE = 1 << 20;

async function resolveThreads(wanted: 'auto' | number, custom: boolean): Promise<{ threads: number; note?: string }> {
  const asked = wanted === 'auto' ? Math.min(MAX_THREADS, await cores()) : wanted;
  if (asked <= 1) return { threads: 1 };
  if (custom)
    return { threads: 1, note: 'a custom wasm source was given: one thread (workers load the packaged threads build)' };
  const reason = threadsUnavailable();
  if (reason) return { threads: 1, note: `one thread instead of ${asked}: ${reason}` };
  return { threads: asked };
}

function inferencePlan(threads: number, inferKind: DataKind): LayoutRequest {
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

/**
 * The network of `config`, checked against the limits before anything is allocated: at most
 * MAX_PARAMS parameters (2^25), and the memory its inference plan needs (f32 rows, the larger
 * kind) within MAX_MEMORY_BYTES (2 GiB). Sizes are plain doubles, exact far beyond these limits.
 */
export function networkOf(config: ModelConfig, fn: string): NetworkSpec {
  const { layers, codeLayer } = layerPlan(config);
  let spec: NetworkSpec;
  try {
    spec = buildNetwork(layers, {
      alpha: config.leakyReluAlpha,
      loss: config.loss,
      codeLayer,
      latent: config.latent,
      variational: config.variational,
      beta: config.beta,
      classes: config.classes,
    });
  } catch (error) {
    throw new Error(
      `${fn}: ${(error as Error).message.replace(/^network: /, '')} (a model may have at most ${MAX_PARAMS} parameters)`,
    );
  }
  const need = planEngineLayout(spec, KERNEL_RESERVE, inferencePlan(1, 'f32')).end;
  if (need > MAX_MEMORY_BYTES) {
    throw new Error(
      `${fn}: the model needs ${mib(need)} MiB of memory to run (its widest layer has ${spec.maxWidth} values per image), more than the ${mib(MAX_MEMORY_BYTES)} MiB a model may use`,
    );
  }
  return spec;
}

const mib = (bytes: number): number => Math.ceil(bytes / 2 ** 20);

/** Everything a model of `config` runs on; its parameters are still zero. */
export async function assemble(config: ModelConfig, options: RuntimeOptions, fn: string): Promise<ModelParts> {
  const spec = networkOf(config, fn);
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
    engine,
    module,
    pool,
    backend: { kernels: build, threads, ...(note ? { note } : {}) },
    shuffler: new Prng((config.seed ^ 0x5bd1e995) >>> 0),
  };
}
