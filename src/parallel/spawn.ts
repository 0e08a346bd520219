// Workers for the pool: the runtime's own kind, from the platform module package.json's
// conditions chose ('#platform': worker_threads in Node and Bun, module Web Workers elsewhere), so
// the pool and the worker body are written once.
import { needsWorkerGlobal, spawnWorker } from '#platform';
import type { WorkerHandle } from '../platform/types.js';

export { spawnWorker };
export type { WorkerHandle };

/** What threadsUnavailable() looks at; the global object by default. */
export interface ThreadEnvironment {
  SharedArrayBuffer?: unknown;
  Worker?: unknown;
  crossOriginIsolated?: boolean;
}

/** Why this runtime cannot run workers over a shared memory, or null when it can. `workerGlobal`:
 *  whether workers need the global `Worker` (the web and Deno platforms; Node's come from
 *  worker_threads). */
export function threadsUnavailable(
  env: ThreadEnvironment = globalThis as ThreadEnvironment,
  workerGlobal: boolean = needsWorkerGlobal,
): string | null {
  if (typeof env.SharedArrayBuffer !== 'function') {
    return 'SharedArrayBuffer is not available (a browser page must be cross-origin isolated: serve it with COOP: same-origin and COEP: require-corp)';
  }
  if (env.crossOriginIsolated === false)
    return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  if (workerGlobal && typeof env.Worker !== 'function')
    return 'this runtime has no Worker (edge runtimes such as Cloudflare Workers run one thread)';
  return null;
}
