// The network's passes over a thread's workspace: forward over a range of layers (with the
// bottleneck between encoder and decoder: the code, a variational draw, a conditional label) and
// forward + backward of a training chunk. The Engine's forward and forwardBackward call these.
import type { Engine } from './engine.js';
import { activationBackward, layerBackward, layerForward, type LayerBuffers } from './layers.js';
import type { Workspace } from './layout.js';
import type { SampleOptions } from './training.js';

/** Forward and backward of `rows` rows in `ws.input` against `target`; gradients added into `grad`. */
export function forwardBackward(
  e: Engine,
  ws: Workspace,
  rows: number,
  grad: number,
  target: number,
  scale: number,
  sample: SampleOptions = { seed: 0, first: 0 },
): number {
  const k = e.kernels,
    { spec } = e;
  const layers = spec.layers,
    last = layers.length - 1,
    code = spec.codeLayer;
  const kl = forward(e, ws, rows, ws.input, 0, last, { logitsOut: spec.loss === 'bce', sample });
  const y = ws.acts[last];
  const n = rows * spec.outputSize;
  let d = ws.gradA,
    other = ws.gradB;
  let lossSum: number;
  if (spec.loss === 'bce') {
    lossSum = k.bceSigmoidLoss(d, y, y, target, n, scale);
  } else {
    // An output sigmoid's derivative is taken in the loss's pass (the same bits).
    const sigmoid = layers[last].activation === 'sigmoid';
    lossSum = k.mseLoss(d, y, target, n, scale, sigmoid ? 1 : 0);
    if (!sigmoid) activationBackward(k, layers[last], d, y, n);
  }
  const bottleneck = hasBottleneck(e);
  const bnWidth = spec.latent + spec.classes;
  const buffers = buffersOf(e, ws);
  for (let l = last; l >= 0; l--) {
    const L = layers[l];
    if (l < last) activationBackward(k, L, d, ws.acts[l], rows * L.outputs);
    layerBackward(k, L, l, grad, l > 0 ? other : 0, d, inputOf(e, ws, l), rows, buffers);
    if (l === 0) break;
    let t = d;
    d = other;
    other = t;
    if (L.labelIn) {
      // d holds the gradient of [features | label]; keep the features'.
      const width = L.inputs - spec.classes;
      k.copyRows(other, width, d, L.inputs, rows, width);
      t = d;
      d = other;
      other = t;
    }
    if (l === code + 1 && bottleneck) {
      // d holds the gradient of the bottleneck [code | label]; take it back to the code layer.
      if (spec.variational)
        k.vaeBackward(other, d, bnWidth, ws.eps, ws.acts[code], rows, spec.latent, spec.beta * scale);
      else k.copyRows(other, spec.latent, d, bnWidth, rows, spec.latent);
      t = d;
      d = other;
      other = t;
    }
  }
  return lossSum + spec.beta * kl;
}

/** Where layer l of a training step reads its input. */
function inputOf(e: Engine, ws: Workspace, l: number): number {
  const L = e.spec.layers[l];
  if (l === 0) return ws.input;
  if (l === e.spec.codeLayer + 1 && hasBottleneck(e)) return ws.bottleneck;
  return L.labelIn ? ws.labelled : ws.acts[l - 1];
}

function buffersOf(e: Engine, ws: Workspace): LayerBuffers {
  return { params: e.paramsAt, transposed: e.at.transposed, patches: ws.patches };
}

function hasBottleneck(e: Engine): boolean {
  return e.spec.variational || e.spec.classes > 0;
}

/**
 * Layers [first, last] on `rows` rows starting at `input`; the output is at ws.acts[last].
 * Between the code layer and the decoder sits the bottleneck: the code (a variational model's
 * mean, or with `sample` a draw around it) followed by the one-hot label of conditional models.
 * Starting at the decoder, `input` holds codes. `logitsOut` leaves the last layer's sigmoid to
 * a fused loss. Returns the KL sum of a variational draw (0 otherwise).
 */
export function forward(
  e: Engine,
  ws: Workspace,
  rows: number,
  input: number,
  first: number,
  last: number,
  options: { logitsOut?: boolean; sample?: SampleOptions; labels?: { labels: number; indices: number } } = {},
): number {
  const k = e.kernels,
    { spec } = e;
  const code = spec.codeLayer;
  const labels = options.labels ?? options.sample?.labels;
  const buffers = buffersOf(e, ws);
  let kl = 0;
  let x = input;
  for (let l = first; l <= last; l++) {
    const L = e.spec.layers[l];
    if (l === code + 1 && hasBottleneck(e))
      x = bottleneck(e, ws, rows, x, first === l, options.sample, labels, (v) => {
        kl = v;
      });
    if (L.labelIn && l > 0) {
      // A conditional encoder after conv layers: the first dense layer reads [features | label].
      if (!labels) throw new Error('engine: a conditional model needs labels');
      const width = L.inputs - spec.classes;
      k.copyRows(ws.labelled, L.inputs, x, width, rows, width);
      k.oneHotRows(ws.labelled + width * 4, L.inputs, labels.labels, labels.indices, rows, spec.classes);
      x = ws.labelled;
    }
    const out = ws.acts[l];
    layerForward(k, L, l, out, x, rows, buffers, !(options.logitsOut && l === last));
    x = out;
  }
  return kl;
}

/** Fills ws.bottleneck from `codes` (the code layer's output, or given codes) and labels. */
function bottleneck(
  e: Engine,
  ws: Workspace,
  rows: number,
  codes: number,
  givenCodes: boolean,
  sample: SampleOptions | undefined,
  labels: { labels: number; indices: number } | undefined,
  kl: (v: number) => void,
): number {
  const k = e.kernels,
    { spec } = e;
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
