// ONNX export: the model, its encoder or its decoder as an ONNX ModelProto (opset 13, IR version
// 7) with a dynamic batch dimension 'N', written with our own protobuf writer (protobuf.ts).
// Tensors are NHWC here and NCHW in ONNX's Conv and ConvTranspose, so a conv stack is wrapped in
// one Transpose at each end and runs NCHW in between: flattening then happens in our NHWC order,
// which the dense weights after it expect. Weights are permuted from the Keras layouts
// (engine/network.ts) to ONNX's; ConvTranspose takes ours without a spatial flip.
import { Autoencoder } from '../model/autoencoder.js';
import { networkOf } from '../model/setup.js';
import type { LayerSpec } from '../engine/network.js';
import { layerNames } from '../model/summary.js';
import { ProtoWriter } from './protobuf.js';
import { argError, rejectUnknownOptions } from '../util/errors.js';

export type OnnxPart = 'autoencoder' | 'encoder' | 'decoder';

export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13 (ONNX 1.8). */
export const ONNX_IR_VERSION = 7;

const FN = 'toOnnx';
const FLOAT = 1,
  INT64 = 7; // TensorProto.DataType
const ATTR_FLOAT = 1,
  ATTR_INT = 2,
  ATTR_INTS = 7; // AttributeProto.AttributeType
const TO_NCHW = [0, 3, 1, 2],
  TO_NHWC = [0, 2, 3, 1];
const ACTIVATION_OPS = { relu: 'Relu', leakyRelu: 'LeakyRelu', sigmoid: 'Sigmoid', tanh: 'Tanh' } as const;

type Attribute = { name: string; int: number } | { name: string; float: number } | { name: string; ints: number[] };

/** The graph as it is built: nodes, initializers, and a counter for value names. */
class GraphBuilder {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private values = 0;

  /** A new value name. */
  value(): string {
    return `t${this.values++}`;
  }

  node(opType: string, name: string, inputs: string[], outputs: string[], attributes: Attribute[] = []): void {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, name).string(4, opType);
    for (const a of attributes) {
      const attr = new ProtoWriter().string(1, a.name);
      if ('int' in a) attr.int(3, a.int).int(20, ATTR_INT);
      else if ('float' in a) attr.float(2, a.float).int(20, ATTR_FLOAT);
      else attr.packedInts(8, a.ints).int(20, ATTR_INTS);
      n.message(5, attr);
    }
    this.nodes.push(n);
  }

  /** One op with a single input and a fresh output: its name. */
  op(opType: string, name: string, inputs: string[], attributes: Attribute[] = []): string {
    const out = this.value();
    this.node(opType, name, inputs, [out], attributes);
    return out;
  }

  floats(name: string, dims: number[], values: Float32Array): string {
    const raw = new Uint8Array(4 * values.length);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    this.initializers.push(new ProtoWriter().packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, raw));
    return name;
  }

  int64s(name: string, values: number[]): string {
    const raw = new Uint8Array(8 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => {
      view.setBigInt64(8 * i, BigInt(v), true);
    });
    this.initializers.push(
      new ProtoWriter().packedInts(1, [values.length]).int(2, INT64).string(8, name).bytes(9, raw),
    );
    return name;
  }
}

/** A graph input or output: float32, its first dimension the batch 'N'. */
function valueInfo(name: string, dims: number[], doc: string): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, 'N'));
  for (const d of dims) shape.message(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType)).string(3, doc);
}

/** out[x][y][kh][kw] = kernel[kh][kw][y][x], for x < X, y < Y: the spatial axes moved last. */
function spatialLast(kernel: Float32Array, k: number, X: number, Y: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let kh = 0; kh < k; kh++)
    for (let kw = 0; kw < k; kw++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++) {
          out[((x * Y + y) * k + kh) * k + kw] = kernel[((kh * k + kw) * Y + y) * X + x];
        }
  return out;
}

/** Conv W [M, C, kH, kW] from ours [kh][kw][cin][cout]. */
function convKernel(L: LayerSpec, kernel: Float32Array): Float32Array {
  return spatialLast(kernel, L.conv!.kernel, L.outShape[2], L.inShape[2]);
}

/** ConvTranspose W [C, M, kH, kW] (C the layer's input channels) from ours [kh][kw][cout][cin]. */
function convTransposeKernel(L: LayerSpec, kernel: Float32Array): Float32Array {
  return spatialLast(kernel, L.conv!.kernel, L.inShape[2], L.outShape[2]);
}

/** ONNX pads [top, left, bottom, right] and output_padding for a conv layer: ours pad as
 *  TensorFlow's 'same' (the odd pixel after), so bottom and right may exceed top and left. */
function padsOf(L: LayerSpec): { pads: number[]; outputPadding: number[] } {
  const g = L.conv!;
  // The patch positions cover (grid - 1)·stride + kernel pixels; the image has H×W.
  const coverH = (g.OH - 1) * g.stride + g.kernel,
    coverW = (g.OW - 1) * g.stride + g.kernel;
  if (L.kind === 'conv2d') {
    // 'valid' leaves pixels past the last patch unread: no pad, Conv drops them too.
    return {
      pads: [g.padTop, g.padLeft, Math.max(0, coverH - g.H - g.padTop), Math.max(0, coverW - g.W - g.padLeft)],
      outputPadding: [0, 0],
    };
  }
  // ConvTranspose: pads crop the full (covered) output; output_padding adds pixels after it
  // that no patch reaches (a kernel smaller than the stride), which get the bias alone.
  const cropH = coverH - g.H,
    cropW = coverW - g.W;
  return {
    pads: [g.padTop, g.padLeft, Math.max(0, cropH - g.padTop), Math.max(0, cropW - g.padLeft)],
    outputPadding: [Math.max(0, -cropH), Math.max(0, -cropW)],
  };
}

/**
 * The model, or its encoder or decoder, as an ONNX ModelProto (opset 13, IR version 7), float32,
 * with a dynamic batch dimension 'N'. Inputs: 'images' [N, H, W, C] ([N, size] for a flat
 * inputShape) for the 'autoencoder' and 'encoder' parts, 'codes' [N, latent] for 'decoder'.
 * Outputs: 'reconstructions' (shaped as 'images') for 'autoencoder' and 'decoder'; 'codes'
 * [N, latent] for 'encoder', or for a variational encoder 'mean' and 'logVariance' [N, latent]
 * (a Split of the code layer). A variational 'autoencoder' decodes the mean, as reconstruct()
 * does. Conditional models are refused (they take a label as a second input).
 */
export function toOnnx(ae: Autoencoder, options: { part?: OnnxPart } = {}): Uint8Array {
  if (!(ae instanceof Autoencoder)) throw argError(FN, 'ae', 'an Autoencoder', ae);
  rejectUnknownOptions(FN, options, ['part']);
  const part = options.part ?? 'autoencoder';
  if (!['autoencoder', 'encoder', 'decoder'].includes(part))
    throw argError(FN, 'part', "'autoencoder', 'encoder' or 'decoder'", part);
  const config = ae.config;
  if (config.classes > 0)
    throw new Error(`${FN}: conditional models take an image and a label; exporting them to ONNX is not supported`);
  const spec = networkOf(config, FN);
  const weights = ae.getWeights(); // per layer, in spec order, Keras layouts
  const names = layerNames(spec);
  const [H, W, C] = config.inputShape;
  const imageDims = H === 1 && C === 1 ? [W] : [H, W, C];
  const first = part === 'decoder' ? spec.codeLayer + 1 : 0;
  const last = part === 'encoder' ? spec.codeLayer : spec.layers.length - 1;
  const g = new GraphBuilder();
  const inputName = part === 'decoder' ? 'codes' : 'images';
  let x = inputName;
  // Where x is: flat rows [N, size], NHWC images, or NCHW inside a conv stack.
  let layout: 'flat' | 'nhwc' | 'nchw' = part === 'decoder' || imageDims.length === 1 ? 'flat' : 'nhwc';
  for (let l = first; l <= last; l++) {
    const L = spec.layers[l];
    const name = names[l];
    const { kernel, bias } = weights[l];
    if (L.kind === 'dense') {
      if (layout === 'nchw') {
        x = g.op('Transpose', `${name}/to_nhwc`, [x], [{ name: 'perm', ints: TO_NHWC }]);
        layout = 'nhwc';
      }
      if (layout === 'nhwc') {
        x = g.op('Flatten', `${name}/flatten`, [x], [{ name: 'axis', int: 1 }]);
        layout = 'flat';
      }
      // The mean's half of a variational code layer: its first `latent` columns.
      const cols = part === 'autoencoder' && config.variational && l === spec.codeLayer ? spec.latent : L.outputs;
      const w = new Float32Array(L.inputs * cols);
      for (let r = 0; r < L.inputs; r++) w.set(kernel.subarray(r * L.outputs, r * L.outputs + cols), r * cols);
      x = g.op('Gemm', name, [
        x,
        g.floats(`${name}/kernel`, [L.inputs, cols], w),
        g.floats(`${name}/bias`, [cols], bias.slice(0, cols)),
      ]);
    } else {
      if (layout === 'flat') {
        const shape = g.int64s(`${name}/reshape_shape`, [-1, ...L.inShape]);
        x = g.op('Reshape', `${name}/reshape`, [x, shape]);
        layout = 'nhwc';
      }
      if (layout === 'nhwc') {
        x = g.op('Transpose', `${name}/to_nchw`, [x], [{ name: 'perm', ints: TO_NCHW }]);
        layout = 'nchw';
      }
      const { pads, outputPadding } = padsOf(L);
      const k = L.conv!.kernel,
        s = L.conv!.stride;
      const attributes: Attribute[] = [
        { name: 'kernel_shape', ints: [k, k] },
        { name: 'strides', ints: [s, s] },
        { name: 'pads', ints: pads },
      ];
      const cin = L.inShape[2],
        cout = L.outShape[2];
      if (L.kind === 'conv2d') {
        x = g.op(
          'Conv',
          name,
          [
            x,
            g.floats(`${name}/kernel`, [cout, cin, k, k], convKernel(L, kernel)),
            g.floats(`${name}/bias`, [cout], bias),
          ],
          attributes,
        );
      } else {
        if (outputPadding.some((p) => p > 0)) attributes.push({ name: 'output_padding', ints: outputPadding });
        x = g.op(
          'ConvTranspose',
          name,
          [
            x,
            g.floats(`${name}/kernel`, [cin, cout, k, k], convTransposeKernel(L, kernel)),
            g.floats(`${name}/bias`, [cout], bias),
          ],
          attributes,
        );
      }
    }
    if (L.activation === 'leakyRelu')
      x = g.op('LeakyRelu', `${name}/leaky_relu`, [x], [{ name: 'alpha', float: L.alpha }]);
    else if (L.activation !== 'linear') x = g.op(ACTIVATION_OPS[L.activation], `${name}/${L.activation}`, [x]);
  }
  const outputs: ProtoWriter[] = [];
  const input =
    part === 'decoder'
      ? valueInfo('codes', [spec.latent], 'codes, as encode() gives them')
      : valueInfo('images', imageDims, imageDims.length === 1 ? 'images, flat rows' : 'images, channels-last (NHWC)');
  if (part === 'encoder' && config.variational) {
    g.node('Split', 'code/split', [x], ['mean', 'logVariance'], [{ name: 'axis', int: 1 }]);
    outputs.push(
      valueInfo('mean', [spec.latent], 'the mean of q(z|x)'),
      valueInfo('logVariance', [spec.latent], 'the log-variance of q(z|x)'),
    );
  } else if (part === 'encoder') {
    g.node('Identity', 'codes', [x], ['codes']);
    outputs.push(valueInfo('codes', [spec.latent], 'codes, as encode() gives them'));
  } else {
    if (layout === 'nchw') {
      x = g.op('Transpose', 'output/to_nhwc', [x], [{ name: 'perm', ints: TO_NHWC }]);
      layout = 'nhwc';
    }
    if (layout === 'flat' && imageDims.length === 3)
      x = g.op('Reshape', 'output/reshape', [x, g.int64s('output/reshape_shape', [-1, ...imageDims])]);
    g.node('Identity', 'reconstructions', [x], ['reconstructions']);
    outputs.push(
      valueInfo(
        'reconstructions',
        imageDims,
        imageDims.length === 1 ? 'images, flat rows' : 'images, channels-last (NHWC)',
      ),
    );
  }
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, `wasm_autoencoder_${part}`);
  for (const t of g.initializers) graph.message(5, t);
  graph.message(11, input);
  for (const o of outputs) graph.message(12, o);
  const model = new ProtoWriter()
    .int(1, ONNX_IR_VERSION)
    .string(2, 'wasm-autoencoder')
    .string(6, `The ${part} of a wasm-autoencoder model`)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET));
  model.message(14, new ProtoWriter().string(1, 'wasm-autoencoder.config').string(2, JSON.stringify(config)));
  return model.finish();
}
