// Entry `wasm-autoencoder/image`: grey image grids with titles, and PNG output (fast-png).
export { comparisonPng, encodePng } from '../image/png.js';
export type { ComparisonPngOptions } from '../image/png.js';
export { imageGrid, labelledPanels } from '../image/grid.js';
export type { GreyImage } from '../image/grid.js';
export { scatterPng } from '../image/scatter.js';
export type { ScatterOptions } from '../image/scatter.js';
