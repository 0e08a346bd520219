// Inference over ranges of rows of the inference region: layers [first, last] in blocks of
// CHUNK_ROWS through one workspace. The caller's own share of a call and each worker's run this.
import { CHUNK_ROWS, type Workspace } from './layout.js';
import type { Engine } from './engine.js';

/**
 * Layers [first, last] over rows [from, to) of the inference input region, in blocks of
 * CHUNK_ROWS through workspace `ws`. Hands the outputs of each block to `sink` when given, else
 * writes them to the inference output region, when `keepOutputs`; and, when `rowErrors`, each
 * row's summed squared error against its input.
 */
export function inferRange(
  engine: Engine,
  ws: Workspace,
  from: number,
  to: number,
  first: number,
  last: number,
  keepOutputs: boolean,
  rowErrors: boolean,
  sink?: (row: number, rows: number, output: number) => void,
): void {
  const k = engine.kernels,
    { spec } = engine;
  const conditional = spec.classes > 0,
    labelFirst = spec.labelLayer === 0;
  // Rows of the inference region hold images (or codes, when starting at the decoder), without labels.
  const width = first === 0 ? spec.imageSize : spec.latent;
  const outWidth = spec.layers[last].outputs;
  const u8 = engine.layout.inferKind === 'u8';
  for (let row = from; row < to; row += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, to - row);
    let input: number;
    if (u8) {
      input = first === 0 && labelFirst ? ws.target : ws.input;
      k.u8ToF32(input, engine.at.inferIn + row * width, rows * width);
    } else {
      input = engine.at.inferIn + row * width * 4;
    }
    const labels = conditional ? { labels: engine.at.inferLabels + row, indices: 0 } : undefined;
    let x = input;
    if (first === 0 && labelFirst) {
      k.copyRows(ws.input, spec.inputSize, input, spec.imageSize, rows, spec.imageSize);
      k.oneHotRows(ws.input + spec.imageSize * 4, spec.inputSize, labels!.labels, 0, rows, spec.classes);
      x = ws.input;
    }
    engine.forward(ws, rows, x, first, last, { labels });
    const out = ws.acts[last];
    if (keepOutputs && sink) {
      sink(row, rows, out);
    } else if (keepOutputs) {
      const src = out >> 2,
        dst = (engine.at.inferOut >> 2) + row * outWidth;
      engine.arena.f32.copyWithin(dst, src, src + rows * outWidth);
    }
    if (rowErrors) k.rowSquaredError(engine.at.rowErrors + row * 4, out, input, rows, outWidth);
  }
}
