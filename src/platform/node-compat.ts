// What the Node and Deno platforms share: files through node:fs (Deno checks it against
// --allow-read/--allow-write like its own file API), setImmediate and the process id.
import type { FileSystem } from './types.js';

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
