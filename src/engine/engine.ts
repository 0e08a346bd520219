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

/** Input corruption for denoising (kernel codes: 0 none, 1 gaussian, 2 masking, 3 salt and pepper). */
export interface Corruption {
  kind: 0 | 1 | 2 | 3;
  level: number;
}

/** Per-thread scratch: one chunk's inputs and clean targets, activations, the bottleneck
 *  (code and label, or the variational sample) with its noise, and two gradient buffers. */
export interface Workspace {
  input: number;
  target: number;
  bottleneck: number;
  eps: number;
  gradA: number;
  gradB: number;
  acts: number[];
}

/** A 32-bit seed for step `step` of a model seeded with `seed` (noise and samples per step). */
export function stepSeed(seed: number, step: number): number {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(step, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
}

type Region = 'control' | 'params0' | 'params1' | 'optA0' | 'optA1' | 'optB0' | 'optB1' | 'transposed' |
  'workspaces' | 'lossPartials' | 'grads' | 'indices' | 'dataset' | 'labels' | 'inferIn' | 'inferLabels' | 'inferOut' | 'rowErrors';

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
  /** Seed of the per-step noise (corruption, variational samples). */
  seed = 0;
  /** Input corruption while training (denoising); none by default. */
  corruption: Corruption = { kind: 0, level: 0 };

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
    let floats = CHUNK_ROWS * spec.maxWidth * 5 + CHUNK_ROWS * spec.latent;
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
      ['inferLabels', spec.classes > 0 ? request.inferRows : 0],
      ['indices', request.datasetRows * 4],
      ['dataset', request.datasetRows * spec.imageSize * bytesPer(request.datasetKind)],
      ['labels', spec.classes > 0 ? request.datasetRows : 0],
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
      ['input', rowsOf(spec.maxWidth)], ['target', rowsOf(spec.imageSize)],
      ['bottleneck', rowsOf(spec.latent + spec.classes)], ['eps', rowsOf(spec.latent)],
      ['gradA', rowsOf(spec.maxWidth)], ['gradB', rowsOf(spec.maxWidth)],
      ...spec.layers.map((L, l): [string, number] => [`act${l}`, rowsOf(L.outputs)]),
    ]);
    return {
      input: offsets.input, target: offsets.target, bottleneck: offsets.bottleneck, eps: offsets.eps,
      gradA: offsets.gradA, gradB: offsets.gradB,
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

  /** Copies rows [row, row + rows) of `data` (and their labels) into the dataset region at row `at`. */
  storeRows(data: Uint8Array | Float32Array, row: number, rows: number, at: number, labels?: Uint8Array): void {
    this.copyRows(data, row, rows, this.at.dataset, at, this.spec.imageSize, this.layout.datasetKind, this.layout.datasetRows);
    if (labels && this.spec.classes > 0) this.arena.u8.set(labels.subarray(row, row + rows), this.at.labels + at);
  }

  /** Copies examples order[from…from+rows) of `data` to dataset rows 0…rows-1 (streaming one batch). */
  stageBatch(data: Uint8Array | Float32Array, order: Uint32Array, from: number, rows: number, labels?: Uint8Array): void {
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
    // Clean images go straight to the input, or to the targets when the input differs from them.
    const separate = this.corruption.kind !== 0 || spec.classes > 0;
    const images = separate ? ws.target : ws.input;
    if (this.layout.datasetKind === 'u8') k.gatherRowsU8(images, this.at.dataset, indices, rows, spec.imageSize);
    else k.gatherRowsF32(images, this.at.dataset, indices, rows, spec.imageSize);
    const seed = stepSeed(this.seed, this.step + 1);
    if (separate) {
      k.corruptRows(ws.input, ws.target, rows, spec.imageSize, spec.inputSize, this.corruption.kind, this.corruption.level, seed, first);
      if (spec.classes > 0) k.oneHotRows(ws.input + spec.imageSize * 4, spec.inputSize, this.at.labels, indices, rows, spec.classes);
    }
    const labels = spec.classes > 0 ? { labels: this.at.labels, indices } : undefined;
    this.arena.f64[(this.at.lossPartials >> 3) + c] = this.forwardBackward(ws, rows, grad, images, scale, { seed, first, labels });
  }

  /** Forward and backward of `rows` rows in `ws.input` against `target`; gradients added into `grad`. */
  forwardBackward(ws: Workspace, rows: number, grad: number, target: number, scale: number,
                  sample: SampleOptions = { seed: 0, first: 0 }): number {
    const k = this.kernels, { spec } = this;
    const layers = spec.layers, last = layers.length - 1, code = spec.codeLayer;
    const kl = this.forward(ws, rows, ws.input, 0, last, { logitsOut: spec.loss === 'bce', sample });
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
    const bottleneck = this.hasBottleneck();
    const bnWidth = spec.latent + spec.classes;
    for (let l = last; l >= 0; l--) {
      const L = layers[l];
      if (l < last) this.activationBackward(L, d, ws.acts[l], rows * L.outputs);
      const inp = l === 0 ? ws.input : l === code + 1 && bottleneck ? ws.bottleneck : ws.acts[l - 1];
      k.gemmTN(grad + L.weightOffset * 4, inp, d, L.inputs, rows, L.outputs);
      k.biasBackward(grad + L.biasOffset * 4, d, rows, L.outputs);
      if (l > 0) {
        k.gemmNN(other, d, this.at.transposed + L.transposedOffset * 4, 0, rows, L.outputs, L.inputs);
        const t = d; d = other; other = t;
      }
      if (l === code + 1 && bottleneck) {
        // d holds the gradient of the bottleneck [code | label]; take it back to the code layer.
        if (spec.variational) k.vaeBackward(other, d, bnWidth, ws.eps, ws.acts[code], rows, spec.latent, spec.beta * scale);
        else k.copyRows(other, spec.latent, d, bnWidth, rows, spec.latent);
        const t = d; d = other; other = t;
      }
    }
    return lossSum + spec.beta * kl;
  }

  private hasBottleneck(): boolean {
    return this.spec.variational || this.spec.classes > 0;
  }

  /**
   * Layers [first, last] on `rows` rows starting at `input`; the output is at ws.acts[last].
   * Between the code layer and the decoder sits the bottleneck: the code (a variational model's
   * mean, or with `sample` a draw around it) followed by the one-hot label of conditional models.
   * Starting at the decoder, `input` holds codes. `logitsOut` leaves the last layer's sigmoid to
   * a fused loss. Returns the KL sum of a variational draw (0 otherwise).
   */
  forward(ws: Workspace, rows: number, input: number, first: number, last: number,
          options: { logitsOut?: boolean; sample?: SampleOptions; labels?: { labels: number; indices: number } } = {}): number {
    const k = this.kernels, params = this.paramsAt, { spec } = this;
    const code = spec.codeLayer;
    const labels = options.labels ?? options.sample?.labels;
    let kl = 0;
    let x = input;
    for (let l = first; l <= last; l++) {
      const L = this.spec.layers[l];
      if (l === code + 1 && this.hasBottleneck()) x = this.bottleneck(ws, rows, x, first === l, options.sample, labels, (v) => { kl = v; });
      const out = ws.acts[l];
      k.gemmNN(out, x, params + L.weightOffset * 4, params + L.biasOffset * 4, rows, L.inputs, L.outputs);
      if (!(options.logitsOut && l === last)) this.activate(L, out, rows * L.outputs);
      x = out;
    }
    return kl;
  }

  /** Fills ws.bottleneck from `codes` (the code layer's output, or given codes) and labels. */
  private bottleneck(ws: Workspace, rows: number, codes: number, givenCodes: boolean, sample: SampleOptions | undefined,
                     labels: { labels: number; indices: number } | undefined, kl: (v: number) => void): number {
    const k = this.kernels, { spec } = this;
    const width = spec.latent + spec.classes;
    if (!givenCodes && spec.variational && sample) {
      kl(k.vaeSample(ws.bottleneck, width, ws.eps, codes, rows, spec.latent, sample.seed ^ 0x5851f42d, sample.first));
    } else {
      // A variational code layer gives [mean | log-variance]: the mean is the code.
      const stride = !givenCodes && spec.variational ? 2 * spec.latent : spec.latent;
      k.copyRows(ws.bottleneck, width, codes, stride, rows, spec.latent);
    }
    if (spec.classes > 0) {
      if (!labels) throw new Error('engine: a conditional model needs labels');
      k.oneHotRows(ws.bottleneck + spec.latent * 4, width, labels.labels, labels.indices, rows, spec.classes);
    }
    return ws.bottleneck;
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
   * CHUNK_ROWS through workspace `ws`. Hands the outputs of each block to `sink` when given, else
   * writes them to the inference output region, when `keepOutputs`; and, when `rowErrors`, each
   * row's summed squared error against its input.
   */
  inferRange(ws: Workspace, from: number, to: number, first: number, last: number, keepOutputs: boolean, rowErrors: boolean,
             sink?: (row: number, rows: number, output: number) => void): void {
    const k = this.kernels, { spec } = this;
    const conditional = spec.classes > 0;
    // Rows of the inference region hold images (or codes, when starting at the decoder), without labels.
    const width = first === 0 ? spec.imageSize : spec.latent;
    const outWidth = spec.layers[last].outputs;
    const u8 = this.layout.inferKind === 'u8';
    for (let row = from; row < to; row += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, to - row);
      let input: number;
      if (u8) {
        k.u8ToF32(first === 0 && conditional ? ws.target : ws.input, this.at.inferIn + row * width, rows * width);
        input = first === 0 && conditional ? ws.target : ws.input;
      } else {
        input = this.at.inferIn + row * width * 4;
      }
      const labels = conditional ? { labels: this.at.inferLabels + row, indices: 0 } : undefined;
      let x = input;
      if (first === 0 && conditional) {
        k.copyRows(ws.input, spec.inputSize, input, spec.imageSize, rows, spec.imageSize);
        k.oneHotRows(ws.input + spec.imageSize * 4, spec.inputSize, labels!.labels, 0, rows, spec.classes);
        x = ws.input;
      }
      this.forward(ws, rows, x, first, last, { labels });
      const out = ws.acts[last];
      if (keepOutputs && sink) {
        sink(row, rows, out);
      } else if (keepOutputs) {
        const src = out >> 2, dst = (this.at.inferOut >> 2) + row * outWidth;
        this.arena.f32.copyWithin(dst, src, src + rows * outWidth);
      }
      if (rowErrors) k.rowSquaredError(this.at.rowErrors + row * 4, out, input, rows, outWidth);
    }
  }
}

/** Where a training step's variational draws come from. */
export interface SampleOptions {
  seed: number;
  /** Position in the batch of the chunk's first row (keys the noise, whatever the thread). */
  first: number;
  labels?: { labels: number; indices: number };
}
