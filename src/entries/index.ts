// Public API of the main entry (src/entries/ holds every entry of package.json "exports"). It
// imports nothing heavy, and its platform code comes through '#platform' (src/platform/), which
// package.json's conditions resolve: no `node:` module on the web. Image output
// (`wasm-autoencoder/image`), IDX files (`wasm-autoencoder/idx`) and MNIST
// (`wasm-autoencoder/mnist`, Node) are entries of their own.
export { Autoencoder, Dataset } from '../model/autoencoder.js';
export type { ImageChunks } from '../model/autoencoder.js';
export type {
  EpochLog,
  BatchLog,
  FitOptions,
  FitWarning,
  History,
  Evaluation,
  Backend,
  RuntimeOptions,
  QuantizedAutoencoder,
} from '../model/autoencoder.js';
export type {
  AutoencoderOptions,
  ConvLayerOptions,
  OptimizerOptions,
  ModelConfig,
  Activation,
  Loss,
  Padding,
} from '../model/options.js';
export type { Images, ImagesInput } from '../model/inputs.js';
export type { ModelSource } from '../io/storage.js';
export { loadKernels, supportsRelaxedSimd, supportsSimd } from '../runtime/wasm.js';
export type { KernelBuildName, KernelSource } from '../runtime/wasm.js';
export { fitDefaults } from '../model/fitJob.js';
export { knnClassify } from '../model/knn.js';
export type { KnnOptions, KnnResult } from '../model/knn.js';
export type { NoiseOptions, LabelOptions, OutputOptions, LayerWeights } from '../model/autoencoder.js';
export type { EarlyStoppingOptions, EpochControl, LearningRateSchedule } from '../model/types.js';
