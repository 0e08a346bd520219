// Entry `wasm-autoencoder/image` in Node, Bun and Deno (package condition 'node'): everything of
// the web entry, plus what needs a file system (helper B's `loadImages` goes here).
export * from './image.js';
