// Entry `wasm-autoencoder/tfjs`: the TensorFlow.js layers format (a Keras Sequential as JSON, and
// its weights as float32 bytes), written and read. It imports nothing from TensorFlow.js.
export { toTfjs } from '../io/tfjs.js';
export { fromTfjs } from '../io/fromTfjs.js';
export type { TfjsArtifacts, TfjsModelJsonFiles, TfjsWeightSpec, TfjsPart } from '../io/tfjs.js';
export type { FromTfjsOptions } from '../io/fromTfjs.js';
