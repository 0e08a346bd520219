// saveTo / loadFrom in Node: files (atomic, refusing what is not a regular file), file: URLs,
// Blobs, Responses and http URLs; sizes refused before they are read.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Autoencoder } from '../../src/entries/index.js';
import { MAX_MODEL_FILE_BYTES } from '../../src/io/storage.js';

const x = Float32Array.from({ length: 4 * 16 }, (_, i) => ((i * 37) % 101) / 100);
let dir: string;
let ae: Autoencoder;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wae-storage-'));
  ae = await Autoencoder.create({ inputShape: [4, 4, 1], encoder: [8], latent: 3, threads: 1 });
  await ae.fit(x, { epochs: 2, batchSize: 2 });
  const bytes = ae.save();
  server = createServer((req, res) => {
    if (req.url === '/model.wae') return void res.end(bytes);
    if (req.url === '/huge.wae') {
      // Headers that declare too much, then a trickle: the size must be refused from the header.
      res.writeHead(200, { 'content-length': String(MAX_MODEL_FILE_BYTES + 1) });
      res.write('WAAE');
      return void setTimeout(() => res.destroy(), 1000);
    }
    res.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await ae.dispose();
  server.close();
  await rm(dir, { recursive: true });
});

describe('saveTo and loadFrom', () => {
  it('a file path and a file: URL round-trip; load(readFileSync(path)) works too; no temporary file is left', async () => {
    const path = join(dir, 'm.wae');
    await ae.saveTo(path);
    await ae.saveTo(path, { optimizer: true }); // replaces the first
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(ae.save({ optimizer: true })))).toBe(true);
    for (const source of [path, pathToFileURL(path)]) {
      const back = await Autoencoder.loadFrom(source, { threads: 1 });
      expect(back.reconstruct(x)).toEqual(ae.reconstruct(x));
      await back.dispose();
    }
    const viaBuffer = await Autoencoder.load(readFileSync(path), { threads: 1 });
    expect(viaBuffer.reconstruct(x)).toEqual(ae.reconstruct(x));
    await viaBuffer.dispose();
    expect(await readdir(dir)).toEqual(['m.wae']);
  });

  it("a killed write's temporary file is ignored; a symbolic link or folder is refused and left as it was", async () => {
    const path = join(dir, 'k.wae');
    await ae.saveTo(path);
    await writeFile(join(dir, '.k.wae.99999999.deadbeef.tmp'), 'half a model');
    const back = await Autoencoder.loadFrom(path, { threads: 1 });
    expect(back.reconstruct(x)).toEqual(ae.reconstruct(x));
    await back.dispose();
    const link = join(dir, 'link.wae');
    await symlink(path, link);
    await expect(ae.saveTo(link)).rejects.toThrow(
      /^Autoencoder\.saveTo: cannot write .*link\.wae: it is a symbolic link/,
    );
    await expect(ae.saveTo(dir)).rejects.toThrow(/^Autoencoder\.saveTo: cannot write .*: it is a folder/);
    await expect(ae.saveTo(join(dir, 'no', 'such', 'm.wae'))).rejects.toThrow(
      /^Autoencoder\.saveTo: cannot write .*m\.wae: .*no such file/i,
    );
    await expect(ae.saveTo('https://example.com/m.wae')).rejects.toThrow(
      /^Autoencoder\.saveTo: cannot write to a https: URL/,
    );
    await expect(ae.saveTo('indexeddb://m')).rejects.toThrow(
      /^Autoencoder\.saveTo: 'indexeddb:\/\/' needs IndexedDB \(a browser\)/,
    );
  });

  it('a Blob, a Response and an http URL load; a 404, a declared size over the limit and a missing file are refused', async () => {
    const bytes = ae.save();
    for (const source of [
      new Blob([bytes as Uint8Array<ArrayBuffer>]),
      new Response(bytes as Uint8Array<ArrayBuffer>),
      `${base}/model.wae`,
      new URL(`${base}/model.wae`),
    ]) {
      const back = await Autoencoder.loadFrom(source, { threads: 1 });
      expect(back.reconstruct(x)).toEqual(ae.reconstruct(x));
      await back.dispose();
    }
    await expect(Autoencoder.loadFrom(`${base}/none.wae`)).rejects.toThrow(
      /^Autoencoder\.loadFrom: http:.*none\.wae answered 404 Not Found/,
    );
    await expect(Autoencoder.loadFrom(`${base}/huge.wae`)).rejects.toThrow(
      /^Autoencoder\.loadFrom: http:.*huge\.wae is 536870913 bytes \(Content-Length\), more than the 536870912 bytes a model file can be/,
    );
    await expect(Autoencoder.loadFrom(join(dir, 'none.wae'))).rejects.toThrow(
      /^Autoencoder\.loadFrom: cannot read .*none\.wae/,
    );
    await expect(Autoencoder.loadFrom(42 as never)).rejects.toThrow(
      /^Autoencoder\.loadFrom: source must be a file path, 'indexeddb:\/\/name', an http\(s\) URL, a Blob or a Response/,
    );
  });

  it('a body that streams past the limit is refused as it streams, without holding it', async () => {
    const chunk = new Uint8Array(64 * 2 ** 20);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    await expect(Autoencoder.loadFrom(new Response(endless))).rejects.toThrow(
      /^Autoencoder\.loadFrom: the response is longer than that, more than the 536870912 bytes/,
    );
    expect(sent).toBeLessThanOrEqual(MAX_MODEL_FILE_BYTES + 2 * chunk.length);
  });
});
