// The memory plan of one model: where every region sits in the one memory (parameters, optimizer
// state and transposed weights first, never moving; the store of kept data sets; then per-thread
// workspaces, gradient partials, data-set and inference regions), and how the parameter vector is
// cut between threads.
// Plain data, so a worker adopts the caller's plan as it is.
import { planLayout } from '../runtime/memory.js';
import { patchFloatsOf, type NetworkSpec } from './network.js';

/** Rows per chunk. A batch is cut into chunks of this size whatever the thread count, and each
 *  chunk's gradient is summed in chunk order, so the weights never depend on the thread count. */
export const CHUNK_ROWS = 64;
/** Bytes of the control block (barrier words, flags), at the start of the shared regions. */
export const CONTROL_BYTES = 256;
/** The control word (Int32 index) a thread sets when its slice of a step's update came out
 *  non-finite; every thread reads it after the step's last meeting, so all keep the old bank. */
export const CONTROL_UPDATE_FAILED = 7;

export type DataKind = 'u8' | 'f32';
/** Most memory one model may use (2 GiB): a 32-bit wasm memory's safe half, and the maximum a
 *  shared memory is created with. Every plan is checked against it before memory grows. */
export const MAX_MEMORY_BYTES = 2 ** 31;

/** Per-thread scratch: one chunk's inputs and clean targets, activations, the bottleneck
 *  (code and label, or the variational sample) with its noise, two gradient buffers, the conv
 *  layers' patch matrix, and a conditional encoder's [features | label] input. */
export interface Workspace {
  input: number;
  target: number;
  bottleneck: number;
  eps: number;
  gradA: number;
  gradB: number;
  /** Per layer: its patch matrix (conv2d: its own; conv2dTranspose: a shared scratch; dense: 0). */
  patches: number[];
  labelled: number;
  acts: number[];
}

export type Region =
  | 'control'
  | 'params0'
  | 'params1'
  | 'optA0'
  | 'optA1'
  | 'optB0'
  | 'optB1'
  | 'transposed'
  | 'store'
  | 'workspaces'
  | 'lossPartials'
  | 'grads'
  | 'indices'
  | 'dataset'
  | 'labels'
  | 'inferIn'
  | 'inferLabels'
  | 'inferOut'
  | 'rowErrors';

export interface LayoutRequest {
  /** Largest batch a step will take. */
  batchSize: number;
  /** Examples the dataset region holds (a whole data set, one batch staged from the caller's
   *  array, or a stream's shuffle buffer); with `stored`, the rows of the stored set trained on. */
  datasetRows: number;
  datasetKind: DataKind;
  /** Bytes of the store: the data sets kept in the model's memory (Autoencoder.dataset), right
   *  after the transposed weights, so that re-planning the regions after it never moves them. */
  storeBytes?: number;
  /** When a fit trains on a stored data set: the byte offsets of its rows and labels in the store.
   *  The dataset and labels regions then point there and take no room of their own. */
  stored?: { images: number; labels: number };
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

function workspaceBytes(spec: NetworkSpec): number {
  let floats = CHUNK_ROWS * (spec.maxWidth * 5 + spec.latent + spec.patchFloats);
  for (const L of spec.layers) floats += CHUNK_ROWS * L.outputs;
  return floats * 4 + 64 * (spec.layers.length + 6);
}

/**
 * The layout for `request`. Parameters, optimizer state and transposed weights come first and
 * never move; the rest is re-planned for each batch size and data set.
 */
export function planEngineLayout(spec: NetworkSpec, heapBase: number, request: LayoutRequest): Layout {
  const P = spec.paramCount * 4;
  const maxChunks = Math.max(1, Math.ceil(request.batchSize / CHUNK_ROWS));
  const bytesPer = (kind: DataKind): number => (kind === 'u8' ? 1 : 4);
  const wsBytes = workspaceBytes(spec);
  const { offsets, end } = planLayout<Region>(heapBase, [
    ['control', CONTROL_BYTES],
    ['params0', P],
    ['params1', P],
    ['optA0', P],
    ['optA1', P],
    ['optB0', P],
    ['optB1', P],
    ['transposed', spec.transposedCount * 4],
    ['store', request.storeBytes ?? 0],
    ['workspaces', wsBytes * request.workspaces],
    ['lossPartials', maxChunks * 8],
    ['grads', P * maxChunks],
    ['indices', request.datasetRows * 4],
    ['dataset', request.stored ? 0 : request.datasetRows * spec.imageSize * bytesPer(request.datasetKind)],
    ['labels', spec.classes > 0 && !request.stored ? request.datasetRows : 0],
    // Last, so that an inference call between epochs (a callback's) may re-plan them for its own
    // kind of rows without moving the data set a fit has stored.
    ['rowErrors', request.inferRows * 4],
    ['inferIn', request.inferRows * spec.maxWidth * bytesPer(request.inferKind)],
    ['inferOut', request.inferRows * spec.maxWidth * 4],
    ['inferLabels', spec.classes > 0 ? request.inferRows : 0],
  ]);
  if (request.stored) {
    offsets.dataset = request.stored.images;
    offsets.labels = request.stored.labels;
  }
  const workspaceList: Workspace[] = [];
  for (let w = 0; w < request.workspaces; w++)
    workspaceList.push(carveWorkspace(spec, offsets.workspaces + w * wsBytes));
  return { ...request, at: offsets, workspaceList, maxChunks, end };
}

function carveWorkspace(spec: NetworkSpec, base: number): Workspace {
  const rowsOf = (width: number): number => CHUNK_ROWS * width * 4;
  const { offsets } = planLayout(base, [
    ['input', rowsOf(spec.maxWidth)],
    ['target', rowsOf(spec.imageSize)],
    ['bottleneck', rowsOf(spec.latent + spec.classes)],
    ['eps', rowsOf(spec.latent)],
    ['gradA', rowsOf(spec.maxWidth)],
    ['gradB', rowsOf(spec.maxWidth)],
    ['patches', rowsOf(spec.patchFloats)],
    ['labelled', rowsOf(spec.labelLayer > 0 ? spec.maxWidth : 0)],
    ...spec.layers.map((L, l): [string, number] => [`act${l}`, rowsOf(L.outputs)]),
  ]);
  return {
    input: offsets.input,
    target: offsets.target,
    bottleneck: offsets.bottleneck,
    eps: offsets.eps,
    gradA: offsets.gradA,
    gradB: offsets.gradB,
    patches: patchesOf(spec, offsets.patches),
    labelled: offsets.labelled,
    acts: spec.layers.map((_, l) => offsets[`act${l}`]),
  };
}

/**
 * Splits the parameter vector into `threads` contiguous slices of about equal size, cut only
 * between rows of weight matrices, so each thread can also transpose the rows it updated.
 */
/** Where each layer's patch matrix sits in a workspace's patches region starting at `base`. */
function patchesOf(spec: NetworkSpec, base: number): number[] {
  let at = base;
  const own = spec.layers.map((L) => {
    if (L.kind !== 'conv2d') return 0;
    const here = at;
    at += CHUNK_ROWS * patchFloatsOf(L) * 4;
    return here;
  });
  return spec.layers.map((L, l) => (L.kind === 'conv2dTranspose' ? at : own[l]));
}

export function paramSlices(spec: NetworkSpec, threads: number): ParamSlice[] {
  const units: { from: number; to: number; layer: number; row: number }[] = [];
  spec.layers.forEach((L, l) => {
    for (let i = 0; i < L.weightRows; i++) {
      const from = L.weightOffset + i * L.weightCols;
      units.push({ from, to: i === L.weightRows - 1 ? L.biasOffset : from + L.weightCols, layer: l, row: i });
    }
    const next = l + 1 < spec.layers.length ? spec.layers[l + 1].weightOffset : spec.paramCount;
    units.push({ from: L.biasOffset, to: next, layer: l, row: -1 });
  });
  const slices: ParamSlice[] = [];
  let u = 0;
  for (let t = 0; t < threads; t++) {
    const target = (spec.paramCount * (t + 1)) / threads;
    const slice: ParamSlice = { from: u < units.length ? units[u].from : spec.paramCount, to: 0, bands: [] };
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
