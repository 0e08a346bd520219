// int8 inference: a trained model's weights quantized to int8 with one scale per output column
// of each layer's GEMM, run with integer dot products (assembly/quant.ts) on one thread in a
// small memory of its own. Loaded lazily by Autoencoder.quantize() and Autoencoder.loadQuantized,
// so the main entry does not carry it.
//
// Each layer: its input is quantized to int16 with one scale per example (a conv2d's image before
// im2col, so its patches are integers already; a conv2dTranspose's input with an odd channel count
// per grid position), at most qmax = min(32767, ⌊(2^31−1) / (K·127)⌋) so no i32 sum can overflow;
// byte pixels go in as they are (scale 1/255, exact). The GEMM's i32 sums are rescaled to f32 (row
// scale · column scale), the bias added and relu applied as they are stored; the other
// activations, im2col, col2im and the conv2dTranspose bias use the float kernels.
// A variational model keeps its mean path (encode gives the mean). Conditional models are refused.
import {
  encodeQuantizedFile,
  readQuantizedHeader,
  readQuantizedTensors,
  type FileHelpers,
  type QuantizedShape,
  type QuantizedTensors,
} from '../io/quantizedFile.js';
import type { LayerSpec, NetworkSpec } from '../engine/network.js';
import type { ACTIVATION_CODES } from '../engine/codes.js';
import type { Arena } from '../runtime/memory.js';
import type { Kernels, KernelBuildName, instantiateKernels, loadKernels } from '../runtime/wasm.js';
import { bytesOf } from '../util/bytes.js';
import type { rejectUnknownOptions } from '../util/errors.js';
import type { imagesOf, resultLength, Images, ImagesInput } from './inputs.js';
import type { ModelConfig } from './options.js';
import type { configFromFile } from './storedConfig.js';
import type { networkOf } from './setup.js';
import type { Evaluation, RuntimeOptions } from './types.js';

/**
 * What this chunk uses from modules the main entry already has, handed over by the caller
 * (autoencoder.ts). Importing them here would make the bundler split those modules out of the
 * main entry into a shared chunk, which costs the main bundle about a kilobyte of links.
 */
export interface QuantizedHost extends FileHelpers {
  networkOf: typeof networkOf;
  configFromFile: typeof configFromFile;
  imagesOf: typeof imagesOf;
  resultLength: typeof resultLength;
  loadKernels: typeof loadKernels;
  instantiateKernels: typeof instantiateKernels;
  rejectUnknownOptions: typeof rejectUnknownOptions;
  Arena: typeof Arena;
  activationCodes: typeof ACTIVATION_CODES;
}

const alignUp = (n: number): number => Math.ceil(n / 64) * 64;

/** One layer as the int8 forward runs it: a GEMM of K × N (K padded to even in memory). */
export interface QuantizedLayer extends QuantizedTensors {
  spec: LayerSpec;
  K: number;
  N: number;
}

/** Largest int16 activation for a GEMM with K (even) inner values: sums stay below 2^31. */
export function activationRange(K: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (K * 127)));
}

const evenUp = (n: number): number => n + (n & 1);
const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The GEMM shape of a layer, with a variational code layer cut to its means. */
function gemmShape(spec: NetworkSpec, L: LayerSpec, l: number): QuantizedShape {
  if (L.kind === 'conv2dTranspose') return { K: L.weightCols, N: L.weightRows, biasLength: L.outShape[2] };
  const N = spec.variational && l === spec.codeLayer ? spec.latent : L.weightCols;
  return { K: L.weightRows, N, biasLength: N };
}

function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** int8 weights of every layer from the float parameter vector: per GEMM column, scale =
 *  max |w| / 127 (f32) and q = round(w / scale), ties away from zero. */
function quantizeWeights(spec: NetworkSpec, params: Float32Array): QuantizedLayer[] {
  return spec.layers.map((L, l) => {
    const { K, N, biasLength } = gemmShape(spec, L, l);
    const W = params.subarray(L.weightOffset, L.weightOffset + L.weightRows * L.weightCols);
    // GEMM[k][n]: W itself, or Wᵀ for conv2dTranspose (W is [weightRows × weightCols]).
    const at =
      L.kind === 'conv2dTranspose'
        ? (k: number, n: number) => W[n * L.weightCols + k]
        : (k: number, n: number) => W[k * L.weightCols + n];
    const scales = new Float32Array(N);
    const weights = new Int8Array(K * N);
    for (let n = 0; n < N; n++) {
      let top = 0;
      for (let k = 0; k < K; k++) top = Math.max(top, Math.abs(at(k, n)));
      scales[n] = top / 127;
      const s = scales[n];
      for (let k = 0; k < K; k++)
        weights[k * N + n] = s > 0 ? Math.max(-127, Math.min(127, roundHalfAway(at(k, n) / s))) : 0;
    }
    const bias = params.slice(L.biasOffset, L.biasOffset + biasLength);
    return { spec: L, K, N, weights, scales, bias };
  });
}

/** The packed layout qgemm reads: per block of 8 columns, k in pairs, 4 columns × 2 k per 8 bytes. */
export function packWeights(q: Int8Array, K: number, N: number): Int8Array {
  const Kp = evenUp(K),
    Np = roundUp8(N);
  const out = new Int8Array(Kp * Np);
  for (let jb = 0; jb < Np; jb += 8) {
    for (let p = 0; p < Kp / 2; p++) {
      const base = jb * Kp + p * 16;
      for (let c = 0; c < 8; c++) {
        const n = jb + c;
        if (n >= N) continue;
        for (let t = 0; t < 2; t++) {
          const k = 2 * p + t;
          if (k < K) out[base + (c >> 2) * 8 + (c & 3) * 2 + t] = q[k * N + n];
        }
      }
    }
  }
  return out;
}

/** Bytes of workspace a call may plan for its block of rows. */
const BLOCK_BYTES = 8 << 20;
const MAX_BLOCK_ROWS = 256;
const QUANTIZED_FN = 'Autoencoder.loadQuantized';

interface Placed {
  layer: QuantizedLayer;
  w: number;
  scales: number;
  bias: number;
  Kp: number;
  qmax: number;
  /** GEMM rows per example. */
  rowsPer: number;
}

export class QuantizedAutoencoder {
  readonly config: ModelConfig;
  readonly backend: { kernels: KernelBuildName; threads: 1 };
  private readonly spec: NetworkSpec;
  private readonly layers: QuantizedLayer[];
  private kernels: Kernels | null;
  private readonly arena: Arena;
  private readonly placed: Placed[];
  private readonly blockRows: number;
  private readonly at: { input: number; a: number; b: number; patches: number; q: number; rowScales: number };
  private readonly host: QuantizedHost;

  private constructor(
    host: QuantizedHost,
    config: ModelConfig,
    spec: NetworkSpec,
    layers: QuantizedLayer[],
    module: WebAssembly.Module,
    build: KernelBuildName,
  ) {
    this.host = host;
    this.config = config;
    this.spec = spec;
    this.layers = layers;
    this.backend = { kernels: build, threads: 1 };
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = host.instantiateKernels(module, memory);
    this.arena = new host.Arena(memory);
    let at = alignUp(k.heapBase() + (1 << 16));
    const placed: Placed[] = [];
    let perRow = 0;
    for (const layer of layers) {
      const L = layer.spec,
        Kp = evenUp(layer.K),
        Np = roundUp8(layer.N);
      const w = at;
      at = alignUp(at + Kp * Np);
      const scales = at;
      at = alignUp(at + 4 * Np);
      const bias = at;
      at = alignUp(at + 4 * Math.max(Np, layer.bias.length));
      const rowsPer = L.conv ? L.conv.OH * L.conv.OW : 1;
      perRow = Math.max(perRow, rowsPer * (2 * Kp + 4));
      placed.push({ layer, w, scales, bias, Kp, qmax: activationRange(Kp), rowsPer });
    }
    const patch = Math.max(
      0,
      ...layers.map((q) =>
        q.spec.conv ? q.spec.conv.OH * q.spec.conv.OW * q.spec.conv.kernel * q.spec.conv.kernel * q.spec.conv.C : 0,
      ),
    );
    const width = spec.maxWidth;
    const perExample = 4 * spec.imageSize + 8 * width + 4 * patch + perRow + 256;
    this.blockRows = Math.max(1, Math.min(MAX_BLOCK_ROWS, Math.floor(BLOCK_BYTES / perExample)));
    const B = this.blockRows;
    const region = (bytes: number): number => {
      const r = at;
      at = alignUp(at + bytes);
      return r;
    };
    this.at = {
      input: region(4 * B * Math.max(spec.imageSize, spec.latent)),
      a: region(4 * B * width),
      b: region(4 * B * width),
      patches: region(4 * B * patch),
      q: region(B * Math.max(...placed.map((p) => p.rowsPer * 2 * p.Kp))),
      rowScales: region(4 * B * Math.max(...placed.map((p) => p.rowsPer))),
    };
    this.arena.ensure(at);
    const u8 = this.arena.u8,
      f32 = this.arena.f32;
    for (const p of placed) {
      u8.set(new Uint8Array(packWeights(p.layer.weights, p.layer.K, p.layer.N).buffer), p.w);
      f32.set(p.layer.scales, p.scales >> 2);
      f32.set(p.layer.bias, p.bias >> 2);
    }
    this.placed = placed;
    this.kernels = k;
  }

  /** Quantizes a float model's parameters (Autoencoder.quantize() calls this). */
  static async fromFloat(
    host: QuantizedHost,
    config: ModelConfig,
    spec: NetworkSpec,
    params: Float32Array,
    kernels: { module?: WebAssembly.Module; build: KernelBuildName },
  ): Promise<QuantizedAutoencoder> {
    if (spec.classes > 0)
      throw new Error(
        'Autoencoder.quantize: conditional models cannot be quantized yet (their label inputs are not supported by the int8 path)',
      );
    const module = kernels.module ?? (await host.loadKernels({ build: kernels.build, shared: false })).module;
    return new QuantizedAutoencoder(host, config, spec, quantizeWeights(spec, params), module, kernels.build);
  }

  /** A model from save()'s bytes; the file is checked whole before anything is allocated. */
  static async load(
    host: QuantizedHost,
    source: Uint8Array | ArrayBufferView | ArrayBuffer,
    options: Omit<RuntimeOptions, 'threads'> = {},
    fn = QUANTIZED_FN,
  ): Promise<QuantizedAutoencoder> {
    host.rejectUnknownOptions(fn, options, ['kernels', 'wasm']);
    if (options.kernels !== undefined && !['auto', 'simd', 'relaxed'].includes(options.kernels)) {
      throw host.argError(fn, 'kernels', "'auto', 'simd' or 'relaxed'", options.kernels);
    }
    const bytes = bytesOf(source);
    const header = readQuantizedHeader(host, bytes as Uint8Array, fn);
    let config: ModelConfig;
    try {
      config = host.configFromFile(header.config);
    } catch (cause) {
      throw new Error(`${fn}: the quantized model file's config is invalid: ${(cause as Error).message}`);
    }
    if (config.classes > 0)
      throw new Error(`${fn}: the quantized model file holds a conditional model, which the int8 path does not run`);
    const spec = host.networkOf(config, fn);
    const shapes = spec.layers.map((L, l) => gemmShape(spec, L, l));
    const tensors = readQuantizedTensors(host, bytes as Uint8Array, header.headerLength, shapes, fn);
    const { build, module } = await host.loadKernels({
      build: options.kernels ?? 'auto',
      shared: false,
      source: options.wasm,
    });
    const layers = tensors.map((t, l) => ({ ...t, spec: spec.layers[l], K: shapes[l].K, N: shapes[l].N }));
    return new QuantizedAutoencoder(host, config, spec, layers, module, build);
  }

  private get k(): Kernels {
    if (!this.kernels) throw new Error('QuantizedAutoencoder: this model was disposed; quantize or load another');
    return this.kernels;
  }

  get inputSize(): number {
    return this.spec.imageSize;
  }
  get latentSize(): number {
    return this.spec.latent;
  }

  /** Codes of `images`: Float32Array [n × latent] (a variational model's means). */
  encode(images: ImagesInput, options: { out?: Float32Array } = {}): Float32Array {
    const fn = 'QuantizedAutoencoder.encode';
    this.host.rejectUnknownOptions(fn, options, ['out']);
    const { data, count } = this.host.imagesOf(images, fn, 'images', this.spec.imageSize);
    return this.run(fn, data, count, 0, this.spec.codeLayer, options.out);
  }

  /** Images from codes: Float32Array [n × imageSize]. */
  decode(codes: Float32Array, options: { out?: Float32Array } = {}): Float32Array {
    const fn = 'QuantizedAutoencoder.decode';
    this.host.rejectUnknownOptions(fn, options, ['out']);
    if (!(codes instanceof Float32Array))
      throw this.host.argError(fn, 'codes', `a Float32Array of n × ${this.latentSize} values`, codes);
    const { count } = this.host.imagesOf(codes, fn, 'codes', this.latentSize);
    this.host.resultLength(fn, count, this.spec.imageSize);
    return this.run(fn, codes, count, this.spec.codeLayer + 1, this.layers.length - 1, options.out);
  }

  /** decode(encode(images)), in one pass. */
  reconstruct(images: ImagesInput, options: { out?: Float32Array } = {}): Float32Array {
    const fn = 'QuantizedAutoencoder.reconstruct';
    this.host.rejectUnknownOptions(fn, options, ['out']);
    const { data, count } = this.host.imagesOf(images, fn, 'images', this.spec.imageSize);
    return this.run(fn, data, count, 0, this.layers.length - 1, options.out);
  }

  /** Reconstruction MSE (mean over images of each image's mean squared error) and PSNR. */
  evaluate(images: ImagesInput): Evaluation {
    const fn = 'QuantizedAutoencoder.evaluate';
    const { data, count } = this.host.imagesOf(images, fn, 'images', this.spec.imageSize);
    const out = this.run(fn, data, count, 0, this.layers.length - 1);
    const D = this.spec.imageSize,
      f = data instanceof Uint8Array ? 1 / 255 : 1;
    let sum = 0;
    for (let r = 0; r < count; r++) {
      let e = 0;
      for (let i = r * D; i < (r + 1) * D; i++) {
        const d = out[i] - data[i] * f;
        e += d * d;
      }
      sum += e / D;
    }
    const mse = sum / count;
    return { count, mse, psnr: 10 * Math.log10(1 / mse) };
  }

  /** The model as bytes (int8 weights, about a quarter of the float file; CRC-checked). */
  save(): Uint8Array {
    void this.k;
    return encodeQuantizedFile(this.host, this.config, this.layers);
  }

  /** save()'s bytes to a file path or file: URL (Node, Deno, Bun), or 'indexeddb://name'. */
  async saveTo(target: string | URL): Promise<void> {
    const { writeModel } = await import('../io/storage.js');
    await writeModel(target, this.save(), 'QuantizedAutoencoder.saveTo');
  }

  dispose(): void {
    this.kernels = null;
  }

  private run(fn: string, data: Images, count: number, first: number, last: number, out?: Float32Array): Float32Array {
    const k = this.k;
    const width = this.layers[last].spec.kind === 'dense' ? this.layers[last].N : this.layers[last].spec.outputs;
    const inWidth = first === 0 ? this.spec.imageSize : this.spec.latent;
    const length = this.host.resultLength(fn, count, width);
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== length))
      throw this.host.argError(fn, 'out', `a Float32Array of ${length} values`, out);
    const result = out ?? new Float32Array(length);
    const u8 = data instanceof Uint8Array;
    for (let r0 = 0; r0 < count; r0 += this.blockRows) {
      const n = Math.min(this.blockRows, count - r0);
      const view = data.subarray(r0 * inWidth, (r0 + n) * inWidth);
      if (u8) this.arena.u8.set(view, this.at.input);
      else this.arena.f32.set(view, this.at.input >> 2);
      let x = this.at.input,
        inKind: 'u8' | 'f32' = u8 ? 'u8' : 'f32';
      let y = this.at.a;
      for (let l = first; l <= last; l++) {
        this.layerForward(k, this.placed[l], y, x, n, inKind);
        x = y;
        inKind = 'f32';
        y = y === this.at.a ? this.at.b : this.at.a;
      }
      result.set(this.arena.f32.subarray(x >> 2, (x >> 2) + n * width), r0 * width);
    }
    return result;
  }

  private quantizeInput(k: Kernels, p: Placed, x: number, rows: number, K: number, kind: 'u8' | 'f32'): void {
    if (kind === 'u8' && p.qmax >= 255) {
      k.quantizeU8Rows(this.at.q, p.Kp, this.at.rowScales, x, rows, K);
      return;
    }
    if (kind === 'u8') {
      // Only the first layer reads bytes, and it writes to `a`: `b` is free.
      k.u8ToF32(this.at.b, x, rows * K);
      x = this.at.b;
    }
    k.quantizeRows(this.at.q, p.Kp, this.at.rowScales, x, rows, K, p.qmax);
  }

  private layerForward(k: Kernels, p: Placed, out: number, x: number, n: number, kind: 'u8' | 'f32'): void {
    const { layer } = p,
      L = layer.spec,
      g = L.conv;
    const code = this.host.activationCodes[L.activation];
    // qgemm applies a relu as it stores; the other activations run after it.
    const act = L.activation === 'relu' ? code : 0;
    const { q, rowScales } = this.at;
    if (!g) {
      this.quantizeInput(k, p, x, n, layer.K, kind);
      k.qgemm(out, q, rowScales, 1, p.w, p.scales, p.bias, n, p.Kp, layer.N, act);
    } else {
      if (kind === 'u8') {
        k.u8ToF32(this.at.b, x, n * L.inputs);
        x = this.at.b;
      }
      const M = n * g.OH * g.OW;
      if (L.kind === 'conv2d') {
        // The image quantized as a whole (in place: a row is read before it is written), its
        // patches are integers already.
        k.quantizeRowsToF32(x, rowScales, x, n, L.inputs, p.qmax);
        k.im2col(this.at.patches, x, n, g.H, g.W, g.C, g.OH, g.OW, g.kernel, g.stride, g.padTop, g.padLeft);
        k.f32ToI16Rows(q, p.Kp, this.at.patches, M, layer.K);
        k.qgemm(out, q, rowScales, g.OH * g.OW, p.w, p.scales, p.bias, M, p.Kp, layer.N, act);
      } else {
        // Even channel counts: each example is one row of M/n rows of K (no padding between them).
        if (layer.K === p.Kp) k.quantizeRows(q, L.inputs, rowScales, x, n, L.inputs, p.qmax);
        else k.quantizeRows(q, p.Kp, rowScales, x, M, layer.K, p.qmax);
        k.qgemm(
          this.at.patches,
          q,
          rowScales,
          layer.K === p.Kp ? g.OH * g.OW : 1,
          p.w,
          p.scales,
          0,
          M,
          p.Kp,
          layer.N,
          0,
        );
        k.zeroF32(out, n * L.outputs);
        k.col2imAdd(out, this.at.patches, n, g.H, g.W, g.C, g.OH, g.OW, g.kernel, g.stride, g.padTop, g.padLeft);
        k.biasActivation(out, p.bias, n * g.H * g.W, g.C, code, L.alpha);
        return;
      }
    }
    const size = n * layer.N * p.rowsPer;
    if (L.activation === 'sigmoid') k.sigmoidForward(out, out, size);
    else if (L.activation === 'leakyRelu') k.leakyReluForward(out, out, size, L.alpha);
    else if (L.activation === 'tanh') k.tanhForward(out, out, size);
  }
}
