// The network as the engine sees it: a chain of layer records (dense, conv2d, conv2dTranspose),
// where each one lives in the flat parameter vector, what sits between encoder and decoder, and
// which loss ends it. Built from already-validated model options.
//
// Tensors are channels-last (NHWC) and a row of a batch is one example, so flatten and reshape
// between conv and dense layers move nothing. Every kind's weights are one matrix W[rows × cols]
// in the tfjs/Keras layout: dense W[in][out]; conv2d W[kh][kw][cin][cout] = [k·k·cin × cout];
// conv2dTranspose W[kh][kw][cout][cin] = [k·k·cout × cin].

export type Activation = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'linear';
export type Loss = 'mse' | 'bce';
export type LayerKind = 'dense' | 'conv2d' | 'conv2dTranspose';
export type Padding = 'same' | 'valid';
/** [height, width, channels]. */
export type Shape = [number, number, number];

/** A convolution seen from its image side (the input of conv2d, the output of conv2dTranspose):
 *  an H×W×C image, a grid of OH×OW patch positions, each patch k·k·C values (kh, kw, c). */
export interface ConvGeometry {
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  kernel: number;
  stride: number;
  padTop: number;
  padLeft: number;
}

export interface LayerSpec {
  kind: LayerKind;
  inShape: Shape;
  outShape: Shape;
  /** Values per example in and out (a layer that takes a label counts it in `inputs`). */
  inputs: number;
  outputs: number;
  activation: Activation;
  /** Slope for x < 0 of leakyRelu; 0 otherwise. */
  alpha: number;
  /** The weights as one row-major matrix [weightRows × weightCols]. */
  weightRows: number;
  weightCols: number;
  /** fan-in + fan-out, for Glorot's limit. */
  fans: number;
  /** Offsets in floats into the parameter vector; each tensor starts on a 16-byte boundary. */
  weightOffset: number;
  biasOffset: number;
  /** Offset in floats into the transposed-weights buffer, -1 when the layer never needs Wᵀ. */
  transposedOffset: number;
  /** Conditional encoders: this layer reads [previous output | one-hot label]. */
  labelIn: boolean;
  conv?: ConvGeometry;
}

export interface NetworkSpec {
  layers: LayerSpec[];
  loss: Loss;
  /** Index of the layer whose output is the code (for a variational model: mean and log-variance). */
  codeLayer: number;
  latent: number;
  /** Variational: the code layer gives [mean, log-variance] and the decoder reads a sample. */
  variational: boolean;
  /** Weight of the KL term (variational models). */
  beta: number;
  /** Conditional: a one-hot label of this many classes follows the image (or the first dense
   *  layer's input, after conv layers) and the code. */
  classes: number;
  /** Index of the encoder layer that reads the label (-1 without labels). */
  labelLayer: number;
  /** Values per image: the output, and the input without its label. */
  imageSize: number;
  /** Floats in the parameter vector (a multiple of 4). */
  paramCount: number;
  /** Floats in the transposed-weights buffer. */
  transposedCount: number;
  /** Width of the first layer's input (image, then label for a dense conditional model). */
  inputSize: number;
  outputSize: number;
  /** Widest activation or layer input of one example. */
  maxWidth: number;
  /** Patch-matrix floats of one example: every conv2d layer keeps its own from forward to
   *  backward (no second im2col), the conv2dTranspose layers share one scratch. */
  patchFloats: number;
}

export interface DensePlan {
  kind?: 'dense';
  inputs: number;
  outputs: number;
  activation: Activation;
}

export interface ConvPlan {
  kind: 'conv2d' | 'conv2dTranspose';
  inShape: Shape;
  filters: number;
  kernel: number;
  stride: number;
  padding: Padding;
  activation: Activation;
}

export type LayerPlan = DensePlan | ConvPlan;

/** Largest parameter vector a model may have (floats): six banks of it and the gradient
 *  partials must fit a 32-bit wasm memory. */
export const MAX_PARAMS = 1 << 25;

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Output size along one axis, as Keras computes it. */
function convOutputLength(
  kind: 'conv2d' | 'conv2dTranspose',
  input: number,
  kernel: number,
  stride: number,
  padding: Padding,
): number {
  if (kind === 'conv2d')
    return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - kernel) / stride) + 1;
  return padding === 'same' ? input * stride : input * stride + Math.max(kernel - stride, 0);
}

/** Padding before the first pixel of an axis of `image` values scanned by `positions` patches. */
function padBefore(image: number, positions: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.floor(Math.max((positions - 1) * stride + kernel - image, 0) / 2) : 0;
}

export function convOutputShape(p: Omit<ConvPlan, 'activation'>): Shape {
  const [h, w] = p.inShape;
  return [
    convOutputLength(p.kind, h, p.kernel, p.stride, p.padding),
    convOutputLength(p.kind, w, p.kernel, p.stride, p.padding),
    p.filters,
  ];
}

/** Floats of one example's patch matrix for a conv layer (positions × k·k·C), 0 for dense. */
export function patchFloatsOf(L: LayerSpec): number {
  return L.conv ? L.conv.OH * L.conv.OW * L.conv.kernel * L.conv.kernel * L.conv.C : 0;
}

const isConv = (p: LayerPlan): p is ConvPlan => p.kind === 'conv2d' || p.kind === 'conv2dTranspose';
const size = (s: Shape): number => s[0] * s[1] * s[2];

export function buildNetwork(
  plan: readonly LayerPlan[],
  options: {
    alpha: number;
    loss: Loss;
    codeLayer: number;
    latent: number;
    variational: boolean;
    beta: number;
    classes: number;
  },
): NetworkSpec {
  const layers: LayerSpec[] = [];
  let offset = 0;
  let transposed = 0;
  const labelLayer = options.classes > 0 ? plan.findIndex((p) => !isConv(p)) : -1;
  plan.forEach((p, l) => {
    const labelIn = l === labelLayer;
    let layer: Omit<LayerSpec, 'weightOffset' | 'biasOffset' | 'transposedOffset'>;
    const common = { activation: p.activation, alpha: p.activation === 'leakyRelu' ? options.alpha : 0, labelIn };
    if (isConv(p)) {
      const outShape = convOutputShape(p);
      if (!(outShape[0] > 0 && outShape[1] > 0))
        throw new Error(`network: layer ${l} (${p.kind}) leaves no output from ${p.inShape.join('×')}`);
      const image = p.kind === 'conv2d' ? p.inShape : outShape,
        grid = p.kind === 'conv2d' ? outShape : p.inShape;
      const kk = p.kernel * p.kernel;
      const conv: ConvGeometry = {
        H: image[0],
        W: image[1],
        C: image[2],
        OH: grid[0],
        OW: grid[1],
        kernel: p.kernel,
        stride: p.stride,
        padTop: padBefore(image[0], grid[0], p.kernel, p.stride, p.padding),
        padLeft: padBefore(image[1], grid[1], p.kernel, p.stride, p.padding),
      };
      const cin = p.inShape[2],
        cout = p.filters;
      layer = {
        kind: p.kind,
        inShape: p.inShape,
        outShape,
        inputs: size(p.inShape),
        outputs: size(outShape),
        ...common,
        weightRows: p.kind === 'conv2d' ? kk * cin : kk * cout,
        weightCols: p.kind === 'conv2d' ? cout : cin,
        fans: kk * (cin + cout),
        conv,
      };
    } else {
      layer = {
        kind: 'dense',
        inShape: [1, 1, p.inputs],
        outShape: [1, 1, p.outputs],
        inputs: p.inputs,
        outputs: p.outputs,
        ...common,
        weightRows: p.inputs,
        weightCols: p.outputs,
        fans: p.inputs + p.outputs,
      };
    }
    const weightOffset = offset;
    offset += roundUp4(layer.weightRows * layer.weightCols);
    const biasOffset = offset;
    offset += roundUp4(layer.outShape[2]);
    if (offset > MAX_PARAMS)
      throw new Error(
        `network: the model needs more than ${MAX_PARAMS} parameters (layer ${l}: ${layer.kind} with ${layer.weightRows}×${layer.weightCols} weights)`,
      );
    // Wᵀ serves dX = dZ·Wᵀ (dense, conv2d: every layer but the first) and conv2dTranspose's forward.
    const needsTransposed = layer.kind === 'conv2dTranspose' || l > 0;
    const transposedOffset = needsTransposed ? transposed : -1;
    if (needsTransposed) transposed += roundUp4(layer.weightRows * layer.weightCols);
    layers.push({ ...layer, weightOffset, biasOffset, transposedOffset });
  });
  const last = layers[layers.length - 1];
  const widths = layers.flatMap((L) => [L.inputs, L.outputs]);
  const patchFloats =
    layers.filter((L) => L.kind === 'conv2d').reduce((n, L) => n + patchFloatsOf(L), 0) +
    Math.max(0, ...layers.filter((L) => L.kind === 'conv2dTranspose').map(patchFloatsOf));
  return {
    layers,
    loss: options.loss,
    codeLayer: options.codeLayer,
    latent: options.latent,
    variational: options.variational,
    beta: options.beta,
    classes: options.classes,
    labelLayer,
    imageSize: last.outputs,
    paramCount: offset,
    transposedCount: Math.max(transposed, 4),
    inputSize: layers[0].inputs,
    outputSize: last.outputs,
    maxWidth: Math.max(...widths),
    patchFloats,
  };
}
