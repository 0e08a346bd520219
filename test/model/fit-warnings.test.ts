// fit's warning for epochs of too few steps (issue 11: 200 images at the CLI's old batch of 256
// made one step an epoch, and every reconstruction came out as the same blurry digit, unannounced).
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { Autoencoder, fitDefaults } from '../../src/entries/index.js';
import { fewStepsWarning, MIN_EPOCH_STEPS } from '../../src/model/fitJob.js';

const rows = (n: number): Float32Array => new Float32Array(n * 16).map((_, i) => ((i * 37) % 101) / 100);
let ae: Autoencoder;

beforeAll(async () => {
  ae = await Autoencoder.create({ inputShape: [4, 4, 1], encoder: [8], latent: 3, threads: 1, kernels: 'simd' });
});
afterAll(async () => {
  await ae.dispose();
});

describe('fit warns when an epoch makes fewer than 10 steps', () => {
  it("the defaults are Keras's: one epoch, batches of 32", () => {
    expect(fitDefaults).toEqual({ epochs: 1, batchSize: 32 });
    expect(Object.isFrozen(fitDefaults)).toBe(true);
  });

  it('counts steps as the epoch loop does (a last partial batch is a step)', () => {
    expect(MIN_EPOCH_STEPS).toBe(10);
    expect(fewStepsWarning(200, 256)).toEqual({
      code: 'fewSteps',
      images: 200,
      batchSize: 256,
      steps: 1,
      suggestedBatchSize: 20,
      message: expect.stringMatching(
        /^Autoencoder.fit: an epoch of 200 images at batchSize 256 is 1 step \(.*use batchSize ≤ 20,/,
      ),
    });
    expect(fewStepsWarning(288, 32)).toMatchObject({
      steps: 9,
      suggestedBatchSize: 28,
      message: expect.stringMatching(/is 9 steps/),
    });
    expect(fewStepsWarning(289, 32)).toBeNull(); // ⌈289 / 32⌉ = 10
    expect(fewStepsWarning(320, 32)).toBeNull();
    expect(fewStepsWarning(5, 32)).toMatchObject({ steps: 1, suggestedBatchSize: 1 });
  });

  it('calls onWarning once per fit call, before training, and trains all the same', async () => {
    const calls: unknown[][] = [];
    const before = ae.steps;
    await ae.fit(rows(200), { epochs: 2, batchSize: 64, onWarning: (...args) => calls.push(args) });
    const want = fewStepsWarning(200, 64)!;
    expect(calls).toEqual([[want.message, want]]);
    expect(ae.steps - before).toBe(2 * 4);
  });

  it('says nothing for an epoch of 10 steps or more', async () => {
    const onWarning = vi.fn();
    await ae.fit(rows(320), { onWarning });
    expect(onWarning).not.toHaveBeenCalled();
  });

  it('goes to console.warn without onWarning, and onWarning must be a function', async () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await ae.fit(rows(40), { batchSize: 8 });
      expect(spy).toHaveBeenCalledWith(fewStepsWarning(40, 8)!.message);
    } finally {
      spy.mockRestore();
    }
    await expect(ae.fit(rows(40), { onWarning: 'loud' as never })).rejects.toThrow(
      /^Autoencoder.fit: onWarning .*function/,
    );
  });
});
