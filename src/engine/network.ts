// The network as the engine sees it: a chain of dense layers, where each one lives in the flat
// parameter vector, and which loss ends it. Built from already-validated model options.

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
  /** Index of the layer whose output is the code. */
  codeLayer: number;
  /** Floats in the parameter vector (a multiple of 4). */
  paramCount: number;
  /** Floats in the transposed-weights buffer. */
  transposedCount: number;
  inputSize: number;
  outputSize: number;
  maxWidth: number;
}

const roundUp4 = (n: number): number => (n + 3) & ~3;

export function buildNetwork(sizes: readonly number[], activations: readonly Activation[],
                             alpha: number, loss: Loss, codeLayer: number): NetworkSpec {
  const layers: LayerSpec[] = [];
  let offset = 0;
  let transposed = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l], outputs = sizes[l + 1];
    const weightOffset = offset;
    offset += roundUp4(inputs * outputs);
    const biasOffset = offset;
    offset += roundUp4(outputs);
    const transposedOffset = l === 0 ? -1 : transposed;
    if (l > 0) transposed += roundUp4(inputs * outputs);
    const activation = activations[l];
    layers.push({ inputs, outputs, activation, alpha: activation === 'leakyRelu' ? alpha : 0, weightOffset, biasOffset, transposedOffset });
  }
  return {
    layers, loss, codeLayer, paramCount: offset, transposedCount: Math.max(transposed, 4),
    inputSize: sizes[0], outputSize: sizes[sizes.length - 1], maxWidth: Math.max(...sizes),
  };
}
