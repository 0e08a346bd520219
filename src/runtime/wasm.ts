// Loading the kernels: pick the build the runtime can run, compile it once, and instantiate it
// over a memory the caller owns (the kernels import their memory and never allocate).
import { fileUrlBytes } from '#platform';

/** The kernels' exports. Pointers are byte offsets into the imported memory. Argument order
 *  (assembly/index.ts): outputs, then inputs, each pointer followed by its own row stride when
 *  it has one; then sizes; then scalars and flags. Activation and noise codes: engine/codes.ts. */
export interface Kernels {
  heapBase(): number;
  /** out = f(a·b (+ bias)), f the activation of code `act` (alpha: leaky relu's slope) applied as
   *  it stores: the same bits as the activation kernels. */
  gemmNN(
    out: number,
    a: number,
    b: number,
    bias: number,
    M: number,
    K: number,
    N: number,
    act: number,
    alpha: number,
  ): void;
  /** out = aᵀ·b, or out += aᵀ·b when `accumulate` ≠ 0 (the same bits as zeroing out first). */
  gemmTN(out: number, a: number, b: number, M: number, K: number, N: number, accumulate: number): void;
  transpose(out: number, inp: number, rows: number, cols: number): void;
  transposeInto(out: number, outStride: number, inp: number, rows: number, cols: number): void;
  leakyReluForward(out: number, inp: number, n: number, alpha: number): void;
  sigmoidForward(out: number, inp: number, n: number): void;
  tanhForward(out: number, inp: number, n: number): void;
  /** dinp = dout ⊙ f'(·), from the forward output `out`. */
  reluBackward(dinp: number, dout: number, out: number, n: number): void;
  leakyReluBackward(dinp: number, dout: number, out: number, n: number, alpha: number): void;
  sigmoidBackward(dinp: number, dout: number, out: number, n: number): void;
  tanhBackward(dinp: number, dout: number, out: number, n: number): void;
  biasBackward(db: number, dz: number, rows: number, cols: number, accumulate: number): void;
  /** out[r][c] = act(out[r][c] + bias[c]). */
  biasActivation(out: number, bias: number, rows: number, cols: number, act: number, alpha: number): void;
  /** Σ(y − t)²; dout = 2·scale·(y − t), times y(1 − y) when `sigmoidOut` ≠ 0. */
  mseLoss(dout: number, y: number, t: number, n: number, scale: number, sigmoidOut: number): number;
  bceSigmoidLoss(dz: number, y: number, z: number, t: number, n: number, scale: number): number;
  rowSquaredError(out: number, y: number, t: number, rows: number, cols: number): void;
  sgdStep(
    paramsOut: number,
    velocityOut: number,
    params: number,
    velocity: number,
    grads: number,
    n: number,
    lr: number,
    momentum: number,
    nesterov: number,
  ): void;
  adamStep(
    paramsOut: number,
    mOut: number,
    vOut: number,
    params: number,
    m: number,
    v: number,
    grads: number,
    n: number,
    alpha: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    decay: number,
  ): void;
  u8ToF32(out: number, inp: number, n: number): void;
  gatherRowsU8(out: number, pixels: number, indices: number, rows: number, rowLen: number): void;
  gatherRowsF32(out: number, src: number, indices: number, rows: number, rowLen: number): void;
  copyRows(out: number, outStride: number, inp: number, inStride: number, rows: number, cols: number): void;
  oneHotRows(out: number, outStride: number, labels: number, indices: number, rows: number, classes: number): void;
  addF32(dst: number, src: number, n: number): void;
  zeroF32(dst: number, n: number): void;
  allFinite(ptr: number, n: number): number;
  im2col(
    cols: number,
    image: number,
    images: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    kernel: number,
    stride: number,
    padTop: number,
    padLeft: number,
  ): void;
  col2imAdd(
    image: number,
    cols: number,
    images: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    kernel: number,
    stride: number,
    padTop: number,
    padLeft: number,
  ): void;
  corruptRows(
    out: number,
    outStride: number,
    clean: number,
    rows: number,
    cols: number,
    kind: number,
    level: number,
    seed: number,
    firstRow: number,
  ): void;
  vaeSample(
    z: number,
    zStride: number,
    eps: number,
    codes: number,
    rows: number,
    latent: number,
    seed: number,
    firstRow: number,
  ): number;
  vaeBackward(
    dcodes: number,
    dz: number,
    dzStride: number,
    eps: number,
    codes: number,
    rows: number,
    latent: number,
    klScale: number,
  ): void;
  /** int8 inference (assembly/quant.ts): rows to int16 with a scale per row; the integer GEMM. */
  quantizeRows(out: number, Kpad: number, scales: number, inp: number, rows: number, K: number, qmax: number): void;
  quantizeRowsToF32(out: number, scales: number, inp: number, rows: number, K: number, qmax: number): void;
  f32ToI16Rows(out: number, Kpad: number, inp: number, rows: number, K: number): void;
  quantizeU8Rows(out: number, Kpad: number, scales: number, inp: number, rows: number, K: number): void;
  /** act: 0 none, 1 relu. */
  qgemm(
    out: number,
    xq: number,
    xScale: number,
    rowsPerScale: number,
    wq: number,
    wScale: number,
    bias: number,
    M: number,
    K: number,
    N: number,
    act: number,
  ): void;
  peakProbe(iterations: number, seed: number): number;
  peakProbeFlops(): number;
}

/** Which compiled kernels to use: plain SIMD, or relaxed SIMD with fused multiply-add. */
export type KernelBuildName = 'simd' | 'relaxed';

/** Where the kernels come from: bytes, a compiled module (edge runtimes), or a URL/Response. */
export type KernelSource = BufferSource | WebAssembly.Module | URL | string | Response;

export interface LoadedKernels {
  build: KernelBuildName;
  /** Whether the module imports a shared memory (the threads builds). */
  shared: boolean;
  module: WebAssembly.Module;
}

// Smallest module that uses f32x4.relaxed_madd (and one that uses plain SIMD): validating them
// tells whether this runtime accepts each build without compiling the real thing.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7b, 0x7b, 0x01, 0x7b, 0x03, 0x02,
  0x01, 0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0xfd, 0xe4, 0x01, 0x0b,
]);

export function supportsSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

export function supportsRelaxedSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

/** The build `preference` resolves to on this runtime; throws when it cannot run. */
export function chooseBuild(preference: 'auto' | KernelBuildName = 'auto'): KernelBuildName {
  if (!supportsSimd()) {
    throw new Error(
      'wasm-autoencoder: this runtime has no WebAssembly SIMD (needed by every build); use Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Deno or Bun',
    );
  }
  const relaxed = supportsRelaxedSimd();
  if (preference === 'relaxed' && !relaxed) {
    throw new Error(
      "kernels: 'relaxed' needs relaxed SIMD, which this runtime does not accept (Node 20: run node with --experimental-wasm-relaxed-simd); use 'simd' or 'auto'",
    );
  }
  if (preference === 'auto') return relaxed ? 'relaxed' : 'simd';
  return preference;
}

// Literal `new URL('…', import.meta.url)` expressions: bundlers (Vite, rolldown, webpack) follow
// exactly this form to copy the files and rewrite the URLs; a template string they cannot follow.
function defaultUrl(build: KernelBuildName, shared: boolean): URL {
  if (build === 'relaxed') {
    return shared
      ? new URL('../../build/kernels-relaxed-threads.wasm', import.meta.url)
      : new URL('../../build/kernels-relaxed.wasm', import.meta.url);
  }
  return shared
    ? new URL('../../build/kernels-simd-threads.wasm', import.meta.url)
    : new URL('../../build/kernels-simd.wasm', import.meta.url);
}

async function compileFrom(source: BufferSource | URL | string | Response): Promise<WebAssembly.Module> {
  if (source instanceof URL || typeof source === 'string') {
    const url = typeof source === 'string' ? new URL(source, import.meta.url) : source;
    const bytes = url.protocol === 'file:' ? fileUrlBytes(url) : null;
    if (bytes) return WebAssembly.compile(await bytes);
    return compileFrom(await fetch(url));
  }
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new Error(`kernels: fetching ${source.url} failed with HTTP ${source.status}`);
    if (
      typeof WebAssembly.compileStreaming === 'function' &&
      source.headers.get('content-type')?.startsWith('application/wasm')
    ) {
      return WebAssembly.compileStreaming(source);
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  return WebAssembly.compile(source as BufferSource);
}

const cache = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compiles (once per build) the kernels. Without a source, Node reads the .wasm file that ships
 * next to this module and browsers fetch it; edge runtimes that forbid compiling at run time pass
 * the WebAssembly.Module their bundler imported. `shared` picks the threads build, which imports a
 * shared memory.
 */
export async function loadKernels(
  options: { build?: 'auto' | KernelBuildName; shared?: boolean; source?: KernelSource } = {},
): Promise<LoadedKernels> {
  const { source } = options;
  const shared = options.shared ?? false;
  if (source instanceof WebAssembly.Module) {
    if (!WebAssembly.Module.exports(source).some((e) => e.name === 'gemmNN')) {
      throw new Error(
        'kernels: the WebAssembly.Module passed as source is not a wasm-autoencoder kernel module (no gemmNN export)',
      );
    }
    const build = options.build && options.build !== 'auto' ? options.build : 'simd';
    return { build, shared, module: source };
  }
  const build = chooseBuild(options.build ?? 'auto');
  if (source !== undefined)
    return { build, shared, module: await compileFrom(source as BufferSource | URL | string | Response) };
  const key = `${build}${shared ? '-threads' : ''}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = compileFrom(defaultUrl(build, shared));
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return { build, shared, module: await pending };
}

/** Instantiates the kernels over `memory`. Cheap: the module is already compiled. */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory, abort: abortFromWasm } });
  return instance.exports as unknown as Kernels;
}

function abortFromWasm(): never {
  throw new Error('wasm-autoencoder kernel aborted');
}
