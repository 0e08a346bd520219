// Public API of the main entry. It imports nothing platform-specific and nothing heavy: image
// output (`wasm-autoencoder/image`), IDX files (`wasm-autoencoder/idx`) and MNIST
// (`wasm-autoencoder/mnist`, Node) are entries of their own.
export { Autoencoder, Dataset } from './model/autoencoder.js';
export type { ImageChunks } from './model/autoencoder.js';
export type { EpochLog, BatchLog, FitOptions, FitWarning, History, Evaluation, Backend, RuntimeOptions, QuantizedAutoencoder } from './model/autoencoder.js';
export type { AutoencoderOptions, OptimizerOptions, ModelConfig, Activation, Loss } from './model/options.js';
export type { Images, ImagesInput } from './model/inputs.js';
export type { ModelSource } from './io/storage.js';
export { loadKernels, supportsRelaxedSimd, supportsSimd } from './runtime/wasm.js';
export type { KernelBuildName, KernelSource } from './runtime/wasm.js';
export { fitDefaults } from './model/fit.js';
export { knnClassify } from './model/knn.js';
export type { KnnOptions, KnnResult } from './model/knn.js';
export type { NoiseOptions, LabelOptions, OutputOptions, LayerWeights } from './model/autoencoder.js';
