// Entry `wasm-autoencoder/image` in Node: everything of the platform-neutral entry (./image.js),
// and loadImages, which reads a folder with node:fs.
export * from './image.js';
export { imageFiles, loadImages, MAX_IMAGE_FILE_BYTES } from '../image/node.js';
export type { LoadedImages, LoadImagesOptions } from '../image/node.js';
