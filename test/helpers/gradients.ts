// Finite-difference gradient checks shared by the engine tests: the engine's own f32 mean loss,
// its analytic gradient, central differences of any loss over the parameter vector, and the
// relative error of two gradient vectors.
import { Engine, type SampleOptions } from '../../src/engine/engine.js';
import type { NetworkSpec } from '../../src/engine/network.js';
import { loadKernels, instantiateKernels, type KernelBuildName } from '../../src/runtime/wasm.js';
import { Prng } from '../../src/util/prng.js';

/** Step of the central differences (see gradient.test.ts for why). */
export const H = 1e-3;

/**
 * An engine for `spec` planned for `rows` rows: Glorot weights and small non-zero biases (so that
 * every term of the backward pass matters) from `seed`. Returns the PRNG to draw the data from.
 */
export async function gradientEngine(
  spec: NetworkSpec,
  rows: number,
  seed: number,
  build: KernelBuildName = 'simd',
): Promise<{ engine: Engine; prng: Prng }> {
  const { module } = await loadKernels({ build });
  const memory = new WebAssembly.Memory({ initial: 1 });
  const engine = new Engine(instantiateKernels(module, memory), memory, spec, {
    type: 'sgd',
    learningRate: 0.1,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    weightDecay: 0,
    momentum: 0,
    nesterov: false,
  });
  engine.plan({ batchSize: rows, datasetRows: 0, datasetKind: 'u8', inferRows: 64, inferKind: 'u8', workspaces: 1 });
  const prng = new Prng(seed);
  engine.initialize(prng);
  const p = engine.params();
  for (const L of spec.layers) for (let j = 0; j < L.outShape[2]; j++) p[L.biasOffset + j] = 0.2 * (prng.next() - 0.5);
  engine.refreshTransposed();
  return { engine, prng };
}

/** Mean loss of `rows` rows in ws.input against ws.target, through the engine's f32 forward. */
export function engineLoss(engine: Engine, rows: number, sample: SampleOptions): number {
  const ws = engine.workspaces[0],
    k = engine.kernels,
    { spec } = engine;
  const last = spec.layers.length - 1,
    n = rows * spec.outputSize;
  const kl = engine.forward(ws, rows, ws.input, 0, last, { logitsOut: spec.loss === 'bce', sample });
  const y = ws.acts[last];
  const sum = spec.loss === 'bce' ? k.bceSigmoidLoss(0, 0, y, ws.target, n, 0) : k.mseLoss(0, y, ws.target, n, 0, 0);
  return (sum + spec.beta * kl) / n;
}

export function analyticGradient(engine: Engine, rows: number, sample: SampleOptions): Float32Array {
  const ws = engine.workspaces[0],
    P = engine.paramCount;
  engine.kernels.zeroF32(engine.at.grads, P);
  engine.forwardBackward(ws, rows, engine.at.grads, ws.target, 1 / (rows * engine.spec.outputSize), sample);
  return engine.arena.f32.slice(engine.at.grads >> 2, (engine.at.grads >> 2) + P);
}

/** Central differences of `loss` for every parameter, divided by the step actually taken in f32. */
export function numericGradient(engine: Engine, loss: () => number): Float64Array {
  const p = engine.params();
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const keep = p[i];
    p[i] = keep + H;
    engine.refreshTransposed();
    const up = loss();
    p[i] = keep - H;
    engine.refreshTransposed();
    const down = loss();
    p[i] = keep;
    engine.refreshTransposed();
    g[i] = (up - down) / (Math.fround(keep + H) - Math.fround(keep - H));
  }
  return g;
}

export function relativeError(a: Float32Array, b: Float64Array): number {
  let diff = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    na += a[i] ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-12);
}
