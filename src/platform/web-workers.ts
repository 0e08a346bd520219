// Module Web Workers (browsers, Deno): the worker's start and both ends of its channel. Shared by
// the web and Deno platforms.
import type { ParentPort, WorkerHandle } from './types.js';

export async function spawnWebWorker(url: URL): Promise<WorkerHandle> {
  let failed: ((error: Error) => void) | null = null;
  let terminating = false;
  const fail = (error: Error): void => {
    if (terminating || !failed) return;
    const f = failed;
    failed = null;
    f(error);
  };
  // The literal `new Worker(new URL('../parallel/worker.js', import.meta.url), …)` is the form
  // bundlers recognise and bundle as a worker; from the TypeScript sources the caller's URL is used.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(url, { type: 'module' })
    : new Worker(new URL('../parallel/worker.js', import.meta.url), { type: 'module' });
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    fail(new Error(`worker failed: ${(e as ErrorEvent).message || 'could not load or threw'}`));
  });
  worker.addEventListener('messageerror', () => fail(new Error('worker message could not be read')));
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (l) => worker.addEventListener('message', (e) => l((e as MessageEvent).data)),
    onFailure: (l) => {
      failed = l;
    },
    terminate: async () => {
      terminating = true;
      worker.terminate();
    },
    keepAlive: () => undefined,
    native: worker,
  };
}

export async function webParentPort(): Promise<ParentPort> {
  const g = globalThis as unknown as {
    postMessage?: (m: unknown) => void;
    addEventListener?: (t: string, l: (e: MessageEvent) => void) => void;
  };
  if (typeof g.postMessage !== 'function' || typeof g.addEventListener !== 'function') {
    throw new Error('wasm-autoencoder worker: not started as a Web Worker');
  }
  return {
    post: (m) => g.postMessage!(m),
    listen: (h) => g.addEventListener!('message', (e) => h(e.data)),
  };
}
