// Regression tests for hostile input and silent wrong answers (issue 10, items 1–4 and 8): each
// failed before its fix. Files are crafted with a correct CRC so that every change reaches the
// checks behind the checksum.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Autoencoder } from '../../src/entries/index.js';
import { decodeModelFile } from '../../src/io/modelFile.js';
import { patchModelFile, rawModelFile } from '../helpers/modelFiles.js';

const probe = new Float32Array(16 * 3).map((_, i) => ((i * 37) % 101) / 100);
let small: Autoencoder;
let saved: Uint8Array;
let savedWithAdam: Uint8Array;

beforeAll(async () => {
  small = await Autoencoder.create({ inputShape: [4, 4, 1], encoder: [8], latent: 3, threads: 1, kernels: 'simd' });
  await small.fit(probe, { epochs: 2, batchSize: 2 });
  saved = small.save();
  savedWithAdam = small.save({ optimizer: true });
});
afterAll(async () => {
  await small.dispose();
});

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

describe('item 1: load takes a Node Buffer and any ArrayBufferView', () => {
  it('a Buffer at an odd offset into a larger buffer, a DataView and an ArrayBuffer all load the same model', async () => {
    // Buffer.concat then subarray(3): a view whose byteOffset is 3 (unaligned for floats), as
    // readFileSync's small Buffers are views into a shared pool.
    const buffer = Buffer.concat([Buffer.alloc(3, 7), Buffer.from(saved), Buffer.alloc(5, 9)]).subarray(
      3,
      3 + saved.length,
    );
    expect(buffer.byteOffset % 4).not.toBe(0);
    const want = small.reconstruct(probe);
    for (const source of [
      buffer,
      new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength),
      saved.slice().buffer,
    ]) {
      const ae = await Autoencoder.load(source, { threads: 1 });
      expect(ae.reconstruct(probe)).toEqual(want);
      await ae.dispose();
    }
  });
});

describe('item 2: sizes are checked in arithmetic that cannot wrap', () => {
  it('create refuses models over 2^25 parameters at once, naming the limit', async () => {
    for (const width of [65536, 32768, 600]) {
      const started = performance.now();
      await expect(
        Autoencoder.create({ inputShape: 65536, encoder: [width], latent: 1, decoder: [], threads: 1 }),
      ).rejects.toThrow(/^Autoencoder\.create: .*more than 33554432 parameters/);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('a file whose config needs 2^32 weights (which wrapped to 0 in 32 bits) is refused before any memory is taken', async () => {
    const header = decodeModelFile(saved).header as unknown as { config: Record<string, unknown> };
    const config = {
      ...header.config,
      inputShape: [1, 65536, 1],
      encoder: [65536],
      latent: 1,
      decoder: [],
      activations: ['relu'],
    };
    const before = rssMb();
    const bytes = rawModelFile({ ...header, config, paramCount: 8 }, new Float32Array(8));
    await expect(Autoencoder.load(bytes)).rejects.toThrow(/^Autoencoder\.load: .*more than 33554432 parameters/);
    expect(rssMb() - before).toBeLessThan(64);
  });
});

describe('item 3: a loaded step and optimizer state are checked; an update that gives non-finite weights fails', () => {
  it('refuses a negative or fractional step, NaN weights, and a negative Adam second moment', async () => {
    const withHeader = (key: string, value: unknown): Uint8Array =>
      patchModelFile(savedWithAdam, (f) => {
        f.header[key] = value;
      });
    await expect(Autoencoder.load(withHeader('step', -1))).rejects.toThrow(
      /^Autoencoder\.load: the model file's step must be an integer in \[0, 2147483647\], got -1/,
    );
    await expect(Autoencoder.load(withHeader('step', 1.5))).rejects.toThrow(/step must be an integer/);
    const nanWeight = patchModelFile(saved, (f) => {
      f.params[5] = NaN;
    });
    await expect(Autoencoder.load(nanWeight)).rejects.toThrow(
      /^Autoencoder\.load: the model file's weights must be finite, got NaN at index 5/,
    );
    const negativeV = patchModelFile(savedWithAdam, (f) => {
      f.optimizerState![1][7] = -1;
    });
    await expect(Autoencoder.load(negativeV)).rejects.toThrow(
      /^Autoencoder\.load: the model file's optimizer state must be finite and ≥ 0 \(Adam's second moment\), got -1 at index 7/,
    );
    const infM = patchModelFile(savedWithAdam, (f) => {
      f.optimizerState![0][2] = -Infinity;
    });
    await expect(Autoencoder.load(infM)).rejects.toThrow(
      /optimizer state must be finite, got -Infinity at index 2 of its first vector/,
    );
  });

  for (const threads of [1, 2]) {
    it(`${threads} thread(s): a step whose update overflows a weight fails, keeping the last good weights bit for bit`, async () => {
      // SGD with momentum, a loaded velocity of 2e38 on a first-layer weight of 2e38 whose pixel is
      // always 0: the loss stays finite (0 · 2e38 = 0) but the update writes 2e38 + 1.8e38 = ∞.
      const sgd = await Autoencoder.create({
        inputShape: [4, 4, 1],
        encoder: [8],
        latent: 3,
        threads: 1,
        kernels: 'simd',
        optimizer: { type: 'sgd', momentum: 0.9 },
      });
      const bytes = patchModelFile(sgd.save({ optimizer: true }), (f) => {
        f.params[0] = 2e38;
        f.optimizerState![0][0] = 2e38;
      });
      await sgd.dispose();
      const ae = await Autoencoder.load(bytes, { threads });
      const data = probe.map((v, i) => (i % 16 === 0 ? 0 : v));
      const before = ae.getWeights();
      await expect(ae.fit(data, { epochs: 1, batchSize: 3 })).rejects.toThrow(
        /^Autoencoder\.fit: the update gave non-finite weights \(its loss was [0-9.e-]+\) at epoch 1, batch 1; the weights are kept from the last good step/,
      );
      expect(ae.getWeights()).toEqual(before);
      expect(ae.steps).toBe(0);
      // Inference still reads the good weights (their transposes were restored too).
      const fresh = await Autoencoder.load(bytes, { threads: 1 });
      expect(ae.reconstruct(data)).toEqual(fresh.reconstruct(data));
      await Promise.all([ae.dispose(), fresh.dispose()]);
    });
  }

  it('a step whose loss is not finite throws and leaves the weights untouched', async () => {
    // A linear output bias of 3e38: the outputs are finite, their squared error is not.
    const linear = await Autoencoder.create({
      inputShape: [4, 4, 1],
      encoder: [8],
      latent: 3,
      threads: 1,
      kernels: 'simd',
      output: 'linear',
    });
    const bytes = patchModelFile(linear.save(), (f) => {
      f.params[f.params.length - 4] = 3e38;
    });
    await linear.dispose();
    const ae = await Autoencoder.load(bytes, { threads: 1 });
    const before = ae.getWeights();
    await expect(ae.fit(probe, { epochs: 1, batchSize: 3 })).rejects.toThrow(
      /loss became (Infinity|NaN) at epoch 1, batch 1.*last good step/,
    );
    expect(ae.getWeights()).toEqual(before);
    await ae.dispose();
  });
});

describe('item 4: a file is checked whole before memory is grown or workers started', () => {
  it('a config needing 16.8 M parameters with a header that says 340 is refused before any wasm memory exists', async () => {
    const header = decodeModelFile(saved).header as unknown as { config: Record<string, unknown> };
    const config = {
      ...header.config,
      inputShape: [1, 4096, 1],
      encoder: [4096],
      latent: 4,
      decoder: [],
      activations: ['relu'],
    };
    // Count every wasm memory made or grown while the file is read: before the fix, a model's
    // memory (six banks of 16.8 M floats, reserved up to 2 GiB when shared) and its workers came first.
    const made: number[] = [];
    const RealMemory = WebAssembly.Memory;
    const realGrow = RealMemory.prototype.grow;
    (WebAssembly as { Memory: unknown }).Memory = new Proxy(RealMemory, {
      construct(target, args) {
        made.push((args[0] as { initial: number }).initial);
        return Reflect.construct(target, args);
      },
    });
    RealMemory.prototype.grow = function grow(pages: number) {
      made.push(pages);
      return realGrow.call(this, pages);
    };
    try {
      await expect(
        Autoencoder.load(rawModelFile({ ...header, config }, new Float32Array(340)), { threads: 2 }),
      ).rejects.toThrow(/^Autoencoder\.load: the model file holds 340 parameters, its config needs 16818180/);
    } finally {
      (WebAssembly as { Memory: unknown }).Memory = RealMemory;
      RealMemory.prototype.grow = realGrow;
    }
    expect(made).toEqual([]);
  });
});

describe('item 8: nothing is silently accepted or defaulted', () => {
  const configWith = (change: (c: Record<string, unknown>) => void): Uint8Array =>
    patchModelFile(saved, (f) => {
      change(f.header.config as Record<string, unknown>);
    });

  it('a file config lacking a field, with an unknown one, or not in the form create() writes, is refused', async () => {
    await expect(
      Autoencoder.load(
        configWith((c) => {
          delete c.activations;
        }),
      ),
    ).rejects.toThrow(/^Autoencoder\.load: the model file's config is invalid: it lacks activations/);
    await expect(
      Autoencoder.load(
        configWith((c) => {
          delete c.output;
        }),
      ),
    ).rejects.toThrow(/config is invalid: it lacks output/);
    await expect(
      Autoencoder.load(
        configWith((c) => {
          c.dropout = 0.5;
        }),
      ),
    ).rejects.toThrow(/config is invalid: it has unknown fields dropout/);
    await expect(
      Autoencoder.load(
        configWith((c) => {
          c.beta = 0.5;
        }),
      ),
    ).rejects.toThrow(/config is invalid: beta is not what the rest of the config implies/);
    await expect(
      Autoencoder.load(
        configWith((c) => {
          (c.optimizer as Record<string, unknown>).momentum = 0.9;
        }),
      ),
    ).rejects.toThrow(/config is invalid: optimizer\.momentum is not what the rest/);
    await expect(
      Autoencoder.load(
        configWith((c) => {
          c.activations = ['relu', 'softmax'];
        }),
      ),
    ).rejects.toThrow(/config is invalid: activation\[1\] must be one of/);
    await expect(
      Autoencoder.load(
        patchModelFile(saved, (f) => {
          f.header.extra = 1;
        }),
      ),
    ).rejects.toThrow(/header has an unknown field 'extra'/);
  });

  it('a shuffle state of zeros or strings is refused', async () => {
    for (const state of [
      [0, 0, 0, 0],
      ['a', 'b', 'c', 'd'],
      [1, 2, 3],
    ]) {
      await expect(
        Autoencoder.load(
          patchModelFile(saved, (f) => {
            f.header.shuffleState = state as number[];
          }),
        ),
      ).rejects.toThrow(
        /^Autoencoder\.load: the model file's shuffleState must be 4 integers in \[0, 2\^32\), not all zero/,
      );
    }
  });

  it('options that would do nothing are refused, naming them', async () => {
    await expect(Autoencoder.load(saved, { thread: 2 } as never)).rejects.toThrow(
      /^Autoencoder\.load: unknown option thread; known options are kernels, wasm, threads/,
    );
    expect(() => small.save({ optimiser: true } as never)).toThrow(/^Autoencoder\.save: unknown option optimiser/);
    expect(() => small.encode(probe, { label: 1 } as never)).toThrow(
      /^Autoencoder\.encode: unknown option label; known options are labels, out/,
    );
    expect(() => small.reconstruct(probe, { outt: 1 } as never)).toThrow(
      /^Autoencoder\.reconstruct: unknown option outt/,
    );
    expect(() => small.evaluate(probe, { out: new Float32Array(3) } as never)).toThrow(
      /^Autoencoder\.evaluate: unknown option out/,
    );
    await expect(Autoencoder.create({ optimizer: { type: 'adam', momentum: 0.9 } } as never)).rejects.toThrow(
      /^Autoencoder\.create: optimizer\.momentum does nothing for 'adam' \(only 'sgd' read it\)/,
    );
    await expect(Autoencoder.create({ optimizer: { type: 'sgd', beta1: 0.5 } } as never)).rejects.toThrow(
      /optimizer\.beta1 does nothing for 'sgd' \(only 'adam' and 'adamw' read it\)/,
    );
    await expect(Autoencoder.create({ optimizer: { type: 'adam', weightDecay: 0.1 } } as never)).rejects.toThrow(
      /optimizer\.weightDecay does nothing for 'adam'/,
    );
  });

  it('float pixels outside [0, 1] are refused, saying how bytes go in', async () => {
    const bytesAsFloats = new Float32Array(16 * 4).fill(255);
    await expect(small.fit(bytesAsFloats)).rejects.toThrow(
      /^Autoencoder\.fit: data must hold values in \[0, 1\] \(pixels as floats; bytes 0–255 go in a Uint8Array\), got 255 at index 0/,
    );
    await expect(small.fit(probe, { validation: bytesAsFloats })).rejects.toThrow(
      /^Autoencoder\.fit: validation must hold values in \[0, 1\]/,
    );
    // Inference takes any finite value: a noisy image to denoise may leave [0, 1]; codes are not pixels.
    expect(small.reconstruct(new Float32Array(16).fill(-0.5)).length).toBe(16);
    expect(small.decode(new Float32Array(3).fill(-7)).length).toBe(16);
  });

  it('inputSize is the values of one image, also for a conditional model; a disposed model says so', async () => {
    const conditional = await Autoencoder.create({
      conditional: { classes: 10 },
      encoder: [16],
      latent: 2,
      threads: 1,
    });
    expect(conditional.inputSize).toBe(784);
    await conditional.dispose();
    expect(() => conditional.latentSize).toThrow(/disposed/);
    expect(() => conditional.inputSize).toThrow(/disposed/);
  });
});

describe('results are sized before they are allocated', () => {
  it('decode of many small codes into large images is refused, naming the size, instead of a RangeError', async () => {
    const wide = await Autoencoder.create({ inputShape: [256, 256, 1], encoder: [4], latent: 1, threads: 1 });
    const codes = new Float32Array(20000);
    expect(() => wide.decode(codes)).toThrow(
      /^Autoencoder\.decode: the result would hold 20000 × 65536 = 1310720000 values, more than the 268435456 one call returns/,
    );
    expect(wide.decode(codes.subarray(0, 2)).length).toBe(2 * 65536);
    await wide.dispose();
    const vae = await Autoencoder.create({
      inputShape: [256, 256, 1],
      encoder: [4],
      latent: 1,
      threads: 1,
      variational: true,
    });
    expect(() => vae.sample(5000)).toThrow(
      /^Autoencoder\.sample: the result would hold 5000 × 65536 = 327680000 values/,
    );
    await vae.dispose();
  });
});

describe('unknown options are refused everywhere, nested ones too', () => {
  it('each public function that takes options names the unknown one', async () => {
    const { knnClassify } = await import('../../src/entries/index.js');
    const { loadMnist } = await import('../../src/entries/mnist.js');
    const { imageGrid, labelledPanels, comparisonPng, scatterPng } = await import('../../src/entries/image.js');
    await expect(loadMnist({ trainlimit: 5 } as never)).rejects.toThrow(
      /^loadMnist: unknown option trainlimit; known options are dir, trainLimit, testLimit/,
    );
    await expect(
      knnClassify({ vectors: new Float32Array(2), labels: new Uint8Array(1) }, new Float32Array(2), 2, {
        K: 3,
      } as never),
    ).rejects.toThrow(/^knnClassify: unknown option K/);
    const img = { count: 1, width: 2, height: 2, cols: 1 };
    expect(() => imageGrid(new Uint8Array(4), { ...img, scal: 2 } as never)).toThrow(
      /^imageGrid: unknown option opts\.scal/,
    );
    expect(() =>
      labelledPanels([{ title: 'a', image: imageGrid(new Uint8Array(4), img) }], { gaps: 1 } as never),
    ).toThrow(/^labelledPanels: unknown option opts\.gaps/);
    expect(() =>
      comparisonPng(new Uint8Array(4), new Uint8Array(4), {
        count: 1,
        width: 2,
        height: 2,
        title: ['a', 'b'],
      } as never),
    ).toThrow(/^comparisonPng: unknown option opts\.title/);
    expect(() => scatterPng(new Float32Array(2), new Uint8Array(1), { legend: true } as never)).toThrow(
      /^scatterPng: unknown option legend/,
    );
    await expect(small.fit(probe, { noise: { type: 'gaussian', level: 0.1, clip: true } } as never)).rejects.toThrow(
      /^Autoencoder\.fit: unknown option noise\.clip; known options are type, level/,
    );
    await expect(Autoencoder.create({ variational: { beta: 1, warmup: 3 } } as never)).rejects.toThrow(
      /^Autoencoder\.create: unknown option variational\.warmup/,
    );
  });
});
