// getWeights / setWeights per layer: names as summary() prints them, Keras layouts (checked
// against a plain matrix product), transplants between models, and bad input.
import { describe, it, expect } from 'vitest';
import { Autoencoder } from '../../src/entries/index.js';

const x = Float32Array.from({ length: 3 * 16 }, (_, i) => ((i * 37) % 101) / 100);

describe('getWeights / setWeights', () => {
  it("name the layers as summary() does, in Keras's shapes; a dense kernel is [inputs, units] (a plain x·W + b gives the code)", async () => {
    const ae = await Autoencoder.create({ inputShape: [4, 4, 1], encoder: [], latent: 3, threads: 1, kernels: 'simd' });
    const layers = ae.getWeights();
    expect(layers.map((L) => L.name)).toEqual(['code', 'decoder/dense_1']);
    for (const L of layers) expect(ae.summary()).toContain(L.name);
    expect(layers.map((L) => L.kernelShape)).toEqual([
      [16, 3],
      [3, 16],
    ]);
    const { kernel, bias } = layers[0];
    const code = ae.encode(x);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 3; j++) {
        let z = bias[j];
        for (let i = 0; i < 16; i++) z += x[r * 16 + i] * kernel[i * 3 + j];
        expect(code[r * 3 + j]).toBeCloseTo(z, 5);
      }
    }
    const conv = await Autoencoder.create({
      inputShape: [8, 8, 1],
      encoder: [{ type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 }],
      latent: 2,
      threads: 1,
    });
    expect(conv.getWeights().map((L) => [L.name, L.kernelShape.join('×'), L.bias.length])).toEqual([
      ['encoder/conv2d_1', '3×3×1×4', 4],
      ['code', '64×2', 2],
      ['decoder/dense_1', '2×64', 64],
      ['decoder/conv2dTranspose_1', '3×3×1×4', 1],
    ]);
    await Promise.all([ae.dispose(), conv.dispose()]);
  });

  it('transplant: all layers give the donor’s outputs bit for bit; the encoder alone gives its codes and not its images', async () => {
    const options = { inputShape: [4, 4, 1], encoder: [8], latent: 3, threads: 1, kernels: 'simd' } as const;
    const donor = await Autoencoder.create({ ...options, seed: 1 });
    await donor.fit(x, { epochs: 3, batchSize: 2 });
    const whole = await Autoencoder.create({ ...options, seed: 2 });
    whole.setWeights(donor.getWeights());
    expect(whole.reconstruct(x)).toEqual(donor.reconstruct(x));
    const half = await Autoencoder.create({ ...options, seed: 2 });
    half.setWeights(donor.getWeights().filter((L) => !L.name.startsWith('decoder/')));
    expect(half.encode(x)).toEqual(donor.encode(x));
    expect(half.reconstruct(x)).not.toEqual(donor.reconstruct(x));
    // What getWeights gives are copies: changing them changes nothing.
    donor.getWeights()[0].kernel.fill(0);
    expect(whole.reconstruct(x)).toEqual(donor.reconstruct(x));
    await Promise.all([donor.dispose(), whole.dispose(), half.dispose()]);
  });

  it('refuse what does not fit, naming it, and change nothing', async () => {
    const ae = await Autoencoder.create({ inputShape: [4, 4, 1], encoder: [8], latent: 3, threads: 1 });
    const before = ae.reconstruct(x);
    const [first] = ae.getWeights();
    const fn = /^Autoencoder\.setWeights: /;
    expect(() => ae.setWeights([])).toThrow(fn);
    expect(() => ae.setWeights([{ ...first, name: 'dense_9' }])).toThrow(
      /layers\[0\]\.name must be one of 'encoder\/dense_1', 'code', 'decoder\/dense_2', 'decoder\/dense_3', got 'dense_9'/,
    );
    expect(() => ae.setWeights([first, first])).toThrow(/layers\[1\] names 'encoder\/dense_1' again/);
    expect(() => ae.setWeights([{ ...first, kernel: new Float32Array(5) }])).toThrow(
      /layers\[0\]\.kernel must be a Float32Array of 128 values \(encoder\/dense_1\), got Float32Array\(5\)/,
    );
    expect(() => ae.setWeights([{ ...first, kernelShape: [8, 16] }])).toThrow(
      /layers\[0\]\.kernelShape must be \[16, 8\]/,
    );
    const nan = first.bias.slice();
    nan[2] = NaN;
    expect(() => ae.setWeights([ae.getWeights()[1], { ...first, bias: nan }])).toThrow(
      /layers\[1\]\.bias must hold finite values, got NaN at index 2/,
    );
    expect(() => ae.setWeights([{ ...first, scale: 1 } as never])).toThrow(/unknown option layers\[0\]\.scale/);
    expect(ae.reconstruct(x)).toEqual(before);
    await ae.dispose();
  });
});
