// What the library needs from its runtime, written once per platform and chosen when the package
// is resolved, not detected at run time: package.json's "imports" maps '#platform' to
//   node.js  for Node and Bun ('node' condition; Bun's workers are worker_threads too),
//   deno.js  for Deno ('deno' condition: its module Web Workers, node:fs for files),
//   web.js   for browsers, web workers, workerd and anything else ('browser', 'worker',
//            'workerd', 'default'): no `node:` import anywhere in its graph.
// Each variant exports exactly these names; the assertions at the end check it when compiling.

/** One worker as the pool sees it, whatever the runtime's own worker object is. */
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

/** The worker's side of its channel to the thread that started it. */
export interface ParentPort {
  post(message: unknown): void;
  listen(handler: (message: unknown) => void): void;
}

/** The part of node:fs/promises that model files use (Node, Bun and Deno all have it). */
export interface FileHandle {
  stat(): Promise<{ size: number }>;
  readFile(): Promise<Uint8Array>;
  writeFile(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
export interface FileSystem {
  open(path: string, flags: 'r' | 'wx'): Promise<FileHandle>;
  lstat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export interface Platform {
  /** Which variant this is. */
  readonly platformName: 'node' | 'deno' | 'web';
  /** Whether workers need the global `Worker` (web, Deno) or come from the runtime's own module. */
  readonly needsWorkerGlobal: boolean;
  /** Starts the worker body (dist/parallel/worker.js; `url` where the code runs from sources). */
  spawnWorker(url: URL): Promise<WorkerHandle>;
  /** Inside the worker body: its channel to the thread that started it. */
  parentPort(): Promise<ParentPort>;
  /** Logical cores the runtime reports (1 when it reports none). */
  cores(): Promise<number>;
  /** The file system, or an Error naming `fn` and `what` needed one. */
  fileSystem(fn: string, what: string): Promise<FileSystem>;
  /** A file: URL's bytes where this platform reads files; null where fetch() is the way. */
  fileUrlBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> | null;
  /** Hands control back to the event loop (timers, I/O, abort signals, a page's rendering). */
  yieldToEventLoop(): Promise<void>;
  /** The process id where there is one (names temporary files), else 0. */
  processId(): number;
}

// Compile-time checks that every variant has the whole interface (erased from the output).
// A type that does not fit fails the build; the names exist only to be checked.
type Implements<T extends Platform> = T;
export type NodePlatform = Implements<typeof import('./node.js')>;
export type DenoPlatform = Implements<typeof import('./deno.js')>;
export type WebPlatform = Implements<typeof import('./web.js')>;
