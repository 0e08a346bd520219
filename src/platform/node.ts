// The Node platform (package condition 'node'): Node and Bun. Workers are worker_threads, files
// node:fs. Its node: modules are imported on first use, so importing the package loads none.
import type { ParentPort, WorkerHandle } from './types.js';

export const platformName = 'node';
export const needsWorkerGlobal = false;

export async function spawnWorker(url: URL): Promise<WorkerHandle> {
  let failed: ((error: Error) => void) | null = null;
  let terminating = false;
  const fail = (error: Error): void => {
    if (terminating || !failed) return;
    const f = failed;
    failed = null;
    f(error);
  };
  const { Worker } = await import('node:worker_threads');
  // A small young generation: a worker allocates almost nothing in JS, and each MB counts
  // against the model's memory budget.
  const worker = new Worker(url, {
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
    // No inherited command-line flags: Node refuses some in workers (--input-type, and V8's
    // --experimental-wasm-relaxed-simd), and V8's flags are process-wide anyway.
    execArgv: [],
  });
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('messageerror', (e) => fail(new Error(`worker message could not be read: ${String(e)}`)));
  worker.on('exit', (code) => fail(new Error(`worker thread exited (code ${code})`)));
  return {
    native: worker,
    post: (m) => worker.postMessage(m),
    onMessage: (l) => {
      worker.on('message', l);
    },
    onFailure: (l) => {
      failed = l;
    },
    terminate: async () => {
      terminating = true;
      await worker.terminate();
    },
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
  };
}

export async function parentPort(): Promise<ParentPort> {
  const { parentPort: port } = await import('node:worker_threads');
  if (!port) throw new Error('wasm-autoencoder worker: not started as a worker thread');
  return {
    post: (m) => port.postMessage(m),
    listen: (h) => port.on('message', h),
  };
}

export async function cores(): Promise<number> {
  const os = await import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
}

export { fileSystem, fileUrlBytes, processId, yieldToEventLoop } from './node-compat.js';
