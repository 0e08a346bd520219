// Figures computed from the per-row errors the kernels leave in the rowErrors region, the same
// way whichever thread computed each row.
import type { Engine } from './engine.js';

/** Per-image mean squared errors of the first `count` rows, as f32 (what reconstructionErrors returns). */
export function rowMeanErrors(engine: Engine, count: number, into = new Float32Array(count), at = 0): Float32Array {
  const size = engine.spec.outputSize;
  const base = engine.at.rowErrors >> 2;
  const f32 = engine.arena.f32;
  for (let r = 0; r < count; r++) into[at + r] = f32[base + r] / size;
  return into;
}
