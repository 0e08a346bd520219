// The reference model of the benchmarks: 784-64-32 → code 32 → 32-64-784, relu, linear code,
// sigmoid output, MSE, Adam 1e-3, batch 256, Keras initialisation.
export const REFERENCE = {
  inputShape: [28, 28, 1],
  encoder: [64, 32],
  latent: 32,
  decoder: [32, 64],
  activation: 'relu',
  latentActivation: 'linear',
  output: 'sigmoid',
  loss: 'mse',
  optimizer: { type: 'adam', learningRate: 1e-3 },
  seed: 42,
};
export const BATCH = 256;

/** The conv model of the benchmarks (issue #12): conv2d 16 and 32 filters, 3×3, stride 2 → code 32
 *  → mirrored (dense to 7·7·32, conv2dTranspose 16, conv2dTranspose 1); 111,521 parameters. */
export const CONV = {
  ...REFERENCE,
  encoder: [
    { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2 },
    { type: 'conv2d', filters: 32, kernelSize: 3, strides: 2 },
  ],
  decoder: 'mirror',
};
