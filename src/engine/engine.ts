// The engine: forward and backward passes of the network over the memory plan (passes.ts), and a training step
// split into the part each thread does (inference over ranges of rows is infer.ts). It knows the kernels
// and the layout, nothing of the public model class or of workers, so the same code runs in the
// caller (one thread) or in every worker.
import type { Kernels } from '../runtime/wasm.js';
import { Arena } from '../runtime/memory.js';
import type { NetworkSpec } from './network.js';
import { forward, forwardBackward } from './passes.js';
import {
  CHUNK_ROWS,
  CONTROL_UPDATE_FAILED,
  MAX_MEMORY_BYTES,
  paramSlices,
  planEngineLayout,
  type DataKind,
  type Layout,
  type LayoutRequest,
  type ParamSlice,
  type Region,
  type Workspace,
} from './layout.js';
import { NO_CORRUPTION, stepSeed, type Corruption, type OptimizerConfig, type SampleOptions } from './training.js';
import type { Prng } from '../util/prng.js';

export { CHUNK_ROWS, CONTROL_BYTES } from './layout.js';
export type { DataKind, Layout, LayoutRequest, ParamSlice, Workspace } from './layout.js';
export { NO_CORRUPTION, stepSeed, type Corruption, type OptimizerConfig, type SampleOptions };

/** Floats per block of the update (sum of partials, then the optimizer): 8 KB per stream, so the
 *  ten streams of an Adam block (four partials, p, m, v and their next banks) stay in L1/L2. A
 *  multiple of 4, so only a slice's last block has a vector tail, as a whole pass would. */
const UPDATE_BLOCK = 2048;

export class Engine {
  readonly spec: NetworkSpec;
  /** Replaced only by the benchmarks' instrumentKernels (model/internal.ts). */
  kernels: Kernels;
  readonly arena: Arena;
  layout!: Layout;
  optimizer: OptimizerConfig;
  /** Completed optimizer steps (Adam's t). Parameters and optimizer state of step s live in bank s mod 2. */
  step = 0;
  /** Seed of the per-step noise (corruption, variational samples). */
  seed = 0;
  /** Input corruption while training (denoising); none by default. */
  corruption: Corruption = NO_CORRUPTION;

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
    const P = this.spec.paramCount,
      f32 = this.arena.f32;
    const a = this.bankAt('optA') >> 2,
      b = this.bankAt('optB') >> 2;
    return [f32.subarray(a, a + P), f32.subarray(b, b + P)];
  }

  /** Plans the memory for `request` and grows it to fit. Only the thread that owns the memory
   *  plans; workers adopt() the result. */
  plan(request: LayoutRequest, fn = 'engine'): Layout {
    const layout = planEngineLayout(this.spec, this.kernels.heapBase(), request);
    if (layout.end > MAX_MEMORY_BYTES) {
      throw new Error(
        `${fn}: this needs ${Math.ceil(layout.end / 2 ** 20)} MiB of memory (batch ${request.batchSize}, ${request.datasetRows} rows held, ${request.workspaces} threads), more than the ${MAX_MEMORY_BYTES / 2 ** 20} MiB a model may use`,
      );
    }
    this.arena.ensure(layout.end);
    this.layout = layout;
    return layout;
  }

  /** The slices of the parameter vector `threads` threads update (layout.ts). */
  paramSlices(threads: number): ParamSlice[] {
    return paramSlices(this.spec, threads);
  }

  /** Takes a layout planned by another thread over the same memory. */
  adopt(layout: Layout): void {
    this.arena.refresh();
    if (this.arena.byteLength < layout.end)
      throw new Error(`engine: memory has ${this.arena.byteLength} bytes, the layout needs ${layout.end}`);
    this.layout = layout;
  }

  /** Glorot-uniform weights and zero biases (the Keras defaults); resets the optimizer. */
  initialize(prng: Prng): void {
    this.step = 0;
    const p = this.params();
    p.fill(0);
    for (const L of this.spec.layers) {
      const limit = Math.sqrt(6 / L.fans);
      const n = L.weightRows * L.weightCols;
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
    const k = this.kernels,
      params = this.paramsAt;
    for (const L of this.spec.layers) {
      if (L.transposedOffset < 0) continue;
      k.transpose(this.at.transposed + L.transposedOffset * 4, params + L.weightOffset * 4, L.weightRows, L.weightCols);
    }
  }

  // ---- data ----------------------------------------------------------------------------------

  /** Copies rows [row, row + rows) of `data` (and their labels) into the dataset region at row `at`. */
  storeRows(data: Uint8Array | Float32Array, row: number, rows: number, at: number, labels?: Uint8Array): void {
    this.copyRows(
      data,
      row,
      rows,
      this.at.dataset,
      at,
      this.spec.imageSize,
      this.layout.datasetKind,
      this.layout.datasetRows,
    );
    if (labels && this.spec.classes > 0) this.arena.u8.set(labels.subarray(row, row + rows), this.at.labels + at);
  }

  /** Copies examples order[from…from+rows) of `data` to dataset rows 0…rows-1 (streaming one batch). */
  stageBatch(
    data: Uint8Array | Float32Array,
    order: Uint32Array,
    from: number,
    rows: number,
    labels?: Uint8Array,
  ): void {
    for (let r = 0; r < rows; r++) this.storeRows(data, order[from + r], 1, r, labels);
  }

  /** Labels of the rows in the inference input region (conditional models). */
  storeInferLabels(labels: Uint8Array, row: number, rows: number, at: number): void {
    this.arena.u8.set(labels.subarray(row, row + rows), this.at.inferLabels + at);
  }

  /** Copies rows of `data` (width values each) into the inference input region at row `at`. */
  storeInferRows(data: Uint8Array | Float32Array, row: number, rows: number, at: number, width: number): void {
    this.copyRows(data, row, rows, this.at.inferIn, at, width, this.layout.inferKind, this.layout.inferRows);
  }

  private copyRows(
    data: Uint8Array | Float32Array,
    row: number,
    rows: number,
    base: number,
    at: number,
    width: number,
    kind: DataKind,
    capacity: number,
  ): void {
    if (at + rows > capacity) throw new Error(`engine: ${rows} rows at row ${at} exceed the ${capacity} planned`);
    const src = data.subarray(row * width, (row + rows) * width);
    if (kind === 'u8' ? !(src instanceof Uint8Array) : !(src instanceof Float32Array)) {
      throw new Error(`engine: this region holds ${kind === 'u8' ? 'bytes, got floats' : 'floats, got bytes'}`);
    }
    const to = base + at * width * src.BYTES_PER_ELEMENT;
    if (src.buffer === this.arena.u8.buffer) {
      // Rows of this memory (a stored data set): set() would first copy them out of it.
      this.arena.u8.copyWithin(to, src.byteOffset, src.byteOffset + src.byteLength);
    } else if (kind === 'u8') {
      this.arena.u8.set(src, to);
    } else {
      this.arena.f32.set(src as Float32Array, to >> 2);
    }
  }

  /** The order in which dataset rows are visited (an epoch's shuffle, or the identity). */
  setOrder(order: Uint32Array): void {
    if (order.length > this.layout.datasetRows)
      throw new Error(`engine: order has ${order.length} entries for ${this.layout.datasetRows} rows`);
    this.arena.u32.set(order, this.at.indices >> 2);
  }

  // ---- training ------------------------------------------------------------------------------

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
    if (chunks > this.layout.maxChunks)
      throw new Error(`engine: batch of ${rows} rows exceeds the planned ${this.layout.maxChunks * CHUNK_ROWS}`);
    const scale = 1 / (rows * this.spec.outputSize);
    const ws = this.workspaces[t];
    for (let c = t; c < chunks; c += threads) {
      // One thread adds each chunk's gradient to chunk 0's as soon as it is made (the same sums in
      // the same chunk order as updateSlice's), so one partial buffer, still in cache, serves every
      // chunk after the first, rather than each leaving its own for the update to read back.
      const alone = threads === 1 && c > 0;
      this.chunkGradient(
        ws,
        c,
        start + c * CHUNK_ROWS,
        Math.min(CHUNK_ROWS, rows - c * CHUNK_ROWS),
        scale,
        alone ? 1 : c,
      );
      if (alone) this.kernels.addF32(this.at.grads, this.at.grads + this.spec.paramCount * 4, this.spec.paramCount);
    }
  }

  /** Mean loss of a batch from its chunk loss sums, added in chunk order. */
  batchLoss(rows: number): number {
    const chunks = Engine.chunksOf(rows);
    const f64 = this.arena.f64,
      at = this.at.lossPartials >> 3;
    let sum = 0;
    for (let c = 0; c < chunks; c++) sum += f64[at + c];
    return sum / (rows * this.spec.outputSize);
  }

  /**
   * One slice's share of the update once every chunk's gradient is in: sum the partials in chunk
   * order, step the optimizer from this bank into the next, transpose the updated rows. The sum and
   * the optimizer go block by block (UPDATE_BLOCK floats), so the summed gradient is read back
   * from L1 rather than from memory; both are element-wise, so the bits are those of whole passes.
   * With one thread, computeChunks has already summed the partials into chunk 0's.
   */
  updateSlice(slice: ParamSlice, rows: number, threads: number): void {
    const k = this.kernels,
      o = this.optimizer,
      P = this.spec.paramCount;
    const chunks = Engine.chunksOf(rows);
    const n = slice.to - slice.from,
      off = slice.from * 4;
    const t = this.step + 1;
    const alpha = o.type === 'sgd' ? 0 : (o.learningRate * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t);
    const decay = o.type === 'adamw' ? o.learningRate * o.weightDecay : 0;
    const withVelocity = o.type === 'sgd' && o.momentum !== 0;
    const p0 = this.bankAt('params'),
      p1 = this.bankAt('params', t),
      a0 = this.bankAt('optA'),
      a1 = this.bankAt('optA', t);
    const b0 = this.bankAt('optB'),
      b1 = this.bankAt('optB', t),
      grads = this.at.grads;
    const partials = threads === 1 ? 1 : chunks;
    for (let from = 0; from < n; from += UPDATE_BLOCK) {
      const len = Math.min(UPDATE_BLOCK, n - from),
        at = off + from * 4;
      const g = grads + at;
      for (let c = 1; c < partials; c++) k.addF32(g, g + c * P * 4, len);
      const p = p0 + at,
        pNext = p1 + at,
        a = a0 + at,
        aNext = a1 + at,
        b = b0 + at,
        bNext = b1 + at;
      if (o.type === 'sgd') {
        k.sgdStep(
          pNext,
          withVelocity ? aNext : 0,
          p,
          withVelocity ? a : 0,
          g,
          len,
          o.learningRate,
          o.momentum,
          o.nesterov ? 1 : 0,
        );
      } else {
        k.adamStep(pNext, aNext, bNext, p, a, b, g, len, alpha, o.beta1, o.beta2, o.epsilon, decay);
      }
    }
    const next = p1;
    // A non-finite weight in the new bank fails the step: the flag tells every thread, which then
    // keep the bank of the last good step (failedUpdate, restoreTransposed).
    if (n > 0 && !k.allFinite(next + off, n))
      Atomics.store(this.arena.u32, (this.at.control >> 2) + CONTROL_UPDATE_FAILED, 1);
    this.transposeSlice(slice, next);
  }

  /** Wᵀ of the rows `slice` holds, from the parameter bank at byte offset `bank`. */
  private transposeSlice(slice: ParamSlice, bank: number): void {
    const k = this.kernels;
    for (const { layer, rowFrom, rowTo } of slice.bands) {
      const L = this.spec.layers[layer];
      if (L.transposedOffset < 0) continue;
      k.transposeInto(
        this.at.transposed + (L.transposedOffset + rowFrom) * 4,
        L.weightRows,
        bank + (L.weightOffset + rowFrom * L.weightCols) * 4,
        rowTo - rowFrom,
        L.weightCols,
      );
    }
  }

  /** Clears the failed-update flag (every thread, before an epoch's first meeting). */
  clearFailedUpdate(): void {
    Atomics.store(this.arena.u32, (this.at.control >> 2) + CONTROL_UPDATE_FAILED, 0);
  }

  /** Whether any thread's slice of the last update came out non-finite (read after the meeting). */
  failedUpdate(): boolean {
    return Atomics.load(this.arena.u32, (this.at.control >> 2) + CONTROL_UPDATE_FAILED) !== 0;
  }

  /** After a failed update: this slice's Wᵀ back from the current (last good) bank. */
  restoreTransposed(slice: ParamSlice): void {
    this.transposeSlice(slice, this.paramsAt);
  }

  /** Gradient of chunk `c` into partial-gradient buffer `buffer` (its own by default); records its loss sum. */
  chunkGradient(ws: Workspace, c: number, first: number, rows: number, scale: number, buffer = c): void {
    // Noise (corruption, variational draws) is keyed by the step and the row's place in its batch:
    // the same whichever thread computes it, and whether the batch was staged at row 0 (one
    // thread) or sits in a whole stored data set (threads).
    const key = c * CHUNK_ROWS;
    const k = this.kernels,
      { spec } = this;
    const P = spec.paramCount;
    // Every layer writes its own dW and db of this chunk (layers.ts), so the buffer is not zeroed.
    const grad = this.at.grads + buffer * P * 4;
    const indices = this.at.indices + first * 4;
    // Clean images go straight to the input, or to the targets when the input differs from them.
    const labelFirst = spec.labelLayer === 0;
    const separate = this.corruption.kind !== NO_CORRUPTION.kind || labelFirst;
    const images = separate ? ws.target : ws.input;
    if (this.layout.datasetKind === 'u8') k.gatherRowsU8(images, this.at.dataset, indices, rows, spec.imageSize);
    else k.gatherRowsF32(images, this.at.dataset, indices, rows, spec.imageSize);
    const seed = stepSeed(this.seed, this.step + 1);
    if (separate) {
      k.corruptRows(
        ws.input,
        spec.inputSize,
        ws.target,
        rows,
        spec.imageSize,
        this.corruption.kind,
        this.corruption.level,
        seed,
        key,
      );
      if (labelFirst)
        k.oneHotRows(ws.input + spec.imageSize * 4, spec.inputSize, this.at.labels, indices, rows, spec.classes);
    }
    const labels = spec.classes > 0 ? { labels: this.at.labels, indices } : undefined;
    this.arena.f64[(this.at.lossPartials >> 3) + c] = this.forwardBackward(ws, rows, grad, images, scale, {
      seed,
      first: key,
      labels,
    });
  }

  /** Forward and backward of `rows` rows in `ws.input` against `target`; gradients added into `grad`
   *  (passes.ts). */
  forwardBackward(
    ws: Workspace,
    rows: number,
    grad: number,
    target: number,
    scale: number,
    sample: SampleOptions = { seed: 0, first: 0 },
  ): number {
    return forwardBackward(this, ws, rows, grad, target, scale, sample);
  }

  /** Layers [first, last] on `rows` rows starting at `input`; the output is at ws.acts[last]. Returns
   *  the KL sum of a variational draw (0 otherwise). See passes.ts. */
  forward(
    ws: Workspace,
    rows: number,
    input: number,
    first: number,
    last: number,
    options: { logitsOut?: boolean; sample?: SampleOptions; labels?: { labels: number; indices: number } } = {},
  ): number {
    return forward(this, ws, rows, input, first, last, options);
  }
}
