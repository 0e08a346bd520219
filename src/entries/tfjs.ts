// Entry `wasm-autoencoder/tfjs`: the TensorFlow.js layers format (a Keras Sequential as JSON, and
// its weights as float32 bytes), written and read. It imports nothing from TensorFlow.js.
export { toTfjs, fromTfjs } from '../io/tfjs.js';
export type { TfjsArtifacts, TfjsModelJsonFiles, TfjsWeightSpec, TfjsPart, FromTfjsOptions } from '../io/tfjs.js';
