// A small k-nearest-neighbour classifier for codes (or any vectors), to measure how useful the
// codes are as features. Distances come from the GEMM kernel: |q - t|² = |q|² + |t|² - 2·q·t, and
// |q|² does not change the ranking, so each query block needs one product with the transposed
// training set.
import { loadKernels, instantiateKernels } from '../runtime/wasm.js';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import { checkFinite } from './inputs.js';

const BLOCK = 64;

export interface KnnOptions {
  /** Neighbours that vote (default 5). */
  k?: number;
}

export interface KnnResult {
  /** The predicted class of each query. */
  labels: Uint8Array;
  /** The share of the k neighbours that voted for it, in (0, 1]. */
  confidence: Float32Array;
}

/**
 * The majority label among the `k` nearest training vectors (Euclidean) of each query vector;
 * ties go to the class whose nearest member is closest. `dims` values per vector.
 */
export async function knnClassify(
  train: { vectors: Float32Array; labels: Uint8Array },
  queries: Float32Array,
  dims: number,
  options: KnnOptions = {},
): Promise<KnnResult> {
  const fn = 'knnClassify';
  rejectUnknownOptions(fn, options, ['k']);
  const k = options.k ?? 5;
  if (!Number.isInteger(dims) || dims <= 0) throw argError(fn, 'dims', 'a positive integer', dims);
  if (!(train?.vectors instanceof Float32Array) || train.vectors.length === 0 || train.vectors.length % dims !== 0) {
    throw argError(fn, 'train.vectors', `a non-empty Float32Array of n × ${dims} values`, train?.vectors);
  }
  const n = train.vectors.length / dims;
  if (!(train.labels instanceof Uint8Array) || train.labels.length !== n)
    throw argError(fn, 'train.labels', `a Uint8Array of ${n} labels`, train.labels);
  if (!(queries instanceof Float32Array) || queries.length % dims !== 0)
    throw argError(fn, 'queries', `a Float32Array of m × ${dims} values`, queries);
  if (!Number.isInteger(k) || k < 1 || k > n) throw argError(fn, 'k', `an integer in [1, ${n}]`, k);
  checkFinite(train.vectors, fn, 'train.vectors');
  checkFinite(queries, fn, 'queries');
  const m = queries.length / dims;

  const { module } = await loadKernels();
  const bytes = 4 * (2 * n * dims + BLOCK * n + BLOCK * dims) + 65536 * 2;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const kern = instantiateKernels(module, memory);
  const base = Math.ceil(kern.heapBase() / 64) * 64;
  const trainAt = base,
    transposedAt = trainAt + 4 * n * dims,
    outAt = transposedAt + 4 * n * dims,
    queryAt = outAt + 4 * BLOCK * n;
  const f32 = new Float32Array(memory.buffer);
  f32.set(train.vectors, trainAt >> 2);
  kern.transpose(transposedAt, trainAt, n, dims);
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dims; j++) s += train.vectors[i * dims + j] ** 2;
    norms[i] = s;
  }
  const predicted = new Uint8Array(m);
  const confidence = new Float32Array(m);
  const bestD = new Float64Array(k),
    bestI = new Int32Array(k);
  const votes = new Float64Array(256),
    nearest = new Float64Array(256);
  for (let q0 = 0; q0 < m; q0 += BLOCK) {
    const rows = Math.min(BLOCK, m - q0);
    f32.set(queries.subarray(q0 * dims, (q0 + rows) * dims), queryAt >> 2);
    kern.gemmNN(outAt, queryAt, transposedAt, 0, rows, dims, n, 0, 0);
    for (let r = 0; r < rows; r++) {
      const row = (outAt >> 2) + r * n;
      bestD.fill(Infinity);
      let worst = Infinity;
      for (let i = 0; i < n; i++) {
        const d = norms[i] - 2 * f32[row + i];
        if (d >= worst) continue;
        let p = k - 1;
        while (p > 0 && bestD[p - 1] > d) {
          bestD[p] = bestD[p - 1];
          bestI[p] = bestI[p - 1];
          p--;
        }
        bestD[p] = d;
        bestI[p] = i;
        worst = bestD[k - 1];
      }
      votes.fill(0);
      nearest.fill(Infinity);
      for (let p = 0; p < k; p++) {
        const label = train.labels[bestI[p]];
        votes[label] += 1;
        if (bestD[p] < nearest[label]) nearest[label] = bestD[p];
      }
      let best = 0;
      for (let c = 1; c < 256; c++) {
        if (votes[c] > votes[best] || (votes[c] === votes[best] && votes[c] > 0 && nearest[c] < nearest[best]))
          best = c;
      }
      predicted[q0 + r] = best;
      confidence[q0 + r] = votes[best] / k;
    }
  }
  return { labels: predicted, confidence };
}
