// Data sets kept in the model's memory (ae.dataset) and fit on streams of chunks: the same weights
// as the in-memory fit they stand for, bit for bit, for 1 and 2 threads; the buffer shuffle against
// a plain reimplementation; and the errors of bad input.
import { describe, it, expect, beforeAll } from 'vitest';
import { Autoencoder, type AutoencoderOptions, type ImagesInput } from '../../src/entries/index.js';
import { loadMnist, streamMnist, type Mnist } from '../../src/data/mnist.js';
import { Prng } from '../../src/util/prng.js';
import { flatWeights } from '../helpers/weights.js';

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist({ trainLimit: 1500, testLimit: 10000 });
});

const SMALL: AutoencoderOptions = { encoder: [16], latent: 4, decoder: [16], seed: 7 };
const make = (threads: number, extra: AutoencoderOptions = {}): Promise<Autoencoder> =>
  Autoencoder.create({ ...SMALL, ...extra, kernels: 'simd', threads });
const weightsOf = (ae: Autoencoder): Float32Array => flatWeights(ae.getWeights());

/** `images` (n rows of 784) as a re-readable stream of chunks of the given sizes, in turn. */
function chunked(
  images: Uint8Array | Float32Array,
  sizes: number[],
  labels?: Uint8Array,
): AsyncIterable<ImagesInput> & { count: number } {
  const n = images.length / 784;
  return {
    count: n,
    async *[Symbol.asyncIterator]() {
      for (let at = 0, k = 0; at < n; k++) {
        const rows = Math.min(sizes[k % sizes.length], n - at);
        const part = images.subarray(at * 784, (at + rows) * 784);
        yield labels ? { images: part, labels: labels.subarray(at, at + rows) } : part;
        at += rows;
      }
    },
  };
}

/** The buffer shuffle written plainly: which row of the stream each trained row is. */
function bufferOrder(n: number, size: number, prng: Prng): Uint32Array {
  const buffer: number[] = [],
    out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (buffer.length < size) {
      buffer.push(i);
      continue;
    }
    const j = prng.nextInt(size);
    out.push(buffer[j]);
    buffer[j] = i;
  }
  const rest = Uint32Array.from(buffer);
  prng.shuffle(rest);
  return Uint32Array.from([...out, ...rest]);
}

function rowsIn(images: Uint8Array, order: Uint32Array): Uint8Array {
  const out = new Uint8Array(order.length * 784);
  order.forEach((r, i) => {
    out.set(images.subarray(r * 784, (r + 1) * 784), i * 784);
  });
  return out;
}

describe('Autoencoder.dataset', () => {
  it.each([1, 2])(
    'trains to the same weights as the array it holds (%i threads), across fits, with validation',
    async (threads) => {
      const byArray = await make(threads);
      const byHandle = await make(threads);
      const options = { batchSize: 100, validation: mnist.test.images.subarray(0, 500 * 784) };
      const a = await byArray.fit(mnist.train.images, { ...options, epochs: 2 });
      const train = await byHandle.dataset(mnist.train.images);
      const valid = await byHandle.dataset(mnist.test.images.subarray(0, 500 * 784));
      expect([train.count, train.kind, valid.count]).toEqual([1500, 'u8', 500]);
      const b1 = await byHandle.fit(train, { ...options, validation: valid });
      byHandle.reconstruct(mnist.test.images.subarray(0, 3000 * 784)); // re-plans the inference regions
      const b2 = await byHandle.fit(train, { ...options, validation: valid });
      expect(weightsOf(byHandle)).toEqual(weightsOf(byArray));
      expect([b1.epochs[0].valMse, b2.epochs[0].valMse]).toEqual(a.epochs.map((e) => e.valMse));
      await byArray.dispose();
      await byHandle.dispose();
    },
  );

  it('1 and 2 threads give the same weights on a handle; validationSplit splits the held rows', async () => {
    const runs = [];
    for (const threads of [1, 2]) {
      const ae = await make(threads);
      const train = await ae.dataset(mnist.train.images);
      runs.push({
        history: await ae.fit(train, { epochs: 2, batchSize: 64, validationSplit: 0.2 }),
        weights: weightsOf(ae),
      });
      await ae.dispose();
    }
    const reference = await make(1);
    const history = await reference.fit(mnist.train.images, { epochs: 2, batchSize: 64, validationSplit: 0.2 });
    expect(runs[1].weights).toEqual(runs[0].weights);
    expect(runs[0].weights).toEqual(weightsOf(reference));
    expect(runs[0].history.epochs.map((e) => e.valMse)).toEqual(history.epochs.map((e) => e.valMse));
    await reference.dispose();
  });

  it('keeps float rows as floats, and later handles stay right when an earlier one is disposed', async () => {
    const floats = Float32Array.from(mnist.train.images.subarray(0, 300 * 784), (v) => v / 255);
    const ae = await make(1);
    const first = await ae.dataset(mnist.train.images.subarray(300 * 784, 600 * 784));
    const held = await ae.dataset(floats);
    expect(held.kind).toBe('f32');
    first.dispose();
    expect([first.disposed, held.disposed]).toEqual([true, false]);
    first.dispose(); // a second call does nothing
    await ae.fit(held, { epochs: 2, batchSize: 50 });
    const reference = await make(1);
    await reference.fit(floats, { epochs: 2, batchSize: 50 });
    expect(weightsOf(ae)).toEqual(weightsOf(reference));
    await ae.dispose();
    expect(held.disposed).toBe(true);
    await reference.dispose();
  });

  it('holds the labels of a conditional model', async () => {
    const conditional = { conditional: { classes: 10 } };
    const a = await make(1, conditional),
      b = await make(1, conditional);
    await a.fit({ images: mnist.train.images, labels: mnist.train.labels }, { batchSize: 128 });
    await b.fit(await b.dataset(mnist.train.images, { labels: mnist.train.labels }), { batchSize: 128 });
    expect(weightsOf(b)).toEqual(weightsOf(a));
    await expect(b.dataset(mnist.train.images)).rejects.toThrow(
      /Autoencoder\.dataset: data\.labels must be a Uint8Array/,
    );
    await a.dispose();
    await b.dispose();
  });

  it("refuses bad input, another model's handle, a disposed one, and dispose during fit", async () => {
    const a = await make(1),
      b = await make(1);
    const nan = new Float32Array(784 * 2);
    nan[900] = NaN;
    await expect(a.dataset(nan)).rejects.toThrow(
      /Autoencoder\.dataset: data must hold values in \[0, 1\].*NaN at index 900/,
    );
    await expect(a.dataset(new Uint8Array(700))).rejects.toThrow(
      /Autoencoder\.dataset: data must hold a whole, non-zero number of rows of 784/,
    );
    await expect(a.dataset(mnist.train.images, { labels: mnist.train.labels })).rejects.toThrow(
      /labels are only for conditional models/,
    );
    const ofB = await b.dataset(mnist.train.images.subarray(0, 100 * 784));
    await expect(a.fit(ofB)).rejects.toThrow('Autoencoder.fit: data is a Dataset of another model');
    await expect(a.fit(mnist.train.images, { validation: ofB })).rejects.toThrow(
      'Autoencoder.fit: validation is a Dataset of another model',
    );
    const mine = await a.dataset(mnist.train.images.subarray(0, 100 * 784));
    await expect(a.fit(mine, { epochs: 2, onEpochEnd: () => mine.dispose() })).rejects.toThrow(
      /Dataset\.dispose: the model is training/,
    );
    mine.dispose();
    await expect(a.fit(mine)).rejects.toThrow('Autoencoder.fit: data is a disposed Dataset');
    await expect(a.fit(mine, { shuffleBuffer: 10 })).rejects.toThrow(/disposed Dataset/);
    const other = await a.dataset(mnist.train.images.subarray(0, 100 * 784));
    await expect(a.fit(other, { shuffleBuffer: 10 })).rejects.toThrow(
      /Autoencoder\.fit: shuffleBuffer is for data given as a stream/,
    );
    await a.dispose();
    await b.dispose();
  });
});

describe('fit on a stream of chunks', () => {
  it.each([1, 2])(
    'with a buffer as large as the stream, equals the in-memory fit bit for bit (%i threads, 10,000 rows: two segments)',
    async (threads) => {
      const images = mnist.test.images;
      const streamed = await make(threads),
        inMemory = await make(threads);
      const batches: number[] = [];
      const h = await streamed.fit(chunked(images, [1000, 37, 2048]), {
        epochs: 2,
        batchSize: 256,
        shuffleBuffer: 10000,
        onBatchEnd: (log) => batches.push(log.batch, log.batches),
      });
      const m = await inMemory.fit(images, { epochs: 2, batchSize: 256 });
      expect(weightsOf(streamed)).toEqual(weightsOf(inMemory));
      h.epochs.forEach((e, i) => {
        expect(e.loss).toBeCloseTo(m.epochs[i].loss, 12);
      });
      // Batch numbers run on across segments: 1…40 of 40, twice.
      const expected = [];
      for (let e = 0; e < 2; e++) for (let b = 1; b <= 40; b++) expected.push(b, 40);
      expect(batches).toEqual(expected);
      await streamed.dispose();
      await inMemory.dispose();
    },
  );

  it("with a small buffer, equals the in-memory fit of the rows in a plain buffer shuffle's order; 1 and 2 threads alike", async () => {
    const images = mnist.train.images;
    const results = [];
    for (const threads of [1, 2]) {
      const ae = await make(threads);
      await ae.fit(chunked(images, [100, 333]), { epochs: 2, batchSize: 32, shuffleBuffer: 200 });
      results.push(weightsOf(ae));
      await ae.dispose();
    }
    // The model's shuffle PRNG (seeded as setup.ts seeds it), continuing from epoch to epoch.
    const prng = new Prng((SMALL.seed! ^ 0x5bd1e995) >>> 0);
    const reference = await make(1);
    for (let e = 0; e < 2; e++)
      await reference.fit(rowsIn(images, bufferOrder(1500, 200, prng)), { batchSize: 32, shuffle: false });
    expect(results[0]).toEqual(weightsOf(reference));
    expect(results[1]).toEqual(results[0]);
    await reference.dispose();
  });

  it('without shuffling trains in stream order; a seed decides the order', async () => {
    const images = mnist.train.images;
    const a = await make(1),
      b = await make(1),
      c = await make(1, { seed: 8 });
    await a.fit(chunked(images, [512]), { batchSize: 64, shuffle: false });
    await b.fit(images, { batchSize: 64, shuffle: false });
    expect(weightsOf(a)).toEqual(weightsOf(b));
    const d = await make(1),
      e = await make(1);
    await d.fit(chunked(images, [512]), { batchSize: 64, shuffleBuffer: 300 });
    await e.fit(chunked(images, [77]), { batchSize: 64, shuffleBuffer: 300 });
    await c.fit(chunked(images, [512]), { batchSize: 64, shuffleBuffer: 300 });
    expect(weightsOf(d)).toEqual(weightsOf(e)); // chunking does not matter
    expect(weightsOf(c)).not.toEqual(weightsOf(d));
    for (const m of [a, b, c, d, e]) await m.dispose();
  });

  it('keeps validation, early stopping and labels working; reads streamMnist into a Dataset as an array would be', async () => {
    const conditional = await make(1, { conditional: { classes: 10 } });
    const validation = {
      images: mnist.test.images.subarray(0, 1000 * 784),
      labels: mnist.test.labels.subarray(0, 1000),
    };
    const h = await conditional.fit(chunked(mnist.train.images, [400], mnist.train.labels), {
      epochs: 3,
      batchSize: 100,
      validation,
      earlyStopping: { patience: 5 },
      learningRateSchedule: { type: 'step', every: 1, factor: 0.5 },
    });
    expect(h.epochs.map((e) => e.learningRate)).toEqual([1e-3, 5e-4, 2.5e-4]);
    expect(h.epochs[2].valMse).toBe(conditional.evaluate(validation).mse);
    await conditional.dispose();
    const fromFile = await make(1),
      fromArray = await make(1);
    const test = await fromFile.dataset(await streamMnist('test', { labels: false, chunkRows: 999 }));
    await fromFile.fit(test, { batchSize: 500 });
    await fromArray.fit(mnist.test.images, { batchSize: 500 });
    expect(weightsOf(fromFile)).toEqual(weightsOf(fromArray));
    await fromFile.dispose();
    await fromArray.dispose();
  });

  it('gives clear errors: a one-shot generator on epoch 2, a chunk of the wrong width, NaN, mixed kinds, not iterable', async () => {
    const ae = await make(1);
    const rows = mnist.train.images.subarray(0, 200 * 784);
    async function* once(): AsyncGenerator<Uint8Array> {
      yield rows;
    }
    await expect(ae.fit(once(), { epochs: 1 })).resolves.toBeDefined();
    await expect(ae.fit(once(), { epochs: 2 })).rejects.toThrow(
      /Autoencoder\.fit: data can be read only once \(an async generator\?\) and epoch \d+ needs it again/,
    );
    async function* wide(): AsyncGenerator<Uint8Array> {
      yield rows;
      yield new Uint8Array(785);
    }
    await expect(ae.fit(wide())).rejects.toThrow(
      /Autoencoder\.fit: data \(chunk 1\) must hold a whole, non-zero number of rows of 784 values/,
    );
    const nan = new Float32Array(784).fill(0.5);
    nan[3] = NaN;
    async function* bad(): AsyncGenerator<Float32Array> {
      yield new Float32Array(784);
      yield nan;
    }
    await expect(ae.fit(bad())).rejects.toThrow(
      /Autoencoder\.fit: data \(chunk 1\) must hold values in \[0, 1\].*NaN at index 3/,
    );
    async function* mixed(): AsyncGenerator<Uint8Array | Float32Array> {
      yield rows;
      yield new Float32Array(784);
    }
    await expect(ae.fit(mixed())).rejects.toThrow(/data \(chunk 1\) holds floats, the stream's first chunk bytes/);
    async function* empty(): AsyncGenerator<Uint8Array> {
      /* nothing */
    }
    await expect(ae.fit(empty())).rejects.toThrow('Autoencoder.fit: data (a stream) gave no images');
    await expect(ae.fit({} as never)).rejects.toThrow(/Autoencoder\.fit: data must be a Uint8Array/);
    await expect(ae.fit(once(), { validationSplit: 0.1 })).rejects.toThrow(/validationSplit needs the data in memory/);
    await expect(ae.fit(once(), { shuffleBuffer: 0 })).rejects.toThrow(
      /Autoencoder\.fit: shuffleBuffer must be an integer in \[1, 16777216\]/,
    );
    await expect(ae.dataset(once())).rejects.toThrow(/Autoencoder\.dataset: data\.count must be a positive integer/);
    await ae.dispose();
  });
});
