// Inference over any number of rows: in rounds of the inference region's size, large rounds
// shared with the worker threads (each takes whole chunks), the caller's own share written
// straight into the result.
import type { DataKind, Engine } from '../engine/engine.js';
import { inferRange } from '../engine/infer.js';
import { rowMeanErrors } from '../engine/metrics.js';
import type { WorkerPool } from '../parallel/pool.js';
import { checkFinite, type Images } from './inputs.js';
import { INFER_ROWS } from './setup.js';

/** Inference calls on fewer rows run in the caller alone: handing out work costs more. */
const PARALLEL_MIN_ROWS = 512;

/**
 * Layers [first, last] over `count` rows of `data`. Returns the outputs (`keepOutputs`), or each
 * row's mean squared error against its input. With `check`, float rows are checked to be finite
 * as each round lands in the model's memory (a kernel pass over data in cache, cheaper than a
 * JavaScript loop over the caller's array); the error names `check.fn`, `check.arg`
 * and the index. A round after the first that fails leaves the rows before it written in `out`.
 */
export function runLayers(
  engine: Engine,
  pool: WorkerPool | null,
  data: Images,
  count: number,
  first: number,
  last: number,
  keepOutputs: boolean,
  labels?: Uint8Array,
  out?: Float32Array,
  check?: { fn: string; arg: string },
): { outputs?: Float32Array; errors?: Float32Array } {
  const kind: DataKind = data instanceof Uint8Array ? 'u8' : 'f32';
  if (engine.layout.inferKind !== kind || engine.layout.inferRows < INFER_ROWS) {
    engine.plan({ ...engine.layout, inferKind: kind, inferRows: INFER_ROWS });
  }
  const layout = engine.layout;
  const width = first === 0 ? engine.spec.imageSize : engine.spec.latent;
  const outWidth = engine.spec.layers[last].outputs;
  const outputs = keepOutputs ? (out ?? new Float32Array(count * outWidth)) : undefined;
  const errors = keepOutputs ? undefined : new Float32Array(count);
  const ws = engine.workspaces[0];
  const workers = pool && !pool.broken ? pool : null;
  for (let round = 0; round < count; round += layout.inferRows) {
    const n = Math.min(layout.inferRows, count - round);
    engine.storeInferRows(data, round, n, 0, width);
    if (check && data instanceof Float32Array && !engine.kernels.allFinite(layout.at.inferIn, n * width)) {
      checkFinite(data.subarray(round * width, (round + n) * width), check.fn, check.arg, undefined, round * width);
      throw new Error(
        `${check.fn}: the kernels found a value in ${check.arg} that is not finite, and the array no longer holds it (was it changed during the call?)`,
      );
    }
    if (labels) engine.storeInferLabels(labels, round, n, 0);
    // This thread's blocks go straight from its workspace to the caller's array; the workers'
    // shares come back through the inference output region.
    const sink = outputs
      ? (row: number, rows: number, at: number): void =>
          outputs.set(engine.arena.f32.subarray(at >> 2, (at >> 2) + rows * outWidth), (round + row) * outWidth)
      : undefined;
    let own: [number, number] = [0, n];
    const ownShare = (from: number, to: number): void => {
      own = [from, to];
      inferRange(engine, ws, from, to, first, last, keepOutputs, !keepOutputs, sink);
    };
    if (workers && n >= PARALLEL_MIN_ROWS)
      workers.infer(layout, engine.step, first, last, n, keepOutputs, !keepOutputs, ownShare);
    else ownShare(0, n);
    if (outputs && (own[0] > 0 || own[1] < n)) {
      const at = layout.at.inferOut >> 2;
      if (own[0] > 0) outputs.set(engine.arena.f32.subarray(at, at + own[0] * outWidth), round * outWidth);
      if (own[1] < n)
        outputs.set(engine.arena.f32.subarray(at + own[1] * outWidth, at + n * outWidth), (round + own[1]) * outWidth);
    }
    if (errors) rowMeanErrors(engine, n, errors, round);
  }
  return { outputs, errors };
}

/** Mean over images of the per-image MSE, summed in row order in f64. */
export function meanOf(errors: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < errors.length; i++) sum += errors[i];
  return sum / errors.length;
}
