// The engine: forward and backward passes of the network over the memory plan, a training step
// split into the part each thread does, and inference over ranges of rows. It knows the kernels
// and the layout, nothing of the public model class or of workers, so the same code runs in the
// caller (one thread) or in every worker.
import type { Kernels } from '../runtime/wasm.js';
import { Arena, planLayout } from '../runtime/memory.js';
import type { LayerSpec, NetworkSpec } from './network.js';
import type { Prng } from '../util/prng.js';

/** Rows per chunk. A batch is cut into chunks of this size whatever the thread count, and each
 *  chunk's gradient is summed in chunk order, so the weights never depend on the thread count. */
export const CHUNK_ROWS = 64;
/** Bytes of the control block (barrier words, flags), at the start of the shared regions. */
export const CONTROL_BYTES = 256;

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

export type DataKind = 'u8' | 'f32';

/** Per-thread scratch: one chunk's inputs, activations and two gradient buffers. */
export interface Workspace {
  input: number;
  gradA: number;
  gradB: number;
  acts: number[];
}

type Region = 'control' | 'params0' | 'params1' | 'optA0' | 'optA1' | 'optB0' | 'optB1' | 'transposed' |
  'workspaces' | 'lossPartials' | 'grads' | 'indices' | 'dataset' | 'inferIn' | 'inferOut' | 'rowErrors';

export interface LayoutRequest {
  /** Largest batch a step will take. */
  batchSize: number;
  /** Examples the dataset region holds (a whole data set, or one batch when streaming). */
  datasetRows: number;
  datasetKind: DataKind;
  /** Rows the inference regions hold. */
  inferRows: number;
  inferKind: DataKind;
  workspaces: number;
}

/** Byte offsets of everything, as plain data: a worker adopts the caller's layout as it is. */
export interface Layout extends LayoutRequest {
  at: Record<Region, number>;
  workspaceList: Workspace[];
  maxChunks: number;
  end: number;
}

/** The floats [from, to) of the parameter vector one thread updates, and the rows of each
 *  weight matrix inside them (which that thread then transposes). */
export interface ParamSlice {
  from: number;
  to: number;
  bands: { layer: number; rowFrom: number; rowTo: number }[];
}

export class Engine {
  readonly spec: NetworkSpec;
  readonly kernels: Kernels;
  readonly arena: Arena;
  layout!: Layout;
  optimizer: OptimizerConfig;
  /** Completed optimizer steps (Adam's t). Parameters and optimizer state of step s live in bank s mod 2. */
  step = 0;

  constructor(kernels: Kernels, memory: WebAssembly.Memory, spec: NetworkSpec, optimizer: OptimizerConfig) {
    this.kernels = kernels;
    this.spec = spec;
    this.optimizer = optimizer;
    this.arena = new Arena(memory);
  }

  get paramCount(): number {
    return this.spec.paramCount;
  }

  get at(): Record<Region, number> {
    return this.layout.at;
  }

  get workspaces(): Workspace[] {
    return this.layout.workspaceList;
  }

  private bankAt(region: 'params' | 'optA' | 'optB', step = this.step): number {
    return this.layout.at[`${region}${step & 1}` as Region];
  }

  /** Offset of the current parameters. */
  get paramsAt(): number {
    return this.bankAt('params');
  }

  /** The current parameter vector (a view: re-read after anything that may grow memory). */
  params(): Float32Array {
    const at = this.paramsAt >> 2;
    return this.arena.f32.subarray(at, at + this.spec.paramCount);
  }

  /** Current optimizer state: Adam's m and v, or SGD's velocity (and an unused vector). */
  optimizerState(): [Float32Array, Float32Array] {
    const P = this.spec.paramCount, f32 = this.arena.f32;
    const a = this.bankAt('optA') >> 2, b = this.bankAt('optB') >> 2;
    return [f32.subarray(a, a + P), f32.subarray(b, b + P)];
  }

  private workspaceBytes(): number {
    const { spec } = this;
    let floats = CHUNK_ROWS * spec.maxWidth * 3;
    for (const L of spec.layers) floats += CHUNK_ROWS * L.outputs;
    return floats * 4 + 64 * (spec.layers.length + 4);
  }

  /**
   * Plans the memory. Parameters, optimizer state and transposed weights come first and never
   * move; the rest is re-planned for each batch size and data set. Only the thread that owns the
   * memory plans; workers adopt() the result.
   */
  plan(request: LayoutRequest): Layout {
    const { spec } = this;
    const P = spec.paramCount * 4;
    const maxChunks = Math.max(1, Math.ceil(request.batchSize / CHUNK_ROWS));
    const bytesPer = (kind: DataKind): number => (kind === 'u8' ? 1 : 4);
    const wsBytes = this.workspaceBytes();
    const { offsets, end } = planLayout<Region>(this.kernels.heapBase(), [
      ['control', CONTROL_BYTES],
      ['params0', P], ['params1', P], ['optA0', P], ['optA1', P], ['optB0', P], ['optB1', P],
      ['transposed', spec.transposedCount * 4],
      ['workspaces', wsBytes * request.workspaces], ['lossPartials', maxChunks * 8], ['grads', P * maxChunks],
      ['rowErrors', request.inferRows * 4],
      ['inferIn', request.inferRows * spec.maxWidth * bytesPer(request.inferKind)],
      ['inferOut', request.inferRows * spec.maxWidth * 4],
      ['indices', request.datasetRows * 4],
      ['dataset', request.datasetRows * spec.inputSize * bytesPer(request.datasetKind)],
    ]);
    this.arena.ensure(end);
    const workspaceList: Workspace[] = [];
    for (let w = 0; w < request.workspaces; w++) workspaceList.push(this.carveWorkspace(offsets.workspaces + w * wsBytes));
    this.layout = { ...request, at: offsets, workspaceList, maxChunks, end };
    return this.layout;
  }

  /** Takes a layout planned by another thread over the same memory. */
  adopt(layout: Layout): void {
    this.arena.refresh();
    if (this.arena.byteLength < layout.end) throw new Error(`engine: memory has ${this.arena.byteLength} bytes, the layout needs ${layout.end}`);
    this.layout = layout;
  }

  private carveWorkspace(base: number): Workspace {
    const { spec } = this;
    const rowsOf = (width: number): number => CHUNK_ROWS * width * 4;
    const { offsets } = planLayout(base, [
      ['input', rowsOf(spec.maxWidth)], ['gradA', rowsOf(spec.maxWidth)], ['gradB', rowsOf(spec.maxWidth)],
      ...spec.layers.map((L, l): [string, number] => [`act${l}`, rowsOf(L.outputs)]),
    ]);
    return {
      input: offsets.input, gradA: offsets.gradA, gradB: offsets.gradB,
      acts: spec.layers.map((_, l) => offsets[`act${l}`]),
    };
  }

  /** Glorot-uniform weights and zero biases (the Keras defaults); resets the optimizer. */
  initialize(prng: Prng): void {
    this.step = 0;
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

  /** Zero optimizer state, keeping the step count's bank. */
  resetOptimizer(): void {
    const [a, b] = this.optimizerState();
    a.fill(0);
    b.fill(0);
  }

  /** Wᵀ of the current weights, for every layer that propagates a gradient to its input. */
  refreshTransposed(): void {
    const k = this.kernels, params = this.paramsAt;
    for (const L of this.spec.layers) {
      if (L.transposedOffset < 0) continue;
      k.transpose(this.at.transposed + L.transposedOffset * 4, params + L.weightOffset * 4, L.inputs, L.outputs);
    }
  }

  // ---- data ----------------------------------------------------------------------------------

  /** Copies rows [row, row + rows) of `data` into the dataset region at row `at`. */
  storeRows(data: Uint8Array | Float32Array, row: number, rows: number, at: number): void {
    this.copyRows(data, row, rows, this.at.dataset, at, this.spec.inputSize, this.layout.datasetKind, this.layout.datasetRows);
  }

  /** Copies examples order[from…from+rows) of `data` to dataset rows 0…rows-1 (streaming one batch). */
  stageBatch(data: Uint8Array | Float32Array, order: Uint32Array, from: number, rows: number): void {
    for (let r = 0; r < rows; r++) this.storeRows(data, order[from + r], 1, r);
  }

  /** Copies rows of `data` (width values each) into the inference input region at row `at`. */
  storeInferRows(data: Uint8Array | Float32Array, row: number, rows: number, at: number, width: number): void {
    this.copyRows(data, row, rows, this.at.inferIn, at, width, this.layout.inferKind, this.layout.inferRows);
  }

  private copyRows(data: Uint8Array | Float32Array, row: number, rows: number, base: number, at: number,
                   width: number, kind: DataKind, capacity: number): void {
    if (at + rows > capacity) throw new Error(`engine: ${rows} rows at row ${at} exceed the ${capacity} planned`);
    const src = data.subarray(row * width, (row + rows) * width);
    if (kind === 'u8') {
      if (!(src instanceof Uint8Array)) throw new Error('engine: this region holds bytes, got floats');
      this.arena.u8.set(src, base + at * width);
    } else {
      if (!(src instanceof Float32Array)) throw new Error('engine: this region holds floats, got bytes');
      this.arena.f32.set(src, (base >> 2) + at * width);
    }
  }

  /** The order in which dataset rows are visited (an epoch's shuffle, or the identity). */
  setOrder(order: Uint32Array): void {
    if (order.length > this.layout.datasetRows) throw new Error(`engine: order has ${order.length} entries for ${this.layout.datasetRows} rows`);
    this.arena.u32.set(order, this.at.indices >> 2);
  }

  // ---- training ------------------------------------------------------------------------------

  /**
   * Splits the parameter vector into `threads` contiguous slices of about equal size, cut only
   * between rows of weight matrices, so each thread can also transpose the rows it updated.
   */
  paramSlices(threads: number): ParamSlice[] {
    const units: { from: number; to: number; layer: number; row: number }[] = [];
    this.spec.layers.forEach((L, l) => {
      for (let i = 0; i < L.inputs; i++) {
        const from = L.weightOffset + i * L.outputs;
        units.push({ from, to: i === L.inputs - 1 ? L.biasOffset : from + L.outputs, layer: l, row: i });
      }
      const next = l + 1 < this.spec.layers.length ? this.spec.layers[l + 1].weightOffset : this.spec.paramCount;
      units.push({ from: L.biasOffset, to: next, layer: l, row: -1 });
    });
    const slices: ParamSlice[] = [];
    let u = 0;
    for (let t = 0; t < threads; t++) {
      const target = (this.spec.paramCount * (t + 1)) / threads;
      const slice: ParamSlice = { from: u < units.length ? units[u].from : this.spec.paramCount, to: 0, bands: [] };
      while (u < units.length && (units[u].to <= target || t === threads - 1)) {
        const unit = units[u++];
        if (unit.row >= 0) {
          const band = slice.bands[slice.bands.length - 1];
          if (band && band.layer === unit.layer && band.rowTo === unit.row) band.rowTo++;
          else slice.bands.push({ layer: unit.layer, rowFrom: unit.row, rowTo: unit.row + 1 });
        }
      }
      slice.to = u > 0 ? units[u - 1].to : 0;
      if (slice.to < slice.from) slice.to = slice.from;
      slices.push(slice);
    }
    return slices;
  }

  /** Chunks of a batch of `rows` rows. */
  static chunksOf(rows: number): number {
    return Math.ceil(rows / CHUNK_ROWS);
  }

  /**
   * Thread `t` of `threads`: gradients of chunks t, t + threads, … of the batch at rows
   * [start, start + rows) of the current order.
   */
  computeChunks(t: number, threads: number, start: number, rows: number): void {
    const chunks = Engine.chunksOf(rows);
    if (chunks > this.layout.maxChunks) throw new Error(`engine: batch of ${rows} rows exceeds the planned ${this.layout.maxChunks * CHUNK_ROWS}`);
    const scale = 1 / (rows * this.spec.outputSize);
    const ws = this.workspaces[t];
    for (let c = t; c < chunks; c += threads) {
      this.chunkGradient(ws, c, start + c * CHUNK_ROWS, Math.min(CHUNK_ROWS, rows - c * CHUNK_ROWS), scale);
    }
  }

  /** Mean loss of a batch from its chunk loss sums, added in chunk order. */
  batchLoss(rows: number): number {
    const chunks = Engine.chunksOf(rows);
    const f64 = this.arena.f64, at = this.at.lossPartials >> 3;
    let sum = 0;
    for (let c = 0; c < chunks; c++) sum += f64[at + c];
    return sum / (rows * this.spec.outputSize);
  }

  /**
   * One slice's share of the update once every chunk's gradient is in: sum the partials in chunk
   * order, step the optimizer from this bank into the next, transpose the updated rows.
   */
  updateSlice(slice: ParamSlice, rows: number): void {
    const k = this.kernels, o = this.optimizer, P = this.spec.paramCount;
    const chunks = Engine.chunksOf(rows);
    const n = slice.to - slice.from, off = slice.from * 4;
    if (n > 0) {
      const g = this.at.grads + off;
      for (let c = 1; c < chunks; c++) k.addF32(g, g + c * P * 4, n);
      const t = this.step + 1;
      const p = this.bankAt('params') + off, pNext = this.bankAt('params', t) + off;
      const a = this.bankAt('optA') + off, aNext = this.bankAt('optA', t) + off;
      const b = this.bankAt('optB') + off, bNext = this.bankAt('optB', t) + off;
      if (o.type === 'sgd') {
        const withVelocity = o.momentum !== 0;
        k.sgdStep(pNext, p, g, withVelocity ? aNext : 0, withVelocity ? a : 0, n, o.learningRate, o.momentum, o.nesterov ? 1 : 0);
      } else {
        const alpha = o.learningRate * Math.sqrt(1 - o.beta2 ** t) / (1 - o.beta1 ** t);
        const decay = o.type === 'adamw' ? o.learningRate * o.weightDecay : 0;
        k.adamStep(pNext, p, g, aNext, a, bNext, b, n, alpha, o.beta1, o.beta2, o.epsilon, decay);
      }
    }
    const next = this.bankAt('params', this.step + 1);
    for (const { layer, rowFrom, rowTo } of slice.bands) {
      const L = this.spec.layers[layer];
      if (L.transposedOffset < 0) continue;
      k.transposeInto(this.at.transposed + (L.transposedOffset + rowFrom) * 4, next + (L.weightOffset + rowFrom * L.outputs) * 4,
        rowTo - rowFrom, L.outputs, L.inputs);
    }
  }

  /**
   * One whole training step in this thread on rows [start, start + rows) of the current order.
   * Returns the batch's mean loss; a non-finite loss leaves the weights as they were.
   */
  trainBatch(start: number, rows: number): number {
    this.computeChunks(0, 1, start, rows);
    const loss = this.batchLoss(rows);
    if (!Number.isFinite(loss)) return loss;
    this.updateSlice({ from: 0, to: this.spec.paramCount, bands: this.allBands() }, rows);
    this.step += 1;
    return loss;
  }

  private allBands(): ParamSlice['bands'] {
    return this.spec.layers.map((L, layer) => ({ layer, rowFrom: 0, rowTo: L.inputs }));
  }

  /** Gradient of one chunk into chunk `c`'s partial-gradient buffer; records its loss sum. */
  chunkGradient(ws: Workspace, c: number, first: number, rows: number, scale: number): void {
    const k = this.kernels, { spec } = this;
    const P = spec.paramCount;
    const grad = this.at.grads + c * P * 4;
    k.zeroF32(grad, P);
    const indices = this.at.indices + first * 4;
    if (this.layout.datasetKind === 'u8') k.gatherRowsU8(ws.input, this.at.dataset, indices, rows, spec.inputSize);
    else k.gatherRowsF32(ws.input, this.at.dataset, indices, rows, spec.inputSize);
    this.arena.f64[(this.at.lossPartials >> 3) + c] = this.forwardBackward(ws, rows, grad, ws.input, scale);
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
    const k = this.kernels, params = this.paramsAt;
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

  /**
   * Layers [first, last] over rows [from, to) of the inference input region, in blocks of
   * CHUNK_ROWS through workspace `ws`. Writes the outputs to the inference output region when
   * `keepOutputs`, and, when `rowErrors`, each row's summed squared error against its input.
   */
  inferRange(ws: Workspace, from: number, to: number, first: number, last: number, keepOutputs: boolean, rowErrors: boolean): void {
    const k = this.kernels, { spec } = this;
    const width = spec.layers[first].inputs, outWidth = spec.layers[last].outputs;
    const u8 = this.layout.inferKind === 'u8';
    for (let row = from; row < to; row += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, to - row);
      let input: number;
      if (u8) {
        k.u8ToF32(ws.input, this.at.inferIn + row * width, rows * width);
        input = ws.input;
      } else {
        input = this.at.inferIn + row * width * 4;
      }
      const out = this.forward(ws, rows, input, first, last);
      if (keepOutputs) {
        const src = out >> 2, dst = (this.at.inferOut >> 2) + row * outWidth;
        this.arena.f32.copyWithin(dst, src, src + rows * outWidth);
      }
      if (rowErrors) k.rowSquaredError(this.at.rowErrors + row * 4, out, input, rows, outWidth);
    }
  }
}
