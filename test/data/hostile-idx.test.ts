// IDX bytes from outside: gzip bombs, lying trailers and headers, cut files and dims that wrap.
// Gzip is made with node:zlib, not the fflate that parseIdx inflates with.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { gzipSync as fflateGzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx, type IdxArray } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist.js';
import { parseIdx } from '../../src/data/parseIdx.js';
import { concat, errorOf, idxHeader, noise } from '../helpers/bytes.js';

const MB = 1e6;

/** A valid gzip file, as zlib writes it, of `head` followed by `zeroMiB` MiB of zeros. */
function gzipStream(head: Uint8Array, zeroMiB: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gzip = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzip.on('data', (c: Buffer) => parts.push(c));
    gzip.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    gzip.on('error', reject);
    gzip.write(head);
    const zeros = new Uint8Array(1 << 20);
    let written = 0;
    const more = (): void => {
      while (written < zeroMiB) {
        written++;
        if (!gzip.write(zeros)) {
          gzip.once('drain', more);
          return;
        }
      }
      gzip.end();
    };
    more();
  });
}

/** Whether two arrays hold the same bytes (Buffer.equals: expect's toEqual takes seconds on 200 KB). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function rssGrowth(run: () => unknown): number {
  const before = process.memoryUsage().rss;
  run();
  return process.memoryUsage().rss - before;
}

// Ten 28×28 u8 images: 16 header bytes + 7840 data bytes. The bomb follows the header with
// 500 MiB of zeros, in about 510 KB of gzip.
const tenImagesHeader = idxHeader(0x08, [10, 28, 28]);
const tenImagesBytes = 16 + 10 * 28 * 28;
let bomb: Uint8Array;
beforeAll(async () => {
  bomb = await gzipStream(tenImagesHeader, 500);
});

describe('parseIdx on hostile gzip', () => {
  it('rejects an 18-byte gzip whose trailer claims 4 GB at once, allocating nothing', () => {
    const tiny = new Uint8Array(18);
    tiny.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    new DataView(tiny.buffer).setUint32(14, 0xffffffff, true);
    const started = performance.now();
    let error: Error | undefined;
    const growth = rssGrowth(() => {
      error = errorOf(() => parseIdx(tiny, 'tiny.gz'));
    });
    // gunzipSync allocated and checksummed the 4 GB: 5-17 s.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^parseIdx: tiny\.gz is corrupt gzip data/);
    expect(growth).toBeLessThan(100 * MB);
  });

  it('stops a bomb at the size its IDX header implies, in little memory', () => {
    expect(bomb.length).toBeLessThan(600_000);
    const started = performance.now();
    let error: Error | undefined;
    const growth = rssGrowth(() => {
      error = errorOf(() => parseIdx(bomb, 'bomb.gz'));
    });
    expect(error!.message).toBe(
      `parseIdx: bomb.gz decompresses to more than the ${tenImagesBytes} bytes its IDX header implies`,
    );
    // gunzipSync inflated all 524 MB first (564 MB RSS).
    expect(growth).toBeLessThan(100 * MB);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('rejects a header that declares more than 2 GiB before inflating the rest', () => {
    const gz = gzipSync(concat(idxHeader(0x08, [65536, 65536]), new Uint8Array(100)));
    expect(() => parseIdx(gz, 'huge.gz')).toThrow(
      'parseIdx: huge.gz declares dims [65536, 65536] of u8, 4294967308 bytes with its header: expected at most 2147483648',
    );
    const past53 = gzipSync(idxHeader(0x0e, [0xffffffff, 0xffffffff, 0xffffffff]));
    expect(() => parseIdx(past53, 'past53.gz')).toThrow(
      /past53\.gz declares .* of f64, more than 9007199254740991 bytes/,
    );
  });

  it('rejects a gzip whose trailer lies about the size', () => {
    const gz = gzipSync(concat(tenImagesHeader, noise(7840, 1)));
    new DataView(gz.buffer, gz.byteOffset).setUint32(gz.length - 4, 0xffffffff, true);
    expect(() => parseIdx(gz, 'lying.gz')).toThrow(
      /^parseIdx: lying\.gz is corrupt gzip data: trailer expects .* 4294967295 bytes/,
    );
  });

  it('says "truncated" for a valid gzip of an IDX header that declares more data than follows', () => {
    const gz = gzipSync(concat(tenImagesHeader, new Uint8Array(100)));
    expect(() => parseIdx(gz, 'short.gz')).toThrow(
      'parseIdx: short.gz is truncated: dims [10, 28, 28] of u8 need 7840 data bytes, got 100',
    );
  });

  it('stops at the first bytes that are not IDX', () => {
    const text = gzipSync(new TextEncoder().encode('hello '.repeat(100_000)));
    expect(() => parseIdx(text, 'text.gz')).toThrow(
      /^parseIdx: text\.gz has a bad magic number: expected .* got 0x68 0x65/,
    );
  });

  it('rejects every cut of a gzip file', () => {
    const gz = gzipSync(concat(idxHeader(0x08, [3, 28, 28]), noise(3 * 784, 2)));
    for (let length = 0; length < gz.length; length++) {
      const error = errorOf(() => parseIdx(gz.subarray(0, length), 'cut.gz'));
      expect(error.constructor).toBe(Error);
      expect(error.message).toMatch(/^parseIdx: cut\.gz /);
    }
  });

  it('rejects every single-bit flip of a gzip file, or returns the exact original', () => {
    const original = concat(idxHeader(0x08, [2, 5]), noise(10, 3));
    const gz = gzipSync(original);
    let rejected = 0;
    for (let bit = 0; bit < gz.length * 8; bit++) {
      const flipped = gz.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      let parsed: IdxArray;
      try {
        parsed = parseIdx(flipped, 'flip.gz');
      } catch (e) {
        expect((e as Error).constructor).toBe(Error);
        expect((e as Error).message).toMatch(/^parseIdx: flip\.gz /);
        rejected++;
        continue;
      }
      expect(parsed.dims).toEqual([2, 5]);
      expect(Array.from(parsed.data)).toEqual(Array.from(original.subarray(12)));
    }
    // Only the header bytes 3 to 9 (flags, time stamp, XFL, OS) hold bits that change nothing read.
    expect(rejected).toBeGreaterThanOrEqual(gz.length * 8 - 7 * 8);
  });
});

describe('parseIdx on valid gzip', () => {
  const floats = Float32Array.of(-0, 0, 1.5, -3.25e-38, 1e-45, Infinity, -Infinity, 3.4028234663852886e38);
  const doubles = Float64Array.of(-0, Math.PI, 5e-324, -1.7976931348623157e308, Infinity);
  const samples: [string, IdxArray][] = [
    ['u8 images', { type: 'u8', dims: [10, 28, 28], data: noise(7840, 4) }],
    ['i16', { type: 'i16', dims: [3, 3], data: Int16Array.of(-32768, -1, 0, 1, 255, 256, 4096, 32767, -300) }],
    ['f32', { type: 'f32', dims: [2, 4], data: floats }],
    ['f64', { type: 'f64', dims: [5], data: doubles }],
  ];
  for (const [what, sample] of samples) {
    it(`returns ${what} bit for bit`, () => {
      const parsed = parseIdx(gzipSync(encodeIdx(sample)), `${what}.gz`);
      expect(parsed.type).toBe(sample.type);
      expect(parsed.dims).toEqual(sample.dims);
      expect(parsed.data.constructor).toBe(sample.data.constructor);
      expect(sameBytes(parsed.data, sample.data)).toBe(true);
    });
  }

  it('reads a file of many input chunks, stored and compressed, and a gzip header with a file name', () => {
    const data = noise(300 * 784, 5);
    const file = encodeIdx({ type: 'u8', dims: [300, 28, 28], data });
    for (const gz of [
      gzipSync(file),
      gzipSync(file, { level: 0 }),
      fflateGzipSync(file, { filename: 'x'.repeat(40_000) }),
    ]) {
      const parsed = parseIdx(gz, 'big.gz');
      expect(parsed.dims).toEqual([300, 28, 28]);
      expect(sameBytes(parsed.data, data)).toBe(true);
    }
  });

  it('reads an honest file that compresses 1000:1', async () => {
    const gz = await gzipStream(idxHeader(0x08, [8, 1024, 1024]), 8);
    expect(gz.length).toBeLessThan((8 << 20) / 1000);
    const parsed = parseIdx(gz, 'zeros.gz');
    expect(parsed.dims).toEqual([8, 1024, 1024]);
    expect(sameBytes(parsed.data, new Uint8Array(8 << 20))).toBe(true);
  });
});

describe('parseIdx on plain IDX with dims that overflow', () => {
  it('compares the dims product to the data without 32-bit wrap', () => {
    // 65536 · 65536 · 2 is 0 modulo 2^32, and 65536 · 65537 is 65536.
    expect(() => parseIdx(idxHeader(0x08, [65536, 65536, 2]), 'wrap0.idx')).toThrow(
      'parseIdx: wrap0.idx is truncated: dims [65536, 65536, 2] of u8 need 8589934592 data bytes, got 0',
    );
    expect(() => parseIdx(concat(idxHeader(0x08, [65536, 65537]), new Uint8Array(65536)), 'wrap1.idx')).toThrow(
      'parseIdx: wrap1.idx is truncated: dims [65536, 65537] of u8 need 4295032832 data bytes, got 65536',
    );
  });

  it('compares without losing precision past 2^53', () => {
    expect(() =>
      parseIdx(concat(idxHeader(0x0d, [0xffffffff, 0xffffffff, 0xffffffff]), new Uint8Array(8)), 'huge.idx'),
    ).toThrow(
      'parseIdx: huge.idx is truncated: dims [4294967295, 4294967295, 4294967295] of f32 need more than 9007199254740991 data bytes, got 8',
    );
  });

  it('reads an empty array whatever size its other dims claim', () => {
    const parsed = parseIdx(idxHeader(0x0d, [0xffffffff, 0, 0xffffffff]));
    expect(parsed.dims).toEqual([0xffffffff, 0, 0xffffffff]);
    expect(parsed.data.length).toBe(0);
  });
});

describe('loadMnist on hostile gzip', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostile-mnist-'));
    const labels = (n: number) => encodeIdx({ type: 'u8', dims: [n], data: new Uint8Array(n) });
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), labels(10));
    await writeFile(
      join(dir, 't10k-images-idx3-ubyte'),
      encodeIdx({ type: 'u8', dims: [2, 28, 28], data: noise(2 * 784, 6) }),
    );
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), labels(2));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops a bomb at the size its IDX header implies, in little memory', async () => {
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    await writeFile(path, bomb);
    const before = process.memoryUsage().rss;
    await expect(loadMnist({ dir })).rejects.toThrow(
      `loadMnist: ${path} decompresses to more than the ${tenImagesBytes} bytes its IDX header implies`,
    );
    // gunzipSync inflated all 524 MB first.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MB);
  });

  it('rejects a cut gzip file and reads the whole one', async () => {
    const images = noise(10 * 784, 7);
    const gz = gzipSync(concat(tenImagesHeader, images));
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    await writeFile(path, gz.subarray(0, gz.length - 5));
    await expect(loadMnist({ dir })).rejects.toThrow(`loadMnist: ${path} is corrupt gzip data`);
    await writeFile(path, gz);
    const mnist = await loadMnist({ dir });
    expect(sameBytes(mnist.train.images, images)).toBe(true);
  });
});
