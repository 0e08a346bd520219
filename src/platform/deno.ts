// The Deno platform (package condition 'deno'). Deno's own Web Workers (module workers, checked
// against --allow-read, as the library used them before platforms were chosen by condition) and its
// node:fs for files (Deno checks it against --allow-read/--allow-write like its own file API).
import type { FileSystem } from './types.js';
export { spawnWebWorker as spawnWorker, webParentPort as parentPort } from './web-workers.js';

export const platformName = 'deno';
export const needsWorkerGlobal = true;

export async function cores(): Promise<number> {
  return navigator.hardwareConcurrency || 1;
}

export async function fileSystem(_fn: string, _what: string): Promise<FileSystem> {
  return import('node:fs/promises');
}

export async function fileUrlBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(url)) as Uint8Array<ArrayBuffer>;
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function processId(): number {
  return process.pid;
}
