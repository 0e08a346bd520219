// The layer plan: the layers from input to output that a model config describes (dense and conv
// records with their shapes), the geometry of conv layers, and the last layer that brings a conv
// decoder back to the input's shape. Options are checked in options.ts before they come here.
import { convOutputShape, type Activation, type LayerPlan, type Shape } from '../engine/network.js';
import type { LayerConfig, ModelConfig } from './options.js';

export type ConvConfig = Exclude<LayerConfig, number>;

export const flat = (s: Shape): number => s[0] * s[1] * s[2];
export const shapeText = (s: Shape): string => s.join('×');

export function convOut(c: ConvConfig, inShape: Shape): Shape {
  return convOutputShape({
    kind: c.type,
    inShape,
    filters: c.filters,
    kernel: c.kernelSize,
    stride: c.strides,
    padding: c.padding,
  });
}

/** The shape a conv encoder ends with (where a conv decoder starts), or undefined. */
export function reshapeOf(encoder: readonly LayerConfig[], inputShape: Shape): Shape | undefined {
  let shape: Shape | undefined;
  for (const e of encoder) if (typeof e !== 'number') shape = convOut(e, shape ?? inputShape);
  return shape;
}

/** The layer that brings a conv decoder's last output to the input's shape: a conv2dTranspose
 *  to the input's channels, with the first conv layer's kernel and the stride the sizes ask for. */
function finalConv(encoder: readonly LayerConfig[], from: Shape, inputShape: Shape): ConvConfig | string {
  const first = encoder.find((e): e is ConvConfig => typeof e !== 'number');
  for (const strides of [1, 2]) {
    if (from[0] * strides === inputShape[0] && from[1] * strides === inputShape[1]) {
      return {
        type: 'conv2dTranspose',
        filters: inputShape[2],
        kernelSize: first?.kernelSize ?? 3,
        strides,
        padding: 'same',
      };
    }
  }
  return `the decoder ends at ${shapeText(from)}, and the layer to the input's ${shapeText(inputShape)} can only keep or double its height and width`;
}

/** The fields of a config that decide its layers. */
type PlanConfig = Pick<
  ModelConfig,
  | 'inputShape'
  | 'encoder'
  | 'decoder'
  | 'latent'
  | 'variational'
  | 'classes'
  | 'activations'
  | 'latentActivation'
  | 'output'
>;

/** The layers from input to output, and where the code is. */
export function layerPlan(c: PlanConfig): { layers: LayerPlan[]; codeLayer: number } {
  const plan = planLayers(c);
  if (typeof plan === 'string') throw new Error(`model config: ${plan}`);
  return plan;
}

function planLayers(c: PlanConfig): { layers: LayerPlan[]; codeLayer: number } | string {
  const layers: LayerPlan[] = [];
  let shape: Shape | undefined = c.inputShape;
  let width = flat(c.inputShape);
  let label = c.classes;
  const dense = (outputs: number, activation: Activation): void => {
    // The first dense layer of the encoder reads the label after its input.
    layers.push({ inputs: width + label, outputs, activation });
    label = 0;
    width = outputs;
    shape = undefined;
  };
  const conv = (e: ConvConfig, activation: Activation, from: Shape): void => {
    layers.push({
      kind: e.type,
      inShape: from,
      filters: e.filters,
      kernel: e.kernelSize,
      stride: e.strides,
      padding: e.padding,
      activation,
    });
    shape = convOut(e, from);
    width = flat(shape);
  };
  const reshape = reshapeOf(c.encoder, c.inputShape);
  c.encoder.forEach((e, i) => {
    if (typeof e === 'number') dense(e, c.activations[i]);
    else conv(e, c.activations[i], shape!);
  });
  dense(c.variational ? 2 * c.latent : c.latent, c.latentActivation);
  const codeLayer = layers.length - 1;
  width = c.latent + c.classes;
  c.decoder.forEach((e, i) => {
    const activation = c.activations[c.encoder.length + i];
    if (typeof e === 'number') {
      dense(e, activation);
      // After a conv encoder, a dense layer as wide as its last conv output reshapes to it.
      if (reshape && e === flat(reshape)) shape = reshape;
    } else {
      conv(e, activation, shape!);
    }
  });
  if (shape) {
    const last = finalConv(c.encoder, shape, c.inputShape);
    if (typeof last === 'string') return last;
    conv(last, c.output, shape);
  } else {
    dense(flat(c.inputShape), c.output);
  }
  return { layers, codeLayer };
}
