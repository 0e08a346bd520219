// The network as the engine sees it: a chain of dense layers, where each one lives in the flat
// parameter vector, what sits between encoder and decoder, and which loss ends it. Built from
// already-validated model options.

export type Activation = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'linear';
export type Loss = 'mse' | 'bce';

export interface LayerSpec {
  inputs: number;
  outputs: number;
  activation: Activation;
  /** Slope for x < 0 of leakyRelu; 0 otherwise. */
  alpha: number;
  /** Offsets in floats into the parameter vector; each tensor starts on a 16-byte boundary. */
  weightOffset: number;
  biasOffset: number;
  /** Offset in floats into the transposed-weights buffer (used for dX = dZ·Wᵀ), -1 for layer 0. */
  transposedOffset: number;
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
  /** Conditional: a one-hot label of this many classes follows the image and the code. */
  classes: number;
  /** Values per image: the output, and the input without its label. */
  imageSize: number;
  /** Floats in the parameter vector (a multiple of 4). */
  paramCount: number;
  /** Floats in the transposed-weights buffer. */
  transposedCount: number;
  /** Width of the first layer's input (image, then label). */
  inputSize: number;
  outputSize: number;
  maxWidth: number;
}

export interface LayerPlan {
  inputs: number;
  outputs: number;
  activation: Activation;
}

const roundUp4 = (n: number): number => (n + 3) & ~3;

export function buildNetwork(plan: readonly LayerPlan[], options: {
  alpha: number; loss: Loss; codeLayer: number; latent: number; variational: boolean; beta: number; classes: number;
}): NetworkSpec {
  const layers: LayerSpec[] = [];
  let offset = 0;
  let transposed = 0;
  plan.forEach(({ inputs, outputs, activation }, l) => {
    const weightOffset = offset;
    offset += roundUp4(inputs * outputs);
    const biasOffset = offset;
    offset += roundUp4(outputs);
    const transposedOffset = l === 0 ? -1 : transposed;
    if (l > 0) transposed += roundUp4(inputs * outputs);
    layers.push({ inputs, outputs, activation, alpha: activation === 'leakyRelu' ? options.alpha : 0, weightOffset, biasOffset, transposedOffset });
  });
  const widths = plan.flatMap((L) => [L.inputs, L.outputs]);
  return {
    layers, loss: options.loss, codeLayer: options.codeLayer, latent: options.latent, variational: options.variational,
    beta: options.beta, classes: options.classes, imageSize: plan[plan.length - 1].outputs,
    paramCount: offset, transposedCount: Math.max(transposed, 4),
    inputSize: plan[0].inputs, outputSize: plan[plan.length - 1].outputs, maxWidth: Math.max(...widths),
  };
}
