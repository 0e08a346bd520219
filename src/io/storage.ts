// Where a model file's bytes go and come from besides a Uint8Array: a file path (Node, Deno, Bun;
// written atomically), IndexedDB (browsers), an http(s) URL, a Blob or File, a Response. Files go
// through the platform module ('#platform', chosen by package.json's conditions): the web build
// has no file system and imports no `node:` module.
import { fileSystem, processId } from '#platform';
import type { FileSystem } from '../platform/types.js';
import { concatBytes } from '../util/bytes.js';

/** Largest model file read from anywhere: 2^25 parameters with their optimizer state are
 *  402,653,184 bytes; the rest is header. */
export const MAX_MODEL_FILE_BYTES = 2 ** 29;
const IDB_PREFIX = 'indexeddb://';
const IDB_DATABASE = 'wasm-autoencoder';
const IDB_STORE = 'models';

export type ModelSource = string | URL | Blob | Response;

const tooLarge = (fn: string, what: string, size: string): Error =>
  new Error(`${fn}: ${what} is ${size}, more than the ${MAX_MODEL_FILE_BYTES} bytes a model file can be`);

function idbName(target: string, fn: string): string {
  const name = target.slice(IDB_PREFIX.length);
  if (name === '') throw new Error(`${fn}: '${target}' names no model; write 'indexeddb://name'`);
  return name;
}

function fileUrlPath(url: URL): string {
  // file:///a/b → /a/b (percent-decoded); Windows drive paths keep their letter.
  const path = decodeURIComponent(url.pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
}

/** save()'s bytes to `target`: 'indexeddb://name', a file path or a file: URL. */
export async function writeModel(target: unknown, bytes: Uint8Array, fn: string): Promise<void> {
  if (typeof target !== 'string' && !(target instanceof URL)) {
    throw new Error(`${fn}: target must be a file path or 'indexeddb://name', got ${typeof target}`);
  }
  const text = String(target);
  if (text.startsWith(IDB_PREFIX)) return idbPut(idbName(text, fn), bytes, fn);
  const url = target instanceof URL ? target : /^[a-z][a-z0-9+.-]+:\/\//i.test(text) ? new URL(text) : null;
  if (url && url.protocol !== 'file:')
    throw new Error(`${fn}: cannot write to a ${url.protocol} URL; give a file path or 'indexeddb://name'`);
  const path = url ? fileUrlPath(url) : text;
  if (path === '') throw new Error(`${fn}: target must be a file path or 'indexeddb://name', got ''`);
  await writeFileAtomic(await fileSystem(fn, 'a file path'), path, bytes, fn);
}

/**
 * Writes through a temporary file beside the target, synced, then renamed over it: a failed or
 * killed write leaves any old file as it was. A leftover temporary file (hidden, named
 * `.<name>.<pid>.<hex>.tmp`) is never read as a model. Only a regular file is replaced: a
 * symbolic link, a FIFO or a device would be swapped for a file by the rename.
 */
async function writeFileAtomic(fs: FileSystem, path: string, bytes: Uint8Array, fn: string): Promise<void> {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const folder = cut >= 0 ? path.slice(0, cut + 1) : '';
  const name = path.slice(cut + 1);
  if (name === '' || name === '.' || name === '..') throw new Error(`${fn}: ${path} names a folder, not a file`);
  const notRegular = async (): Promise<string | null> => {
    try {
      const s = await fs.lstat(path);
      return s.isFile()
        ? null
        : s.isDirectory()
          ? 'a folder'
          : s.isSymbolicLink()
            ? 'a symbolic link'
            : 'not a regular file';
    } catch {
      return null;
    }
  };
  const kind = await notRegular();
  if (kind) throw new Error(`${fn}: cannot write ${path}: it is ${kind}`);
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  const pid = processId();
  const tmp = `${folder}.${name}.${pid}.${random}.tmp`;
  try {
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const late = await notRegular();
    if (late) throw new Error(`it is ${late}`);
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.unlink(tmp).catch(() => undefined);
    throw new Error(`${fn}: cannot write ${path}: ${(error as Error).message}`);
  }
}

/** A model file's bytes from `source`, at most MAX_MODEL_FILE_BYTES, size checked before reading
 *  where the source says it. */
export async function readModel(source: unknown, fn: string): Promise<Uint8Array> {
  if (typeof source === 'string' && source.startsWith(IDB_PREFIX)) return idbGet(idbName(source, fn), fn);
  if (typeof Response !== 'undefined' && source instanceof Response) return fromResponse(source, 'the response', fn);
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    if (source.size > MAX_MODEL_FILE_BYTES) throw tooLarge(fn, 'the Blob', `${source.size} bytes`);
    return new Uint8Array(await source.arrayBuffer());
  }
  const url =
    source instanceof URL
      ? source
      : typeof source === 'string' && /^[a-z][a-z0-9+.-]+:\/\//i.test(source)
        ? new URL(source)
        : null;
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new Error(`${fn}: cannot fetch ${url.href}: ${(error as Error).message}`);
    }
    return fromResponse(response, url.href, fn);
  }
  if (url && url.protocol !== 'file:')
    throw new Error(`${fn}: cannot read a ${url.protocol} URL; give http(s), a file path or 'indexeddb://name'`);
  if (url || (typeof source === 'string' && source !== '')) {
    const path = url ? fileUrlPath(url) : (source as string);
    const fs = await fileSystem(fn, 'a file path');
    try {
      const handle = await fs.open(path, 'r');
      try {
        const { size } = await handle.stat();
        if (size > MAX_MODEL_FILE_BYTES) throw tooLarge(fn, path, `${size} bytes`);
        const buffer = await handle.readFile();
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as Error).message.startsWith(`${fn}:`)) throw error;
      throw new Error(`${fn}: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  throw new Error(`${fn}: source must be a file path, 'indexeddb://name', an http(s) URL, a Blob or a Response`);
}

/** A response's body, refused past the limit: by its Content-Length first, else as it streams. */
async function fromResponse(response: Response, what: string, fn: string): Promise<Uint8Array> {
  if (!response.ok) throw new Error(`${fn}: ${what} answered ${response.status} ${response.statusText}`.trimEnd());
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > MAX_MODEL_FILE_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(fn, what, `${declared} bytes (Content-Length)`);
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_MODEL_FILE_BYTES) {
      await reader.cancel();
      throw tooLarge(fn, what, 'longer than that');
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

function idbRequest<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function idbDatabase(fn: string): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory)
    throw new Error(`${fn}: 'indexeddb://' needs IndexedDB (a browser); in Node, Deno or Bun give a file path`);
  const open = factory.open(IDB_DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(IDB_STORE);
  return idbRequest(open);
}

async function idbPut(name: string, bytes: Uint8Array, fn: string): Promise<void> {
  const db = await idbDatabase(fn);
  try {
    const tx = db.transaction(IDB_STORE, 'readwrite');
    tx.objectStore(IDB_STORE).put(bytes.slice(), name);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () =>
        reject(new Error(`${fn}: IndexedDB could not store '${name}': ${tx.error?.message ?? 'aborted'}`));
    });
  } finally {
    db.close();
  }
}

async function idbGet(name: string, fn: string): Promise<Uint8Array> {
  const db = await idbDatabase(fn);
  try {
    const value = await idbRequest(db.transaction(IDB_STORE, 'readonly').objectStore(IDB_STORE).get(name));
    if (value === undefined) throw new Error(`${fn}: IndexedDB holds no model named '${name}'`);
    if (!(value instanceof Uint8Array)) throw new Error(`${fn}: IndexedDB's '${name}' is not a model file's bytes`);
    return value;
  } finally {
    db.close();
  }
}
