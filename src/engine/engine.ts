// The engine: forward and backward passes of the network over the memory plan, one training step
// over a range of chunks, inference in blocks. It knows the kernels and the layout, nothing of the
// public model class, so the same code can run in the caller or in a worker.
import type { Kernels } from '../runtime/wasm.js';
import { Arena, planLayout } from '../runtime/memory.js';
import type { LayerSpec, NetworkSpec } from './network.js';
import type { Prng } from '../util/prng.js';

/** Rows per chunk. A batch is cut into chunks of this size whatever the thread count, and each
 *  chunk's gradient is summed in chunk order, so the weights never depend on the thread count. */
export const CHUNK_ROWS = 64;

export interface OptimizerConfig {
  type: 'adam' | 'adamw' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
}

export type DatasetKind = 'u8' | 'f32';

/** Per-thread scratch: one chunk's inputs, targets, activations and two gradient buffers. */
export interface Workspace {
  input: number;
  target: number;
  acts: number[];
  gradA: number;
  gradB: number;
  rowError: number;
  staging: number;
}

type Region = 'params' | 'optA' | 'optB' | 'transposed' | 'workspaces' | 'lossPartials' | 'grads' | 'indices' | 'dataset';

export class Engine {
  readonly spec: NetworkSpec;
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly workspaces: Workspace[] = [];
  /** Byte offsets of the regions. */
  at!: Record<Region, number>;
  optimizer: OptimizerConfig;
  /** Completed optimizer steps (Adam's t). */
  step = 0;
  private maxChunks = 0;
  private datasetCount = 0;
  private datasetKind: DatasetKind = 'u8';

  constructor(kernels: Kernels, memory: WebAssembly.Memory, spec: NetworkSpec, optimizer: OptimizerConfig,
              workspaceCount = 1) {
    this.kernels = kernels;
    this.spec = spec;
    this.optimizer = optimizer;
    this.arena = new Arena(memory);
    this.layout(0, 0, 'u8', workspaceCount);
  }

  get paramCount(): number {
    return this.spec.paramCount;
  }

  /** The parameter vector (a view: re-read after anything that may grow memory). */
  params(): Float32Array {
    const at = this.at.params >> 2;
    return this.arena.f32.subarray(at, at + this.spec.paramCount);
  }

  /** Optimizer state: Adam's m and v, or SGD's velocity (second is empty). */
  optimizerState(): [Float32Array, Float32Array] {
    const P = this.spec.paramCount;
    const a = this.at.optA >> 2, b = this.at.optB >> 2;
    return [this.arena.f32.subarray(a, a + P), this.arena.f32.subarray(b, b + P)];
  }

  private workspaceBytes(): number {
    const { spec } = this;
    const widest = spec.maxWidth;
    let floats = CHUNK_ROWS * widest * 2 /* input, target */ + CHUNK_ROWS * widest * 2 /* grads */;
    for (const L of spec.layers) floats += CHUNK_ROWS * L.outputs;
    return (floats + CHUNK_ROWS) * 4 + CHUNK_ROWS * widest * 4 /* staging */ + 64 * (spec.layers.length + 8);
  }

  /**
   * (Re)plans the memory for batches of up to `batchSize` rows over `count` stored examples.
   * Parameters and optimizer state sit first and never move.
   */
  layout(batchSize: number, count: number, kind: DatasetKind, workspaceCount = this.workspaces.length || 1): void {
    const { spec } = this;
    const P = spec.paramCount * 4;
    const maxChunks = Math.max(1, Math.ceil(batchSize / CHUNK_ROWS));
    const rowBytes = spec.inputSize * (kind === 'u8' ? 1 : 4);
    const wsBytes = this.workspaceBytes();
    const { offsets, end } = planLayout<Region>(this.kernels.heapBase(), [
      ['params', P], ['optA', P], ['optB', P], ['transposed', spec.transposedCount * 4],
      ['workspaces', wsBytes * workspaceCount], ['lossPartials', maxChunks * 8], ['grads', P * maxChunks],
      ['indices', count * 4], ['dataset', count * rowBytes],
    ]);
    this.arena.ensure(end);
    this.at = offsets;
    this.maxChunks = maxChunks;
    this.datasetCount = count;
    this.datasetKind = kind;
    if (this.workspaces.length !== workspaceCount) {
      this.workspaces.length = 0;
      for (let w = 0; w < workspaceCount; w++) this.workspaces.push(this.carveWorkspace(offsets.workspaces + w * wsBytes));
    }
  }

  private carveWorkspace(base: number): Workspace {
    const { spec } = this;
    const rowsOf = (width: number): number => CHUNK_ROWS * width * 4;
    const regions: [string, number][] = [
      ['input', rowsOf(spec.maxWidth)], ['target', rowsOf(spec.maxWidth)],
      ['gradA', rowsOf(spec.maxWidth)], ['gradB', rowsOf(spec.maxWidth)],
      ['rowError', CHUNK_ROWS * 4], ['staging', rowsOf(spec.maxWidth)],
      ...spec.layers.map((L, l): [string, number] => [`act${l}`, rowsOf(L.outputs)]),
    ];
    const { offsets } = planLayout(base, regions);
    return {
      input: offsets.input, target: offsets.target, gradA: offsets.gradA, gradB: offsets.gradB,
      rowError: offsets.rowError, staging: offsets.staging,
      acts: spec.layers.map((_, l) => offsets[`act${l}`]),
    };
  }

  /** Glorot-uniform weights and zero biases (the Keras defaults); resets the optimizer. */
  initialize(prng: Prng): void {
    const p = this.params();
    p.fill(0);
    for (const L of this.spec.layers) {
      const limit = Math.sqrt(6 / (L.inputs + L.outputs));
      const n = L.inputs * L.outputs;
      for (let i = 0; i < n; i++) p[L.weightOffset + i] = (2 * prng.next() - 1) * limit;
    }
    this.resetOptimizer();
    this.refreshTransposed();
  }

  resetOptimizer(): void {
    const [a, b] = this.optimizerState();
    a.fill(0);
    b.fill(0);
    this.step = 0;
  }

  /** Wᵀ for every layer that propagates a gradient to its input (all but the first). */
  refreshTransposed(): void {
    const k = this.kernels;
    for (const L of this.spec.layers) {
      if (L.transposedOffset < 0) continue;
      k.transpose(this.at.transposed + L.transposedOffset * 4, this.at.params + L.weightOffset * 4, L.inputs, L.outputs);
    }
  }

  /** Plans room for `capacity` stored examples of `kind`, and for batches of up to `batchSize` rows. */
  reserveDataset(capacity: number, kind: DatasetKind, batchSize: number): void {
    this.layout(batchSize, capacity, kind);
  }

  /** Stores all `count` examples of `data` (the resident mode: `order` then picks them by index). */
  storeDataset(data: Uint8Array | Float32Array, count: number): void {
    this.storeRows(data, 0, count, 0);
  }

  /**
   * Stores examples order[from], …, order[from + rows - 1] of `data` as stored rows 0…rows-1 (the
   * streamed mode: one batch at a time, so the data set is not held twice, once by the caller and
   * once here).
   */
  stageBatch(data: Uint8Array | Float32Array, order: Uint32Array, from: number, rows: number): void {
    for (let r = 0; r < rows; r++) this.storeRows(data, order[from + r], 1, r);
  }

  private storeRows(data: Uint8Array | Float32Array, row: number, rows: number, at: number): void {
    const size = this.spec.inputSize;
    if (at + rows > this.datasetCount) throw new Error(`engine: storing ${rows} rows at ${at} exceeds the ${this.datasetCount} reserved`);
    const src = data.subarray(row * size, (row + rows) * size);
    if (this.datasetKind === 'u8') {
      if (!(src instanceof Uint8Array)) throw new Error('engine: the reserved data set holds bytes, got floats');
      this.arena.u8.set(src, this.at.dataset + at * size);
    } else {
      if (!(src instanceof Float32Array)) throw new Error('engine: the reserved data set holds floats, got bytes');
      this.arena.f32.set(src, (this.at.dataset >> 2) + at * size);
    }
  }

  /** The order in which examples are visited (an epoch's shuffle). */
  setOrder(order: Uint32Array): void {
    if (order.length !== this.datasetCount) throw new Error(`engine: order has ${order.length} entries for ${this.datasetCount} examples`);
    this.arena.u32.set(order, this.at.indices >> 2);
  }

  // ---- training ------------------------------------------------------------------------------

  /**
   * Gradient of one chunk: rows [first, first + rows) of the current order, into chunk `c`'s
   * partial-gradient buffer. Returns the chunk's loss sum.
   */
  chunkGradient(ws: Workspace, c: number, first: number, rows: number, scale: number): number {
    const k = this.kernels, { spec } = this;
    const P = spec.paramCount;
    const grad = this.at.grads + c * P * 4;
    k.zeroF32(grad, P);
    const indices = this.at.indices + first * 4;
    if (this.datasetKind === 'u8') k.gatherRowsU8(ws.input, this.at.dataset, indices, rows, spec.inputSize);
    else k.gatherRowsF32(ws.input, this.at.dataset, indices, rows, spec.inputSize);
    const loss = this.forwardBackward(ws, rows, grad, ws.input, scale);
    this.arena.f64[(this.at.lossPartials >> 3) + c] = loss;
    return loss;
  }

  /** Sums chunk partials 1..chunks-1 into partial 0 over floats [from, to), in chunk order. */
  reduceGradients(chunks: number, from: number, to: number): void {
    const k = this.kernels, P = this.spec.paramCount;
    const base = this.at.grads + from * 4;
    for (let c = 1; c < chunks; c++) k.addF32(base, base + c * P * 4, to - from);
  }

  /** Mean loss of a batch from its chunk loss sums, added in chunk order. */
  batchLoss(chunks: number, rows: number): number {
    const f64 = this.arena.f64, at = this.at.lossPartials >> 3;
    let sum = 0;
    for (let c = 0; c < chunks; c++) sum += f64[at + c];
    return sum / (rows * this.spec.outputSize);
  }

  /** One optimizer step over parameters [from, to) with the reduced gradient; `t` is the step number (1-based). */
  applyOptimizer(t: number, from: number, to: number): void {
    const k = this.kernels, o = this.optimizer;
    const n = to - from, off = from * 4;
    const p = this.at.params + off, g = this.at.grads + off;
    if (o.type === 'sgd') {
      k.sgdStep(p, g, o.momentum !== 0 ? this.at.optA + off : 0, n, o.learningRate, o.momentum, o.nesterov ? 1 : 0);
    } else {
      const alpha = o.learningRate * Math.sqrt(1 - o.beta2 ** t) / (1 - o.beta1 ** t);
      const decay = o.type === 'adamw' ? o.learningRate * o.weightDecay : 0;
      k.adamStep(p, g, this.at.optA + off, this.at.optB + off, n, alpha, o.beta1, o.beta2, o.epsilon, decay);
    }
  }

  /**
   * One training step on rows [start, start + rows) of the current order, in this thread.
   * Returns the batch's mean loss. A non-finite loss leaves the weights as they were.
   */
  trainBatch(start: number, rows: number): number {
    const chunks = Math.ceil(rows / CHUNK_ROWS);
    if (chunks > this.maxChunks) throw new Error(`engine: batch of ${rows} rows exceeds the planned ${this.maxChunks * CHUNK_ROWS}`);
    const scale = 1 / (rows * this.spec.outputSize);
    const ws = this.workspaces[0];
    for (let c = 0; c < chunks; c++) {
      this.chunkGradient(ws, c, start + c * CHUNK_ROWS, Math.min(CHUNK_ROWS, rows - c * CHUNK_ROWS), scale);
    }
    const loss = this.batchLoss(chunks, rows);
    if (!Number.isFinite(loss)) return loss;
    this.reduceGradients(chunks, 0, this.spec.paramCount);
    this.step += 1;
    this.applyOptimizer(this.step, 0, this.spec.paramCount);
    this.refreshTransposed();
    return loss;
  }

  /** Forward and backward of `rows` rows in `ws.input` against `target`; gradients added into `grad`. */
  forwardBackward(ws: Workspace, rows: number, grad: number, target: number, scale: number): number {
    const k = this.kernels, { spec } = this;
    const layers = spec.layers, last = layers.length - 1;
    this.forward(ws, rows, ws.input, 0, last, spec.loss === 'bce');
    const y = ws.acts[last];
    const n = rows * spec.outputSize;
    let d = ws.gradA, other = ws.gradB;
    let lossSum: number;
    if (spec.loss === 'bce') {
      lossSum = k.bceSigmoidLoss(d, y, y, target, n, scale);
    } else {
      lossSum = k.mseLoss(d, y, target, n, scale);
      this.activationBackward(layers[last], d, y, n);
    }
    for (let l = last; l >= 0; l--) {
      const L = layers[l];
      if (l < last) this.activationBackward(L, d, ws.acts[l], rows * L.outputs);
      const inp = l === 0 ? ws.input : ws.acts[l - 1];
      k.gemmTN(grad + L.weightOffset * 4, inp, d, L.inputs, rows, L.outputs);
      k.biasBackward(grad + L.biasOffset * 4, d, rows, L.outputs);
      if (l > 0) {
        k.gemmNN(other, d, this.at.transposed + L.transposedOffset * 4, 0, rows, L.outputs, L.inputs);
        const t = d; d = other; other = t;
      }
    }
    return lossSum;
  }

  /**
   * Layers [first, last] on `rows` rows starting at `input`; returns the output's offset.
   * `logitsOut` leaves the last layer's sigmoid to a fused loss.
   */
  forward(ws: Workspace, rows: number, input: number, first: number, last: number, logitsOut = false): number {
    const k = this.kernels, params = this.at.params;
    let x = input;
    for (let l = first; l <= last; l++) {
      const L = this.spec.layers[l];
      const out = ws.acts[l];
      k.gemmNN(out, x, params + L.weightOffset * 4, params + L.biasOffset * 4, rows, L.inputs, L.outputs);
      if (!(logitsOut && l === last)) this.activate(L, out, rows * L.outputs);
      x = out;
    }
    return x;
  }

  private activate(L: LayerSpec, at: number, n: number): void {
    const k = this.kernels;
    switch (L.activation) {
      case 'relu': k.reluForward(at, at, n); break;
      case 'leakyRelu': k.leakyReluForward(at, at, n, L.alpha); break;
      case 'sigmoid': k.sigmoidForward(at, at, n); break;
      case 'tanh': k.tanhForward(at, at, n); break;
      case 'linear': break;
    }
  }

  /** d ← d ⊙ f'(y), in place, from the layer's output y. */
  private activationBackward(L: LayerSpec, d: number, y: number, n: number): void {
    const k = this.kernels;
    switch (L.activation) {
      case 'relu': k.reluBackward(d, d, y, n); break;
      case 'leakyRelu': k.leakyReluBackward(d, d, y, n, L.alpha); break;
      case 'sigmoid': k.sigmoidBackward(d, d, y, n); break;
      case 'tanh': k.tanhBackward(d, d, y, n); break;
      case 'linear': break;
    }
  }

  // ---- inference -----------------------------------------------------------------------------

  /** Copies rows [row, row + rows) of `data` (width floats or bytes per row) into `to` as f32. */
  loadRows(ws: Workspace, to: number, data: Uint8Array | Float32Array, row: number, rows: number, width: number): void {
    const from = row * width, n = rows * width;
    if (data instanceof Uint8Array) {
      this.arena.u8.set(data.subarray(from, from + n), ws.staging);
      this.kernels.u8ToF32(to, ws.staging, n);
    } else {
      this.arena.f32.set(data.subarray(from, from + n), to >> 2);
    }
  }

  /**
   * Runs layers [first, last] over `count` rows of `input` in blocks of CHUNK_ROWS, calling
   * `each(outputOffset, row, rows, inputOffset)` after every block.
   */
  inferBlocks(ws: Workspace, input: Uint8Array | Float32Array, count: number, first: number, last: number,
              each: (output: number, row: number, rows: number, inputAt: number) => void, fromRow = 0, toRow = count): void {
    const width = this.spec.layers[first].inputs;
    for (let row = fromRow; row < toRow; row += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, toRow - row);
      this.loadRows(ws, ws.input, input, row, rows, width);
      const out = this.forward(ws, rows, ws.input, first, last);
      each(out, row, rows, ws.input);
    }
  }

  /** Per-row sum of squared errors between the output at `output` and the input at `inputAt`. */
  rowErrors(ws: Workspace, output: number, inputAt: number, rows: number): Float32Array {
    this.kernels.rowSquaredError(ws.rowError, output, inputAt, rows, this.spec.outputSize);
    return this.arena.f32.subarray(ws.rowError >> 2, (ws.rowError >> 2) + rows);
  }
}
