// The web platform (package conditions 'browser', 'worker', 'workerd' and 'default'): browsers,
// web workers, edge runtimes. Nothing here imports a `node:` module, so a bundler sees none.
import type { FileSystem } from './types.js';
export { spawnWebWorker as spawnWorker, webParentPort as parentPort } from './web-workers.js';

export const platformName = 'web';
export const needsWorkerGlobal = true;

export async function cores(): Promise<number> {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1;
}

export async function fileSystem(fn: string, what: string): Promise<FileSystem> {
  throw new Error(
    `${fn}: ${what} needs a file system, which the package's web build (browsers, workers) has not; ` +
      "save to 'indexeddb://name', load from it, a URL, a Blob or a Response (Node, Bun and Deno get the build with files)",
  );
}

/** Browsers fetch file: URLs themselves where they may. */
export function fileUrlBytes(): null {
  return null;
}

/** A MessageChannel round trip, which browsers do not clamp to 4 ms as they do nested setTimeout. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function processId(): number {
  return 0;
}
