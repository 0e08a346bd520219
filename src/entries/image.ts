// Entry `wasm-autoencoder/image`: image grids with titles and PNG output (fast-png), grey, RGB or
// RGBA; PNG and JPEG decoding (fast-png, jpeg-js). No `node:` import: it runs in browsers, Deno,
// Bun and workerd. In Node, `wasm-autoencoder/image` also has loadImages (src/entries/image-node.ts).
export { comparisonPng, encodePng } from '../image/png.js';
export type { ComparisonPngOptions } from '../image/png.js';
export { imageGrid, labelledPanels } from '../image/grid.js';
export type { ImageGridOptions, LabelledPanelsOptions } from '../image/grid.js';
export type { Channels, GreyImage, PixelImage } from '../image/pixels.js';
export { decodeImage, MAX_IMAGE_VALUES } from '../image/decode.js';
export type { DecodedImage, DecodeImageOptions } from '../image/decode.js';
export { scatterPng } from '../image/scatter.js';
export type { ScatterOptions } from '../image/scatter.js';
