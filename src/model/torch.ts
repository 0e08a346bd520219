// A model as PyTorch sees it: the torch.nn.Sequential that runs the same network, its state_dict
// names and shapes, and where each of its numbers sits in our parameter vector.
//
// One module per layer, with the modules PyTorch needs around it, each taking an index:
//   dense            Linear(in, out)                    weight [out, in] = our W[in][out] transposed
//   conv2d           [ZeroPad2d(l, r, t, b)] Conv2d     weight [cout, cin, k, k] = our W[kh][kw][cin][cout]
//   conv2dTranspose  ConvTranspose2d [ZeroPad2d(crop)]  weight [cin, cout, k, k] = our W[kh][kw][cout][cin]
//   activation       ReLU, LeakyReLU(α), Sigmoid, Tanh  (none for linear)
// 'same' pads as TensorFlow does (the odd pixel after). Conv2d pads symmetrically, so an uneven
// padding becomes a ZeroPad2d before a Conv2d(padding=0); ConvTranspose2d crops symmetrically, so an
// uneven crop becomes a ZeroPad2d with negative sizes after it. Our tensors are channels-last and
// PyTorch's channels-first: a Flatten before the first dense layer after a conv layer and an
// Unflatten(1, (C, H, W)) after a dense layer feeding a conv layer, with that Linear's input (or
// output) index reordered from HWC to CHW order, so that PyTorch's plain modules run our network.
// A dense-only model reads and writes the image flattened in our order (H, W, C).
import type { LayerSpec, NetworkSpec } from '../engine/network.js';

export interface TorchModule {
  index: number;
  /** The module's Python constructor, as in `nn.Sequential(...)` (names under `nn.`). */
  python: string;
}

export interface TorchTensor {
  /** The state_dict key: `<index>.weight` or `<index>.bias`. */
  name: string;
  shape: number[];
  /** For each float of the tensor (row-major), its index in our parameter vector. */
  source: Int32Array;
}

export interface TorchLayout {
  modules: TorchModule[];
  tensors: TorchTensor[];
}

const ACTIVATION_MODULES = { relu: 'ReLU()', sigmoid: 'Sigmoid()', tanh: 'Tanh()' } as const;

/** The Sequential of a network and its tensors. Conditional models have no such module. */
export function torchLayout(spec: NetworkSpec): TorchLayout {
  if (spec.classes > 0)
    throw new Error('a conditional model has no torch.nn.Sequential form (its layers read a label beside their input)');
  const modules: TorchModule[] = [];
  const tensors: TorchTensor[] = [];
  const add = (python: string): number => {
    modules.push({ index: modules.length, python });
    return modules.length - 1;
  };
  spec.layers.forEach((L, l) => {
    const prev = spec.layers[l - 1],
      next = spec.layers[l + 1];
    if (L.kind === 'dense') {
      const flattenBefore = prev !== undefined && prev.kind !== 'dense';
      const unflattenAfter = next !== undefined && next.kind !== 'dense';
      if (flattenBefore) add('Flatten()');
      const i = add(`Linear(${L.inputs}, ${L.outputs})`);
      tensors.push(...denseTensors(L, i, flattenBefore ? prev.outShape : null, unflattenAfter ? next.inShape : null));
      activation(L);
      if (unflattenAfter) add(`Unflatten(1, (${next.inShape[2]}, ${next.inShape[0]}, ${next.inShape[1]}))`);
      return;
    }
    const g = L.conv!;
    const k = g.kernel,
      s = g.stride,
      cin = L.inShape[2],
      cout = L.outShape[2];
    if (L.kind === 'conv2d') {
      const bottom = Math.max(0, (g.OH - 1) * s + k - g.H - g.padTop),
        right = Math.max(0, (g.OW - 1) * s + k - g.W - g.padLeft);
      const even = bottom === g.padTop && right === g.padLeft;
      if (!even) add(`ZeroPad2d((${g.padLeft}, ${right}, ${g.padTop}, ${bottom}))`);
      const i = add(`Conv2d(${cin}, ${cout}, ${k}, stride=${s}, padding=${even ? `(${g.padTop}, ${g.padLeft})` : 0})`);
      tensors.push(...convTensors(L, i, [cout, cin], (co, ci, kh, kw) => ((kh * k + kw) * cin + ci) * cout + co));
    } else {
      // ConvTranspose2d's full output is (in - 1)·s + k long; ours starts padTop into it.
      const fullH = (g.OH - 1) * s + k,
        fullW = (g.OW - 1) * s + k;
      const opH = g.H - fullH + 2 * g.padTop,
        opW = g.W - fullW + 2 * g.padLeft;
      const fits = opH >= 0 && opH < s && opW >= 0 && opW < s;
      const extraH = Math.max(0, g.H - fullH),
        extraW = Math.max(0, g.W - fullW);
      const i = add(
        fits
          ? `ConvTranspose2d(${cin}, ${cout}, ${k}, stride=${s}, padding=(${g.padTop}, ${g.padLeft}), output_padding=(${opH}, ${opW}))`
          : `ConvTranspose2d(${cin}, ${cout}, ${k}, stride=${s}, padding=0, output_padding=(${extraH}, ${extraW}))`,
      );
      tensors.push(...convTensors(L, i, [cin, cout], (ci, co, kh, kw) => ((kh * k + kw) * cout + co) * cin + ci));
      if (!fits)
        add(
          `ZeroPad2d((${-g.padLeft}, ${-(fullW + extraW - g.padLeft - g.W)}, ${-g.padTop}, ${-(fullH + extraH - g.padTop - g.H)}))`,
        );
    }
    activation(L);
  });
  return { modules, tensors };

  function activation(L: LayerSpec): void {
    if (L.activation === 'leakyRelu') add(`LeakyReLU(${L.alpha})`);
    else if (L.activation !== 'linear') add(ACTIVATION_MODULES[L.activation]);
  }
}

/** HWC index of the CHW index `t` of an H×W×C tensor. */
function hwcOf(t: number, shape: readonly number[]): number {
  const [H, W, C] = shape;
  const c = Math.floor(t / (H * W)),
    hw = t % (H * W);
  return hw * C + c;
}

function denseTensors(
  L: LayerSpec,
  index: number,
  inShape: readonly number[] | null,
  outShape: readonly number[] | null,
): TorchTensor[] {
  const I = L.inputs,
    O = L.outputs;
  const ours = (t: number, shape: readonly number[] | null): number => (shape ? hwcOf(t, shape) : t);
  const weight = new Int32Array(O * I);
  for (let o = 0; o < O; o++) {
    const oo = ours(o, outShape);
    for (let i = 0; i < I; i++) weight[o * I + i] = L.weightOffset + ours(i, inShape) * O + oo;
  }
  const bias = Int32Array.from({ length: O }, (_, o) => L.biasOffset + ours(o, outShape));
  return [
    { name: `${index}.weight`, shape: [O, I], source: weight },
    { name: `${index}.bias`, shape: [O], source: bias },
  ];
}

/** A conv layer's weight [a, b, k, k] (`ours` gives the offset in our W of element a, b, kh, kw) and bias. */
function convTensors(
  L: LayerSpec,
  index: number,
  [A, B]: number[],
  ours: (a: number, b: number, kh: number, kw: number) => number,
): TorchTensor[] {
  const k = L.conv!.kernel;
  const weight = new Int32Array(A * B * k * k);
  let n = 0;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) weight[n++] = L.weightOffset + ours(a, b, kh, kw);
  const C = L.outShape[2];
  const bias = Int32Array.from({ length: C }, (_, c) => L.biasOffset + c);
  return [
    { name: `${index}.weight`, shape: [A, B, k, k], source: weight },
    { name: `${index}.bias`, shape: [C], source: bias },
  ];
}
