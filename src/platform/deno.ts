// The Deno platform (package condition 'deno'). Deno's own Web Workers (module workers, checked
// against --allow-read, as the library used them before platforms were chosen by condition) and its
// node:fs for files (node-compat.ts, shared with the Node platform).
export { spawnWebWorker as spawnWorker, webParentPort as parentPort } from './web-workers.js';

export const platformName = 'deno';
export const needsWorkerGlobal = true;

export async function cores(): Promise<number> {
  return navigator.hardwareConcurrency || 1;
}

export { fileSystem, fileUrlBytes, processId, yieldToEventLoop } from './node-compat.js';
