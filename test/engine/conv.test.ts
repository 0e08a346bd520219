// Conv layers through the engine: the forward pass against a plain TypeScript network (direct
// convolution loops, Keras 'same'/'valid' geometry, f64), and finite-difference gradients of
// whole conv networks at odd sizes: kernels 1, 2, 3 and 5, strides 1 and 2, both paddings, 1, 3
// and odd channel counts, odd image sizes, conv2d in the decoder, variational and conditional.
//
// The finite-difference set-up and its bound (relative error of the gradient vector < 1e-2) are
// those of gradient.test.ts; smooth activations (tanh, sigmoid, linear) keep every point
// differentiable. Run with SHOW_GRAD_ERRORS=1 to print the measured errors.
import { describe, it, expect } from 'vitest';
import type { Engine, SampleOptions } from '../../src/engine/engine.js';
import {
  buildNetwork,
  convOutputShape,
  type Activation,
  type LayerPlan,
  type Loss,
  type NetworkSpec,
  type Shape,
} from '../../src/engine/network.js';
import type { KernelBuildName } from '../../src/runtime/wasm.js';
import {
  analyticGradient as gradientOf,
  engineLoss,
  gradientEngine,
  numericGradient as differences,
  relativeError,
} from '../helpers/gradients.js';

const ROWS = 3;

interface Case {
  name: string;
  input: Shape;
  /** Encoder layers, then the code layer's width; decoder layers after it. */
  encoder: LayerPlan[];
  latent: number;
  decoder: LayerPlan[];
  variational?: boolean;
  classes?: number;
}

const conv = (
  kind: 'conv2d' | 'conv2dTranspose',
  inShape: Shape,
  filters: number,
  kernel: number,
  stride: number,
  padding: 'same' | 'valid',
  activation: Activation = 'tanh',
): LayerPlan => ({ kind, inShape, filters, kernel, stride, padding, activation });
const dense = (inputs: number, outputs: number, activation: Activation = 'tanh'): LayerPlan => ({
  inputs,
  outputs,
  activation,
});

const CASES: Case[] = [
  {
    // 5×7×3, kernel 3 stride 2 valid → 2×3×4, a 1×1 conv, and back with conv2dTranspose (valid).
    name: '5×7×3: conv2d k3 s2 valid, k1 s1 same; conv2dTranspose k1 s1 same, k3 s2 valid',
    input: [5, 7, 3],
    latent: 3,
    encoder: [conv('conv2d', [5, 7, 3], 4, 3, 2, 'valid'), conv('conv2d', [2, 3, 4], 5, 1, 1, 'same')],
    decoder: [
      dense(3, 30),
      conv('conv2dTranspose', [2, 3, 5], 4, 1, 1, 'same'),
      conv('conv2dTranspose', [2, 3, 4], 3, 3, 2, 'valid', 'sigmoid'),
    ],
  },
  {
    // kernel 5 'same' at stride 1, stride 2 'same' on an even size, conv2d at the end of the decoder.
    name: '6×6×1: conv2d k5 s1 same, k3 s2 same; conv2dTranspose k5 s2 same, conv2d k3 s1 same',
    input: [6, 6, 1],
    latent: 4,
    encoder: [conv('conv2d', [6, 6, 1], 3, 5, 1, 'same'), conv('conv2d', [6, 6, 3], 2, 3, 2, 'same')],
    decoder: [
      dense(4, 18),
      conv('conv2dTranspose', [3, 3, 2], 3, 5, 2, 'same'),
      conv('conv2d', [6, 6, 3], 1, 3, 1, 'same', 'sigmoid'),
    ],
  },
  {
    // An odd size at stride 2 'same' (padding 1 before, 1 after), an even kernel, a dense hidden layer.
    name: '7×7×1: conv2d k3 s2 same (odd size), dense 5; conv2dTranspose k3 s2 same, conv2d k2 s1 valid',
    input: [7, 7, 1],
    latent: 3,
    encoder: [conv('conv2d', [7, 7, 1], 2, 3, 2, 'same'), dense(32, 5)],
    decoder: [
      dense(3, 5),
      dense(5, 32),
      conv('conv2dTranspose', [4, 4, 2], 3, 3, 2, 'same'),
      conv('conv2d', [8, 8, 3], 1, 2, 1, 'valid', 'sigmoid'),
    ],
  },
  {
    name: 'variational 6×6×1: conv2d k3 s2 same; conv2dTranspose k3 s2 same',
    input: [6, 6, 1],
    latent: 2,
    variational: true,
    encoder: [conv('conv2d', [6, 6, 1], 3, 3, 2, 'same')],
    decoder: [dense(2, 27), conv('conv2dTranspose', [3, 3, 3], 1, 3, 2, 'same', 'sigmoid')],
  },
  {
    name: 'conditional 6×6×1 (label after the conv features and after the code)',
    input: [6, 6, 1],
    latent: 2,
    classes: 3,
    encoder: [conv('conv2d', [6, 6, 1], 3, 3, 2, 'same')],
    decoder: [dense(2 + 3, 27), conv('conv2dTranspose', [3, 3, 3], 1, 3, 2, 'same', 'sigmoid')],
  },
];

function specOf(c: Case, loss: Loss): NetworkSpec {
  const classes = c.classes ?? 0,
    variational = c.variational ?? false;
  const last = c.encoder[c.encoder.length - 1];
  const features =
    last.kind === 'conv2d' || last.kind === 'conv2dTranspose'
      ? convOutputShape(last).reduce((a, b) => a * b)
      : (last as { outputs: number }).outputs;
  const code = dense(features + classes, variational ? 2 * c.latent : c.latent, 'linear');
  return buildNetwork([...c.encoder, code, ...c.decoder], {
    alpha: 0.3,
    loss,
    codeLayer: c.encoder.length,
    latent: c.latent,
    variational,
    beta: 0.7,
    classes,
  });
}

async function makeEngine(c: Case, loss: Loss, seed: number, build: KernelBuildName = 'simd'): Promise<Engine> {
  const spec = specOf(c, loss);
  const { engine, prng } = await gradientEngine(spec, ROWS, seed, build);
  const ws = engine.workspaces[0];
  const f32 = engine.arena.f32;
  for (let i = 0; i < ROWS * spec.inputSize; i++) f32[(ws.input >> 2) + i] = 0.05 + 0.9 * prng.next();
  for (let i = 0; i < ROWS * spec.outputSize; i++) f32[(ws.target >> 2) + i] = 0.05 + 0.9 * prng.next();
  for (let r = 0; r < ROWS; r++) engine.arena.u8[engine.at.inferLabels + r] = r % Math.max(1, spec.classes);
  return engine;
}

function sampleOf(engine: Engine): SampleOptions {
  return {
    seed: 99,
    first: 0,
    labels: engine.spec.classes > 0 ? { labels: engine.at.inferLabels, indices: 0 } : undefined,
  };
}

/** Central differences of the mean loss: of the f64 reference network when there is one (no
 *  f32 rounding in the loss, so the check is tight), else of the engine's own f32 forward. */
function numericGradient(engine: Engine, reference: boolean): Float64Array {
  return differences(engine, () => (reference ? refMeanLoss(engine) : engineLoss(engine, ROWS, sampleOf(engine))));
}

const analyticGradient = (engine: Engine): Float32Array => gradientOf(engine, ROWS, sampleOf(engine));

// ---- plain TypeScript reference ---------------------------------------------------------------

const ACT: Record<Activation, (z: number) => number> = {
  relu: (z) => Math.max(z, 0),
  leakyRelu: (z) => (z > 0 ? z : 0.3 * z),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  tanh: Math.tanh,
  linear: (z) => z,
};

/** Keras padding before the first pixel for `out` positions over `size` values. */
function padOf(size: number, out: number, kernel: number, stride: number, padding: string): number {
  return padding === 'same' ? Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2) : 0;
}

/** conv2d, direct: y[oh][ow][co] = b[co] + Σ x[oh·s+kh-pt][ow·s+kw-pl][ci]·W[kh][kw][ci][co]. */
function refConv2d(
  x: Float64Array,
  [h, w, cin]: Shape,
  W: Float32Array,
  bias: Float32Array,
  [oh, ow, cout]: Shape,
  k: number,
  s: number,
  padding: string,
): Float64Array {
  const y = new Float64Array(oh * ow * cout);
  const pt = padOf(h, oh, k, s, padding),
    pl = padOf(w, ow, k, s, padding);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let co = 0; co < cout; co++) {
        let sum = bias[co];
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) {
            const ih = i * s + kh - pt,
              iw = j * s + kw - pl;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            for (let ci = 0; ci < cin; ci++)
              sum += x[(ih * w + iw) * cin + ci] * W[((kh * k + kw) * cin + ci) * cout + co];
          }
        y[(i * ow + j) * cout + co] = sum;
      }
  return y;
}

/** conv2dTranspose, direct scatter: each input pixel adds x·W[kh][kw][co][ci] to the output pixel
 *  that a conv2d over the output would have read at that tap. */
function refConv2dTranspose(
  x: Float64Array,
  [ih, iw, cin]: Shape,
  W: Float32Array,
  bias: Float32Array,
  [oh, ow, cout]: Shape,
  k: number,
  s: number,
  padding: string,
): Float64Array {
  const y = new Float64Array(oh * ow * cout);
  for (let p = 0; p < oh * ow; p++) for (let co = 0; co < cout; co++) y[p * cout + co] = bias[co];
  const pt = padOf(oh, ih, k, s, padding),
    pl = padOf(ow, iw, k, s, padding);
  for (let i = 0; i < ih; i++)
    for (let j = 0; j < iw; j++)
      for (let kh = 0; kh < k; kh++)
        for (let kw = 0; kw < k; kw++) {
          const r = i * s + kh - pt,
            c = j * s + kw - pl;
          if (r < 0 || r >= oh || c < 0 || c >= ow) continue;
          for (let co = 0; co < cout; co++) {
            let sum = 0;
            for (let ci = 0; ci < cin; ci++)
              sum += x[(i * iw + j) * cin + ci] * W[((kh * k + kw) * cout + co) * cin + ci];
            y[(r * ow + c) * cout + co] += sum;
          }
        }
  return y;
}

/** The network on one example in f64 (not variational; a conditional model reads `label`
 *  one-hot after the first dense layer's input and after the code). */
function refForward(spec: NetworkSpec, params: Float32Array, input: Float32Array, label = 0): Float64Array {
  let x = Float64Array.from(input);
  for (const [l, L] of spec.layers.entries()) {
    if (spec.classes > 0 && (L.labelIn || l === spec.codeLayer + 1)) {
      const oneHot = new Float64Array(spec.classes);
      oneHot[label] = 1;
      x = Float64Array.from([...x, ...oneHot]);
    }
    const W = params.subarray(L.weightOffset, L.weightOffset + L.weightRows * L.weightCols);
    const b = params.subarray(L.biasOffset, L.biasOffset + L.outShape[2]);
    let z: Float64Array;
    if (L.kind === 'dense') {
      z = new Float64Array(L.outputs);
      for (let j = 0; j < L.outputs; j++) {
        let s = b[j];
        for (let i = 0; i < L.inputs; i++) s += x[i] * W[i * L.outputs + j];
        z[j] = s;
      }
    } else {
      const k = L.conv!.kernel,
        s = L.conv!.stride;
      // Recover the padding mode from the shapes, as a user would have written it.
      const same =
        L.kind === 'conv2d'
          ? L.outShape[0] === Math.ceil(L.inShape[0] / s) && L.outShape[1] === Math.ceil(L.inShape[1] / s)
          : L.outShape[0] === L.inShape[0] * s && L.outShape[1] === L.inShape[1] * s;
      z = (L.kind === 'conv2d' ? refConv2d : refConv2dTranspose)(
        x,
        L.inShape,
        W,
        b,
        L.outShape,
        k,
        s,
        same ? 'same' : 'valid',
      );
    }
    x = z.map(ACT[L.activation]);
  }
  return x;
}

function refMeanLoss(engine: Engine): number {
  const { spec } = engine,
    ws = engine.workspaces[0],
    f32 = engine.arena.f32;
  let sum = 0;
  for (let r = 0; r < ROWS; r++) {
    const y = refForward(
      spec,
      engine.params(),
      f32.subarray((ws.input >> 2) + r * spec.inputSize, (ws.input >> 2) + (r + 1) * spec.inputSize),
      r % Math.max(1, spec.classes),
    );
    for (let i = 0; i < y.length; i++) {
      const t = f32[(ws.target >> 2) + r * spec.outputSize + i];
      sum += spec.loss === 'bce' ? -(t * Math.log(y[i]) + (1 - t) * Math.log(1 - y[i])) : (y[i] - t) ** 2;
    }
  }
  return sum / (ROWS * spec.outputSize);
}

describe('conv layers: forward against a plain TypeScript network', () => {
  it.each(
    CASES.filter((c) => !c.variational).flatMap((c) =>
      (['simd', 'relaxed'] as KernelBuildName[]).map((b) => [c.name, b, c] as const),
    ),
  )('%s (%s build)', async (_, build, c) => {
    const { supportsRelaxedSimd } = await import('../../src/runtime/wasm.js');
    if (build === 'relaxed' && !supportsRelaxedSimd()) return; // kernel-harness tests say why; Node 20 needs the flag
    const engine = await makeEngine(c, 'mse', 5, build);
    const { spec } = engine;
    const ws = engine.workspaces[0];
    engine.forward(ws, ROWS, ws.input, 0, spec.layers.length - 1, { labels: sampleOf(engine).labels });
    const f32 = engine.arena.f32;
    const last = ws.acts[spec.layers.length - 1] >> 2;
    for (let r = 0; r < ROWS; r++) {
      const input = f32.slice((ws.input >> 2) + r * spec.inputSize, (ws.input >> 2) + (r + 1) * spec.inputSize);
      const ref = refForward(spec, engine.params(), input, r % Math.max(1, spec.classes));
      const got = f32.subarray(last + r * spec.outputSize, last + (r + 1) * spec.outputSize);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-6);
    }
  });
});

describe('conv layers: finite-difference gradient of whole networks (simd build)', () => {
  // Against the f64 reference network the only errors are the f32 arithmetic of the analytic
  // gradient and O(h²) truncation: about 1e-6 relative; 1e-4 leaves a wide margin while a wrong
  // tap, offset or transpose (an error of a whole term) is far outside. The variational case
  // (its noise comes from the kernels) differences the engine's own f32 loss, as
  // gradient.test.ts does: 1e-2.
  it.each(CASES.flatMap((c) => (['mse', 'bce'] as Loss[]).map((loss) => [c.name, loss, c] as const)))(
    '%s, %s',
    async (name, loss, c) => {
      const engine = await makeEngine(c, loss, 3);
      const reference = !c.variational;
      const analytic = analyticGradient(engine);
      const err = relativeError(analytic, numericGradient(engine, reference));
      if (process.env.SHOW_GRAD_ERRORS) console.log(`${name}/${loss}: relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(reference ? 1e-4 : 1e-2);
      // Every layer's weights get a gradient (no layer silently skipped).
      for (const L of engine.spec.layers) {
        const g = analytic.subarray(L.weightOffset, L.weightOffset + L.weightRows * L.weightCols);
        expect(Math.max(...Array.from(g, Math.abs))).toBeGreaterThan(1e-5);
      }
    },
  );
});
