// Training control on MNIST (issue 10, item 9): callbacks that use the model between epochs,
// stopping from a callback, early stopping, validationSplit, learning-rate schedules, and epochs
// counted over the model's life. Every expectation comes from an independent route: a plain
// re-implementation of Keras's rule over the logged values, or the same training done by hand
// (epoch by epoch through saved files) compared bit for bit.
import { describe, it, expect, beforeAll } from 'vitest';
import { Autoencoder, type EpochLog, type LayerWeights } from '../../src/entries/index.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';
import { patchModelFile } from '../helpers/modelFiles.js';

let mnist: Mnist;
let train: Uint8Array;
beforeAll(async () => {
  mnist = await loadMnist({ trainLimit: 1200, testLimit: 300 });
  train = mnist.train.images;
});

const small = { encoder: [48], latent: 12, kernels: 'simd', seed: 3 } as const;
const toFloats = (b: Uint8Array): Float32Array => Float32Array.from(b, (v) => v / 255);

describe('callbacks may use the model between epochs', () => {
  for (const threads of [1, 2]) {
    it(`${threads} thread(s): evaluate, encode, decode, reconstruct and save in onEpochEnd leave training bit-identical`, async () => {
      const plain = await Autoencoder.create({ ...small, threads });
      await plain.fit(train, { epochs: 3, batchSize: 64 });
      const busy = await Autoencoder.create({ ...small, threads });
      const checkpoints: Uint8Array[] = [];
      const seen: number[] = [];
      // Float rows in the callback while bytes train: the inference regions are re-planned for
      // them, which must not move the data set the threads hold.
      const floats = toFloats(mnist.test.images.subarray(0, 784 * 40));
      await busy.fit(train, {
        epochs: 3,
        batchSize: 64,
        onEpochEnd: (log) => {
          seen.push(busy.evaluate(floats).mse);
          const codes = busy.encode(floats);
          expect(busy.decode(codes)).toEqual(busy.reconstruct(floats));
          checkpoints.push(busy.save({ optimizer: true }));
          expect(log.epoch).toBe(checkpoints.length);
        },
      });
      expect(busy.getWeights()).toEqual(plain.getWeights());
      // The checkpoint of epoch 2, loaded and trained one more epoch, is the model of epoch 3.
      const resumed = await Autoencoder.load(checkpoints[1], { threads });
      expect(resumed.epochs).toBe(2);
      expect(resumed.evaluate(floats).mse).toBe(seen[1]);
      const history = await resumed.fit(train, { epochs: 1, batchSize: 64 });
      expect(history.epochs[0].epoch).toBe(3);
      expect(resumed.getWeights()).toEqual(plain.getWeights());
      await Promise.all([plain.dispose(), busy.dispose(), resumed.dispose()]);
    });
  }

  it('fit and calls that change the model are refused inside a callback; an async callback is awaited', async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    let refused = '';
    let awaited = false;
    await ae.fit(train, {
      epochs: 1,
      batchSize: 200,
      onEpochEnd: async () => {
        await ae.fit(train).catch((e: Error) => {
          refused = e.message;
        });
        await new Promise((r) => setTimeout(r, 20));
        awaited = true;
      },
    });
    expect(refused).toMatch(/^Autoencoder\.fit: the model is training/);
    expect(awaited).toBe(true);
    let inBatch = '';
    await ae.fit(train, {
      epochs: 1,
      batchSize: 600,
      onBatchEnd: () => {
        try {
          ae.evaluate(train);
        } catch (e) {
          inBatch = (e as Error).message;
        }
      },
    });
    expect(inBatch).toMatch(/^Autoencoder\.evaluate: the model is training.*onEpochEnd/);
    await ae.dispose();
  });
});

describe('stopping', () => {
  for (const threads of [1, 2]) {
    it(`${threads} thread(s): returning false or control.stop() ends training after that epoch and resolves with the History`, async () => {
      const a = await Autoencoder.create({ ...small, threads });
      const byReturn = await a.fit(train, { epochs: 5, batchSize: 64, onEpochEnd: (log) => log.epoch < 2 });
      expect(byReturn.epochs.map((l) => l.epoch)).toEqual([1, 2]);
      expect(byReturn.stopped).toEqual({ epoch: 2, by: 'callback' });
      const b = await Autoencoder.create({ ...small, threads });
      const byControl = await b.fit(train, {
        epochs: 5,
        batchSize: 64,
        onEpochEnd: (log, control) => {
          if (log.epoch === 2) control.stop();
        },
      });
      expect(byControl.stopped).toEqual({ epoch: 2, by: 'callback' });
      expect(b.getWeights()).toEqual(a.getWeights());
      expect(a.epochs).toBe(2);
      await Promise.all([a.dispose(), b.dispose()]);
    });
  }

  it('an aborted fit rejects with the reason and keeps its completed epochs in ae.history', async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    const controller = new AbortController();
    const run = ae.fit(train, {
      epochs: 5,
      batchSize: 64,
      signal: controller.signal,
      onEpochEnd: (log) => {
        if (log.epoch === 2) controller.abort(new Error('enough'));
      },
    });
    await expect(run).rejects.toThrow('enough');
    expect(ae.history.epochs.map((l) => l.epoch)).toEqual([1, 2]);
    expect(ae.epochs).toBe(2);
    await ae.dispose();
  });

  it("early stopping stops where Keras's rule says, and restoreBestWeights puts back the best epoch's bits", async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    const weightsAt = new Map<number, LayerWeights[]>();
    // A large minDelta makes the improvements stop counting after a few epochs.
    const history = await ae.fit(train, {
      epochs: 40,
      batchSize: 64,
      validationSplit: 0.25,
      earlyStopping: { monitor: 'valLoss', patience: 2, minDelta: 0.002, restoreBestWeights: true },
      onEpochEnd: (log) => {
        weightsAt.set(log.epoch, ae.getWeights());
      },
    });
    // Keras's EarlyStopping over the logged values, written out plainly.
    let best = Infinity,
      wait = 0,
      bestEpoch = 0,
      stopAt = 0;
    for (const log of history.epochs) {
      wait++;
      if (log.valLoss! < best - 0.002) {
        best = log.valLoss!;
        bestEpoch = log.epoch;
        wait = 0;
      } else if (wait >= 2) {
        stopAt = log.epoch;
        break;
      }
    }
    expect(stopAt).toBeGreaterThan(0);
    expect(history.epochs.length).toBe(stopAt);
    expect(history.stopped).toEqual({ epoch: stopAt, by: 'earlyStopping' });
    expect(history.bestEpoch).toBe(bestEpoch);
    expect(bestEpoch).toBeLessThan(stopAt);
    expect(ae.getWeights()).toEqual(weightsAt.get(bestEpoch));
    expect(ae.getWeights()).not.toEqual(weightsAt.get(stopAt));
    await ae.dispose();
  });

  it('early stopping without validation data must monitor the loss, and says so', async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    await expect(ae.fit(train, { earlyStopping: {} })).rejects.toThrow(
      /^Autoencoder\.fit: earlyStopping\.monitor 'valLoss' needs validation or validationSplit/,
    );
    await expect(ae.fit(train, { earlyStopping: { patience: 1, wait: 2 } as never })).rejects.toThrow(
      /unknown option earlyStopping\.wait/,
    );
    const h = await ae.fit(train, { epochs: 3, batchSize: 64, earlyStopping: { monitor: 'loss', patience: 5 } });
    expect(h.epochs.length).toBe(3);
    expect(h.stopped).toBeUndefined();
    await ae.dispose();
  });
});

describe('validationSplit', () => {
  it('holds out the last rows: the weights are those of training on the first rows, valMse is evaluate on the rest', async () => {
    const a = await Autoencoder.create({ ...small, threads: 1 });
    const evaluated: number[] = [];
    const held = train.subarray(784 * 900);
    const h = await a.fit(train, {
      epochs: 2,
      batchSize: 64,
      validationSplit: 0.25,
      onEpochEnd: () => {
        evaluated.push(a.evaluate(held).mse);
      },
    });
    expect(h.epochs.map((l) => l.valMse)).toEqual(evaluated);
    expect(h.epochs.map((l) => l.valLoss)).toEqual(evaluated); // an mse model trains on the MSE
    const b = await Autoencoder.create({ ...small, threads: 1 });
    await b.fit(train.subarray(0, 784 * 900), { epochs: 2, batchSize: 64 });
    expect(a.getWeights()).toEqual(b.getWeights());
    await expect(a.fit(train, { validationSplit: 1 })).rejects.toThrow(
      /validationSplit must be a number in \(0, 1\), got 1/,
    );
    await expect(a.fit(train, { validationSplit: 0.1, validation: held })).rejects.toThrow(
      /give validation or validationSplit, not both/,
    );
    await Promise.all([a.dispose(), b.dispose()]);
  });
});

describe('valLoss is the loss the model trains on, measured on the validation images', () => {
  it('bce: cross-entropy of the reconstructions; variational: plus β·KL of the code per pixel', async () => {
    const val = mnist.test.images.subarray(0, 784 * 100);
    const x = toFloats(val);
    const bce = await Autoencoder.create({ ...small, threads: 1, loss: 'bce' });
    const vae = await Autoencoder.create({ ...small, threads: 1, variational: { beta: 2 } });
    for (const ae of [bce, vae]) {
      const h = await ae.fit(train, { epochs: 1, batchSize: 64, validation: val });
      const y = ae.reconstruct(val);
      let want = 0;
      if (ae === bce) {
        for (let i = 0; i < y.length; i++) {
          const p = Math.min(Math.max(y[i], 1e-7), 1 - 1e-7);
          want -= x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
        }
        want /= y.length;
      } else {
        const { mean, logVariance } = ae.encodeDistribution(val);
        let kl = 0;
        for (let i = 0; i < mean.length; i++)
          kl += 0.5 * (mean[i] ** 2 + Math.exp(logVariance[i]) - 1 - logVariance[i]);
        want = ae.evaluate(val).mse + (2 * kl) / y.length;
      }
      expect(h.epochs[0].valLoss).toBeCloseTo(want, 6);
      expect(h.epochs[0].valLoss).not.toBeCloseTo(h.epochs[0].valMse!, 3);
      await ae.dispose();
    }
  });
});

describe('learning-rate schedules', () => {
  /** Trains epoch by epoch through saved files, setting the stored learning rate before each:
   *  the schedule done by hand. */
  async function byHand(rates: number[], options: object): Promise<LayerWeights[]> {
    let ae = await Autoencoder.create({ ...small, threads: 1, ...options });
    for (const rate of rates) {
      const bytes = patchModelFile(ae.save({ optimizer: true }), (f) => {
        (f.header.config as { optimizer: { learningRate: number } }).optimizer.learningRate = rate;
      });
      await ae.dispose();
      ae = await Autoencoder.load(bytes, { threads: 1 });
      await ae.fit(train, { epochs: 1, batchSize: 64 });
    }
    const w = ae.getWeights();
    await ae.dispose();
    return w;
  }

  it('cosine and step schedules give the rates of their formulas, and the weights of training with those rates by hand', async () => {
    const base = 0.002;
    const cosine = Array.from({ length: 3 }, (_, e) => 1e-4 + ((base - 1e-4) * (1 + Math.cos((Math.PI * e) / 3))) / 2);
    const step = [base, base, base * 0.5];
    for (const [schedule, rates] of [
      [{ type: 'cosine', minLearningRate: 1e-4 }, cosine],
      [{ type: 'step', every: 2, factor: 0.5 }, step],
    ] as const) {
      const ae = await Autoencoder.create({ ...small, threads: 1, optimizer: { learningRate: base } });
      const h = await ae.fit(train, { epochs: 3, batchSize: 64, learningRateSchedule: schedule });
      expect(h.epochs.map((l) => l.learningRate)).toEqual(rates);
      expect(ae.getWeights()).toEqual(await byHand(rates, { optimizer: { learningRate: base } }));
      expect(ae.config.optimizer.learningRate).toBe(base); // the model's own rate is left as it was
      await ae.dispose();
    }
  });

  it("reduceOnPlateau lowers the rate as Keras's rule says over the logged values", async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    const o = { patience: 1, factor: 0.5, minDelta: 0.003, cooldown: 1, minLearningRate: 1e-4 };
    const h = await ae.fit(train, {
      epochs: 8,
      batchSize: 64,
      learningRateSchedule: { type: 'reduceOnPlateau', monitor: 'loss', ...o },
    });
    // ReduceLROnPlateau.on_epoch_end, written out plainly.
    let rate = 0.001,
      best = Infinity,
      wait = 0,
      cooldown = 0;
    const expected: number[] = [];
    for (const log of h.epochs as EpochLog[]) {
      expected.push(rate);
      if (cooldown > 0) {
        cooldown--;
        wait = 0;
      }
      if (log.loss < best - o.minDelta) {
        best = log.loss;
        wait = 0;
      } else if (cooldown === 0) {
        wait++;
        if (wait >= o.patience && rate > o.minLearningRate) {
          rate = Math.max(rate * o.factor, o.minLearningRate);
          cooldown = o.cooldown;
          wait = 0;
        }
      }
    }
    expect(h.epochs.map((l) => l.learningRate)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(1);
    await ae.dispose();
  });

  it('a schedule with an unknown type or option is refused', async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    await expect(ae.fit(train, { learningRateSchedule: { type: 'exponential' } as never })).rejects.toThrow(
      /^Autoencoder\.fit: learningRateSchedule must be \{ type: 'step' \| 'cosine' \| 'reduceOnPlateau'/,
    );
    await expect(
      ae.fit(train, { learningRateSchedule: { type: 'step', every: 2, factor: 0.5, gamma: 1 } as never }),
    ).rejects.toThrow(/unknown option learningRateSchedule\.gamma/);
    await ae.dispose();
  });
});

describe('epochs are counted over the model life', () => {
  it('a second fit continues the numbering, and a saved model keeps it', async () => {
    const ae = await Autoencoder.create({ ...small, threads: 1 });
    await ae.fit(train, { epochs: 2, batchSize: 200 });
    const h = await ae.fit(train, { epochs: 2, batchSize: 200 });
    expect(h.epochs.map((l) => l.epoch)).toEqual([3, 4]);
    const loaded = await Autoencoder.load(ae.save(), { threads: 1 });
    expect(loaded.epochs).toBe(4);
    await Promise.all([ae.dispose(), loaded.dispose()]);
  });
});
