// Entry `wasm-autoencoder/idx`: the IDX format (MNIST's), plain or gzipped, read and written.
export { parseIdx } from '../data/parseIdx.js';
export { decodeIdx, encodeIdx } from '../data/idx.js';
export type { IdxArray, IdxType, IdxData, Gunzip } from '../data/idx.js';
