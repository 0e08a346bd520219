// streamIdx / streamMnist: IDX images read from disk in chunks, plain and gzipped, against
// loadMnist's arrays; every pass the same; the header checks of parseIdx on hostile files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import { loadMnist, streamMnist, type Mnist } from '../../src/data/mnist.js';
import { streamIdx, type IdxImageStream } from '../../src/data/idxStream.js';

async function readAll(stream: IdxImageStream): Promise<{ images: Uint8Array; labels: Uint8Array; chunks: number[] }> {
  const images = new Uint8Array(stream.count * stream.imageSize),
    labels = new Uint8Array(stream.count);
  const chunks: number[] = [];
  let at = 0;
  for await (const chunk of stream) {
    const rows = chunk.images.length / stream.imageSize;
    images.set(chunk.images, at * stream.imageSize);
    if (chunk.labels) labels.set(chunk.labels, at);
    chunk.release();
    chunks.push(rows);
    at += rows;
  }
  return { images, labels, chunks };
}

/** Byte-for-byte equality (vitest's toEqual walks 47 million elements for minutes). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

let mnist: Mnist;
let dir: string;
beforeAll(async () => {
  mnist = await loadMnist();
  dir = await mkdtemp(join(tmpdir(), 'idx-stream-'));
  await writeFile(
    join(dir, 't10k-images-idx3-ubyte.gz'),
    gzipSync(encodeIdx({ type: 'u8', dims: [10000, 28, 28], data: mnist.test.images })),
  );
  await writeFile(
    join(dir, 't10k-labels-idx1-ubyte.gz'),
    gzipSync(encodeIdx({ type: 'u8', dims: [10000], data: mnist.test.labels })),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('streamMnist', () => {
  it('gives the training set of loadMnist, in chunks of whole rows, and again on a second pass', async () => {
    const stream = await streamMnist('train', { chunkRows: 7000 });
    expect([stream.count, stream.shape, stream.imageSize]).toEqual([60000, [28, 28], 784]);
    const first = await readAll(stream);
    expect(first.chunks).toEqual([7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 4000]);
    expect(same(first.images, mnist.train.images)).toBe(true);
    expect(same(first.labels, mnist.train.labels)).toBe(true);
    const second = await readAll(stream);
    expect(same(second.images, mnist.train.images)).toBe(true);
  });

  it('reads gzipped files the same, and no labels when asked not to', async () => {
    const gz = await readAll(await streamMnist('test', { dir, chunkRows: 3000 }));
    expect(gz.chunks).toEqual([3000, 3000, 3000, 1000]);
    expect(same(gz.images, mnist.test.images)).toBe(true);
    expect(same(gz.labels, mnist.test.labels)).toBe(true);
    for await (const chunk of await streamMnist('test', { labels: false })) {
      expect(chunk.labels).toBeUndefined();
      break; // leaving early closes the file
    }
  });

  it('hands out fresh arrays unless a chunk is released', async () => {
    const stream = await streamMnist('test', { chunkRows: 1000 });
    const kept: Uint8Array[] = [];
    for await (const chunk of stream) kept.push(chunk.images);
    kept.forEach((images, k) => {
      expect(same(images, mnist.test.images.subarray(k * 784000, (k + 1) * 784000))).toBe(true);
    });
    expect(new Set(kept).size).toBe(10);
  });

  it('checks its arguments', async () => {
    await expect(streamMnist('valid' as never)).rejects.toThrow(/streamMnist: set must be 'train' or 'test', got/);
    await expect(streamMnist('test', { dir: join(dir, 'none') })).rejects.toThrow(
      /streamMnist: cannot find t10k-images-idx3-ubyte in/,
    );
    await expect(streamIdx(join(dir, 't10k-images-idx3-ubyte.gz'), { chunkRows: 0 })).rejects.toThrow(
      /streamIdx: options\.chunkRows must be an integer in \[1, 16777216\], got 0/,
    );
  });
});

describe('streamIdx on hostile files', () => {
  const file = async (name: string, bytes: Uint8Array): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const images = encodeIdx({ type: 'u8', dims: [5, 2, 3], data: Uint8Array.from({ length: 30 }, (_, i) => i) });

  it('refuses a bad magic, a type other than u8, too few dims, a truncated or overlong plain file', async () => {
    await expect(streamIdx(await file('magic', Uint8Array.of(1, 0, 8, 3, 0, 0, 0, 1)))).rejects.toThrow(
      /has a bad magic number/,
    );
    const ints = encodeIdx({ type: 'i32', dims: [2, 2], data: new Int32Array(4) });
    await expect(streamIdx(await file('ints', ints))).rejects.toThrow(
      /streamIdx: .*ints must hold u8 images with at least 2 dims \(count, …\), got i32 with dims \[2, 2\]/,
    );
    const flat = encodeIdx({ type: 'u8', dims: [4], data: new Uint8Array(4) });
    await expect(streamIdx(await file('flat', flat))).rejects.toThrow(/must hold u8 images with at least 2 dims/);
    await expect(streamIdx(await file('cut', images.subarray(0, images.length - 1)))).rejects.toThrow(
      /cut is truncated: dims \[5, 2, 3\] of u8 need 30 data bytes, got 29/,
    );
    await expect(streamIdx(await file('long', Uint8Array.from([...images, 0])))).rejects.toThrow(
      /long has trailing bytes/,
    );
    await expect(streamIdx(await file('short', Uint8Array.of(0, 0, 8, 3, 0)))).rejects.toThrow(/short is too short/);
    const huge = Uint8Array.of(0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255);
    await expect(streamIdx(await file('huge', huge))).rejects.toThrow(
      /streamIdx: .*huge declares dims \[4294967295, 4294967295, 4294967295\] of u8, more than 9007199254740991 bytes/,
    );
  });

  it('stops a gzip that inflates past its header, and says a cut one is truncated, while reading', async () => {
    // Past the header's size within the first piece inflated: refused when opened.
    const longer = gzipSync(Uint8Array.from([...images, ...new Uint8Array(100_000)]));
    await expect(streamIdx(await file('past.gz', longer))).rejects.toThrow(
      /streamIdx: .*past\.gz decompresses to more than the 46 bytes its IDX header implies/,
    );
    // Past it later: refused while reading.
    const big = encodeIdx({ type: 'u8', dims: [1000, 10, 10], data: new Uint8Array(100_000) });
    const later = await streamIdx(
      await file('later.gz', gzipSync(Uint8Array.from([...big, ...new Uint8Array(200_000)]))),
      { chunkRows: 100 },
    );
    await expect(readAll(later)).rejects.toThrow(
      /streamIdx: .*later\.gz decompresses to more than the 100016 bytes its IDX header implies/,
    );
    const cut = await streamIdx(await file('cut.gz', gzipSync(images.subarray(0, 40))));
    await expect(readAll(cut)).rejects.toThrow(
      /cut\.gz is truncated: dims \[5, 2, 3\] of u8 need 30 data bytes, got 24/,
    );
    const good = await readAll(await streamIdx(await file('good.gz', gzipSync(images)), { chunkRows: 2 }));
    expect(good.chunks).toEqual([2, 2, 1]);
    expect(good.images).toEqual(images.subarray(16));
  });

  it('refuses labels of another count', async () => {
    const labels = await file('labels', encodeIdx({ type: 'u8', dims: [4], data: new Uint8Array(4) }));
    await expect(streamIdx(await file('five', images), { labels })).rejects.toThrow(
      /streamIdx: .*labels must hold one label per image of .*five \(5\), got dims \[4\]/,
    );
  });
});
