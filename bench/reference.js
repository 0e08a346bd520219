// The reference model of the benchmarks: 784-64-32 → code 32 → 32-64-784, relu, linear code,
// sigmoid output, MSE, Adam 1e-3, batch 256, Keras initialisation.
export const REFERENCE = {
  inputShape: [28, 28, 1], encoder: [64, 32], latent: 32, decoder: [32, 64], activation: 'relu',
  latentActivation: 'linear', output: 'sigmoid', loss: 'mse', optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 42,
};
export const BATCH = 256;
