// Data-parallel training over worker threads: the same bits as one thread, faults that reject
// instead of hanging, no thread left behind, and the one-thread fallback.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Autoencoder } from '../../src/entries/index.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';
import { threadsUnavailable } from '../../src/parallel/spawn.js';
import { callerComputes } from '../../src/parallel/pool.js';
import { flatWeights } from '../helpers/weights.js';

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist({ trainLimit: 5000, testLimit: 1000 });
});

const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('threads', () => {
  it('2 epochs on 5,000 images give bit-identical weights and codes for 1, 2 and 4 threads', async () => {
    const results = [];
    for (const threads of [1, 2, 4]) {
      const ae = await Autoencoder.create({ kernels: 'simd', threads, seed: 11 });
      expect(ae.backend.threads).toBe(threads);
      const history = await ae.fit(mnist.train, { epochs: 2, batchSize: 256, validation: mnist.test });
      results.push({ weights: flatWeights(ae.getWeights()), codes: ae.encode(mnist.test), history, steps: ae.steps });
      await ae.dispose();
    }
    const [one, ...many] = results;
    expect(one.steps).toBe(2 * Math.ceil(5000 / 256));
    for (const r of many) {
      expect(bits(r.weights).equals(bits(one.weights))).toBe(true);
      expect(bits(r.codes).equals(bits(one.codes))).toBe(true);
      expect(r.steps).toBe(one.steps);
      expect(r.history.epochs.map((e) => [e.loss, e.valMse])).toEqual(
        one.history.epochs.map((e) => [e.loss, e.valMse]),
      );
    }
  });

  it.each([
    ['a conv model', {}],
    ['a conv VAE (variational draws keyed by row, not thread)', { variational: { beta: 0.5 }, latent: 8 }],
    ['a conditional denoising conv model', { conditional: { classes: 10 } }],
  ])('%s: bit-identical weights and codes for 1, 2 and 4 threads', async (_, extra) => {
    const conv = {
      inputShape: [28, 28, 1] as [number, number, number],
      latent: 16,
      seed: 4,
      encoder: [
        { type: 'conv2d' as const, filters: 8, kernelSize: 3, strides: 2 },
        { type: 'conv2d' as const, filters: 16, kernelSize: 3, strides: 2 },
      ],
      ...extra,
    };
    const conditional = 'conditional' in extra;
    const n = 1200;
    const data = conditional
      ? { images: mnist.train.images.subarray(0, 784 * n), labels: mnist.train.labels.subarray(0, n) }
      : mnist.train.images.subarray(0, 784 * n);
    const test = conditional
      ? { images: mnist.test.images.subarray(0, 784 * 600), labels: mnist.test.labels.subarray(0, 600) }
      : mnist.test.images.subarray(0, 784 * 600);
    const results = [];
    for (const threads of [1, 2, 4]) {
      const ae = await Autoencoder.create({ ...conv, kernels: 'simd', threads });
      expect(ae.backend.threads).toBe(threads);
      // 200 rows: chunks of 64, 64, 64, 8 spread differently over 2 and 4 threads.
      await ae.fit(data, {
        epochs: 2,
        batchSize: 200,
        ...(conditional ? { noise: { type: 'gaussian', level: 0.2 } } : {}),
      });
      results.push({ weights: flatWeights(ae.getWeights()), codes: ae.encode(test), out: ae.reconstruct(test) });
      await ae.dispose();
    }
    const [one, ...many] = results;
    for (const r of many) {
      expect(bits(r.weights).equals(bits(one.weights))).toBe(true);
      expect(bits(r.codes).equals(bits(one.codes))).toBe(true);
      expect(bits(r.out).equals(bits(one.out))).toBe(true);
    }
  });

  it('a terminated worker makes fit reject within a second, keeping the last completed step', async () => {
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 2, seed: 5 });
    // Kill the worker behind the pool's back, as a crash or the host would.
    const pool = (ae as unknown as { pool: { workers: { native: { terminate(): Promise<number> } }[] } }).pool;
    let killedAt = 0;
    const run = ae.fit(mnist.train, {
      epochs: 3,
      batchSize: 128,
      shuffle: false,
      onBatchEnd: ({ batch }) => {
        if (batch === 5 && !killedAt) {
          killedAt = performance.now();
          void pool.workers[0].native.terminate();
        }
      },
    });
    await expect(run).rejects.toThrow(/worker thread 1 failed/);
    expect(performance.now() - killedAt).toBeLessThan(1000);
    const steps = ae.steps;
    expect(steps).toBeGreaterThanOrEqual(5);
    // The weights are those of exactly `steps` steps: the same as one thread taking them.
    const reference = await Autoencoder.create({ kernels: 'simd', threads: 1, seed: 5 });
    await reference.fit(mnist.train.images.subarray(0, steps * 128 * 784), {
      epochs: 1,
      batchSize: 128,
      shuffle: false,
    });
    expect(bits(flatWeights(ae.getWeights())).equals(bits(flatWeights(reference.getWeights())))).toBe(true);
    // The same model trains again (with new workers), and so does a new one.
    await ae.fit(mnist.train.images.subarray(0, 784 * 512), { epochs: 1, batchSize: 128 });
    expect(ae.steps).toBe(steps + 4);
    const fresh = await Autoencoder.create({ kernels: 'simd', threads: 2 });
    const history = await fresh.fit(mnist.train, { epochs: 1, batchSize: 256 });
    expect(Number.isFinite(history.epochs[0].loss)).toBe(true);
    await Promise.all([ae.dispose(), fresh.dispose(), reference.dispose()]);
  });

  it('an aborted threaded fit rejects with the reason and keeps whole steps', async () => {
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 2, seed: 8 });
    const controller = new AbortController();
    const run = ae.fit(mnist.train, {
      epochs: 1,
      batchSize: 64,
      shuffle: false,
      signal: controller.signal,
      onBatchEnd: ({ batch }) => {
        if (batch === 7) controller.abort(new Error('enough'));
      },
    });
    await expect(run).rejects.toThrow('enough');
    const steps = ae.steps;
    expect(steps).toBeGreaterThanOrEqual(7);
    expect(steps).toBeLessThan(20);
    const reference = await Autoencoder.create({ kernels: 'simd', threads: 1, seed: 8 });
    await reference.fit(mnist.train.images.subarray(0, steps * 64 * 784), { epochs: 1, batchSize: 64, shuffle: false });
    expect(bits(flatWeights(ae.getWeights())).equals(bits(flatWeights(reference.getWeights())))).toBe(true);
    await ae.dispose();
  });

  it('calls that would race a running fit are refused', async () => {
    const ae = await Autoencoder.create({ kernels: 'simd', threads: 2 });
    const run = ae.fit(mnist.train, { epochs: 1, batchSize: 256 });
    expect(() => ae.encode(mnist.test)).toThrow(/encode: the model is training/);
    expect(() => ae.save()).toThrow(/save: the model is training/);
    await run;
    expect(ae.encode(mnist.test).length).toBe(1000 * 32);
    await ae.dispose();
  });

  it('a Node process ends by itself after dispose(), and also when the model is just dropped', () => {
    const index = new URL('../../dist/entries/index.js', import.meta.url).href;
    for (const end of ['await ae.dispose();', '/* no dispose */']) {
      const script = `
        import { Autoencoder } from ${JSON.stringify(index)};
        const ae = await Autoencoder.create({ threads: 2, encoder: [16], latent: 4 });
        await ae.fit(new Uint8Array(784 * 300).map((_, i) => i % 251), { epochs: 1, batchSize: 30 });
        if (ae.backend.threads !== 2) throw new Error('expected 2 threads');
        ${end}
        console.log('trained');`;
      const started = performance.now();
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('trained');
      expect(child.status).toBe(0);
      expect(performance.now() - started).toBeLessThan(15_000);
    }
  });

  it('the caller computes as thread 0 unless it is a page without Atomics.waitAsync', () => {
    expect(callerComputes()).toBe(true); // Node
    expect(callerComputes({ Atomics: {} })).toBe(true); // no document: a worker or a server runtime
    expect(callerComputes({ document: {}, Atomics: { waitAsync: () => ({}) } })).toBe(true); // Chromium, Safari
    expect(callerComputes({ document: {}, Atomics: {} })).toBe(false); // a page that could only poll
  });

  it('falls back to one thread, saying why, without SharedArrayBuffer, Worker or isolation', async () => {
    expect(threadsUnavailable({ SharedArrayBuffer: undefined, Worker: class {} })).toMatch(
      /SharedArrayBuffer is not available/,
    );
    // The web and Deno platforms need the global Worker; Node's workers come from worker_threads.
    expect(threadsUnavailable({ SharedArrayBuffer, Worker: undefined }, true)).toMatch(/no Worker/);
    expect(threadsUnavailable({ SharedArrayBuffer, Worker: undefined }, false)).toBeNull();
    expect(threadsUnavailable({ SharedArrayBuffer, Worker: undefined })).toBeNull(); // Node
    expect(threadsUnavailable({ SharedArrayBuffer, Worker: class {}, crossOriginIsolated: false })).toMatch(
      /not cross-origin isolated/,
    );
    expect(threadsUnavailable({ SharedArrayBuffer, Worker: class {}, crossOriginIsolated: true })).toBeNull();
    // And the model takes that path: hide SharedArrayBuffer from this process for one create().
    const saved = globalThis.SharedArrayBuffer;
    let ae: Autoencoder;
    try {
      (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer = undefined;
      ae = await Autoencoder.create({ kernels: 'simd', threads: 2 });
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    expect(ae.backend.threads).toBe(1);
    expect(ae.backend.note).toMatch(/one thread instead of 2: SharedArrayBuffer is not available/);
    const history = await ae.fit(mnist.train.images.subarray(0, 784 * 256), { epochs: 1, batchSize: 64 });
    expect(Number.isFinite(history.epochs[0].loss)).toBe(true);
    await ae.dispose();
  });
});
