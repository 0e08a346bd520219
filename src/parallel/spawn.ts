// One small adapter over Node's worker_threads and the web's module Workers, so the pool and the
// worker body are written once.

export interface WorkerHandle {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once if the worker throws, fails to load, or exits without being asked to. */
  onFailure(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
  /** Node: whether an idle worker keeps the process alive. No-op in browsers. */
  keepAlive(on: boolean): void;
  /** The runtime's own worker object (for diagnostics and tests). */
  native?: unknown;
}

const isNode = typeof process === 'object' && process.versions?.node != null && typeof (globalThis as { Deno?: unknown }).Deno === 'undefined';

/** What threadsUnavailable() looks at; the global object by default. */
export interface ThreadEnvironment {
  SharedArrayBuffer?: unknown;
  Worker?: unknown;
  crossOriginIsolated?: boolean;
  process?: { versions?: { node?: string } };
}

/** Why this runtime cannot run workers over a shared memory, or null when it can. */
export function threadsUnavailable(env: ThreadEnvironment = globalThis as ThreadEnvironment): string | null {
  if (typeof env.SharedArrayBuffer !== 'function') {
    return 'SharedArrayBuffer is not available (a browser page must be cross-origin isolated: serve it with COOP: same-origin and COEP: require-corp)';
  }
  if (env.crossOriginIsolated === false) return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  const node = env.process?.versions?.node != null;
  if (!node && typeof env.Worker !== 'function') return 'this runtime has no Worker (edge runtimes such as Cloudflare Workers run one thread)';
  return null;
}

export async function spawnWorker(url: URL): Promise<WorkerHandle> {
  let failed: ((error: Error) => void) | null = null;
  let terminating = false;
  const fail = (error: Error): void => {
    if (terminating || !failed) return;
    const f = failed;
    failed = null;
    f(error);
  };
  if (isNode) {
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
      onMessage: (l) => { worker.on('message', l); },
      onFailure: (l) => { failed = l; },
      terminate: async () => { terminating = true; await worker.terminate(); },
      keepAlive: (on) => (on ? worker.ref() : worker.unref()),
    };
  }
  // The literal `new Worker(new URL('./worker.js', import.meta.url), …)` is the form bundlers
  // recognise and bundle as a worker; from the TypeScript sources the caller's URL is used.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(url, { type: 'module' })
    : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    fail(new Error(`worker failed: ${(e as ErrorEvent).message || 'could not load or threw'}`));
  });
  worker.addEventListener('messageerror', () => fail(new Error('worker message could not be read')));
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (l) => worker.addEventListener('message', (e) => l((e as MessageEvent).data)),
    onFailure: (l) => { failed = l; },
    terminate: async () => { terminating = true; worker.terminate(); },
    keepAlive: () => {},
  };
}
