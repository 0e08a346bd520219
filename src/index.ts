// Public API.
export { Autoencoder } from './model/autoencoder.js';
export type { EpochLog, BatchLog, FitOptions, History, Evaluation, Backend, RuntimeOptions } from './model/autoencoder.js';
export type { AutoencoderOptions, OptimizerOptions, ModelConfig, Activation, Loss } from './model/options.js';
export type { Images, ImagesInput } from './model/inputs.js';
export { parseIdx, encodeIdx } from './data/idx.js';
export type { IdxArray } from './data/idx.js';
export { comparisonPng, encodePng } from './image/png.js';
export { imageGrid, labelledPanels } from './image/grid.js';
export type { GreyImage } from './image/grid.js';
export { loadKernels, supportsRelaxedSimd, supportsSimd } from './runtime/wasm.js';
export type { KernelBuildName, KernelSource } from './runtime/wasm.js';
