// One forward and one backward function per layer kind, over byte offsets (llm.c's shape:
// outputs first, then inputs, then sizes; backward accumulates into the gradient). The engine
// walks the chain and calls these; nothing else asks which kind a layer is.
//
// Every kind is a matrix product on the existing GEMMs:
//   dense            Y = X·W + b                     dW += Xᵀ·dZ              dX = dZ·Wᵀ
//   conv2d           Y = im2col(X)·W + b            dW += im2col(X)ᵀ·dZ      dX = col2im(dZ·Wᵀ)
//   conv2dTranspose  Y = col2im(X·Wᵀ) + b           dW += im2col(dY)ᵀ·X      dX = im2col(dY)·W
// (conv2dTranspose adds its bias after col2im, with the activation, in one pass.)
// where the patch matrices of a chunk live in the workspace (a conv2d layer keeps its own from
// forward to backward), Wᵀ in the transposed-weights buffer (kept in step with W after every update).
import type { Kernels } from '../runtime/wasm.js';
import type { ConvGeometry, LayerSpec } from './network.js';
import { ACTIVATION_CODES } from './codes.js';

/** Where a layer's tensors are: the current parameters, the transposed weights, and each layer's
 *  patch matrix for one chunk (a conv2d layer's holds its forward im2col until its backward). */
export interface LayerBuffers {
  params: number;
  transposed: number;
  patches: number[];
}

function im2col(k: Kernels, cols: number, image: number, rows: number, g: ConvGeometry): void {
  k.im2col(cols, image, rows, g.H, g.W, g.C, g.OH, g.OW, g.kernel, g.stride, g.padTop, g.padLeft);
}

function col2imAdd(k: Kernels, image: number, cols: number, rows: number, g: ConvGeometry): void {
  k.col2imAdd(image, cols, rows, g.H, g.W, g.C, g.OH, g.OW, g.kernel, g.stride, g.padTop, g.padLeft);
}

/** out = the layer's output for `rows` examples at `x`; without `activate`, its pre-activation
 *  (a sigmoid output fused into the loss). A dense or conv2d layer's activation is applied as its
 *  GEMM stores (the same bits as the activation kernels, one pass over the output saved). */
export function layerForward(
  k: Kernels,
  L: LayerSpec,
  l: number,
  out: number,
  x: number,
  rows: number,
  b: LayerBuffers,
  activate: boolean,
): void {
  const W = b.params + L.weightOffset * 4,
    bias = b.params + L.biasOffset * 4;
  const patches = b.patches[l];
  const g = L.conv;
  const act = activate ? ACTIVATION_CODES[L.activation] : 0;
  if (!g) {
    k.gemmNN(out, x, W, bias, rows, L.inputs, L.outputs, act, L.alpha);
  } else if (L.kind === 'conv2d') {
    im2col(k, patches, x, rows, g);
    k.gemmNN(out, patches, W, bias, rows * g.OH * g.OW, L.weightRows, L.weightCols, act, L.alpha);
  } else {
    const Wt = b.transposed + L.transposedOffset * 4;
    k.gemmNN(patches, x, Wt, 0, rows * g.OH * g.OW, L.weightCols, L.weightRows, 0, 0);
    k.zeroF32(out, rows * L.outputs);
    col2imAdd(k, out, patches, rows, g);
    // The bias and the activation in one pass over the output.
    k.biasActivation(out, bias, rows * g.H * g.W, g.C, act, L.alpha);
  }
}

/**
 * Given dZ (`d`, the gradient of the pre-activation) and the layer's input `x`: writes dW and db
 * into `grad` (each chunk's gradient holds every parameter once, so nothing zeroes it first), and writes dX to `dx` unless it is 0 (the first layer needs none). Runs after the
 * same chunk's forward: a conv2d layer's patch matrix is still in place.
 */
export function layerBackward(
  k: Kernels,
  L: LayerSpec,
  l: number,
  grad: number,
  dx: number,
  d: number,
  x: number,
  rows: number,
  b: LayerBuffers,
): void {
  const dW = grad + L.weightOffset * 4,
    db = grad + L.biasOffset * 4;
  const patches = b.patches[l];
  const g = L.conv;
  if (!g) {
    k.gemmTN(dW, x, d, L.inputs, rows, L.outputs, 0);
    k.biasBackward(db, d, rows, L.outputs, 0);
    if (dx) k.gemmNN(dx, d, b.transposed + L.transposedOffset * 4, 0, rows, L.outputs, L.inputs, 0, 0);
  } else if (L.kind === 'conv2d') {
    const M = rows * g.OH * g.OW;
    k.gemmTN(dW, patches, d, L.weightRows, M, L.weightCols, 0);
    k.biasBackward(db, d, M, L.weightCols, 0);
    if (dx) {
      // The patches are no longer needed: their buffer takes dZ·Wᵀ.
      k.gemmNN(patches, d, b.transposed + L.transposedOffset * 4, 0, M, L.weightCols, L.weightRows, 0, 0);
      k.zeroF32(dx, rows * L.inputs);
      col2imAdd(k, dx, patches, rows, g);
    }
  } else {
    const M = rows * g.OH * g.OW;
    k.biasBackward(db, d, rows * g.H * g.W, g.C, 0);
    im2col(k, patches, d, rows, g);
    k.gemmTN(dW, patches, x, L.weightRows, M, L.weightCols, 0);
    if (dx) k.gemmNN(dx, patches, b.params + L.weightOffset * 4, 0, M, L.weightRows, L.weightCols, 0, 0);
  }
}

/** d ← d ⊙ f'(y), in place, from the layer's output y. */
export function activationBackward(k: Kernels, L: LayerSpec, d: number, y: number, n: number): void {
  switch (L.activation) {
    case 'relu':
      k.reluBackward(d, d, y, n);
      break;
    case 'leakyRelu':
      k.leakyReluBackward(d, d, y, n, L.alpha);
      break;
    case 'sigmoid':
      k.sigmoidBackward(d, d, y, n);
      break;
    case 'tanh':
      k.tanhBackward(d, d, y, n);
      break;
    case 'linear':
      break;
  }
}
