// safetensors with PyTorch's names: PyTorch's own files (test/fixtures/pytorch) give PyTorch's
// outputs, our files round-trip bit for bit, and crafted files are refused with a clear error.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Autoencoder, type AutoencoderOptions } from '../../src/entries/index.js';
import { fromSafetensors, toSafetensors, torchModules } from '../../src/entries/safetensors.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { concat, noise } from '../helpers/bytes.js';

const runtime = { kernels: 'simd', threads: 1 } as const;
const fixture = (
  name: string,
): { bytes: Uint8Array; json: { options: AutoencoderOptions; inputs: number[][]; outputs: number[][] } } => ({
  bytes: new Uint8Array(readFileSync(new URL(`../fixtures/pytorch/${name}.safetensors`, import.meta.url))),
  json: JSON.parse(readFileSync(new URL(`../fixtures/pytorch/${name}.json`, import.meta.url), 'utf8')),
});

const DENSE: AutoencoderOptions = { inputShape: [4, 4, 1], encoder: [8], latent: 3, seed: 5 };
const CONV: AutoencoderOptions = {
  inputShape: [8, 8, 3],
  latent: 5,
  seed: 6,
  activation: 'leakyRelu',
  encoder: [
    { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 },
    { type: 'conv2d', filters: 6, kernelSize: 4, strides: 2 },
  ],
};
const VARIATIONAL: AutoencoderOptions = {
  inputShape: [6, 6, 2],
  encoder: [10],
  latent: 2,
  variational: { beta: 0.5 },
  seed: 7,
  activation: 'tanh',
};

/** A safetensors file of this header and data (the length field as given, or the header's). */
function craft(header: unknown, data: Uint8Array, length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  return concat(head, json, data);
}

/** The file's header and data, to change and craft again. */
function split(bytes: Uint8Array): {
  header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  data: Uint8Array;
} {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

async function refusal(bytes: Uint8Array, options: AutoencoderOptions = {}): Promise<string> {
  const error = await fromSafetensors(bytes, { ...options, ...runtime }).then(
    () => null,
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).toMatch(/^fromSafetensors: /);
  return error!.message;
}

describe('PyTorch files', () => {
  for (const name of ['dense', 'conv', 'conv-rgb']) {
    it(`${name}: the documented Sequential's state_dict gives PyTorch's outputs to 1e-5`, async () => {
      const { bytes, json } = fixture(name);
      const ae = await fromSafetensors(bytes, { ...json.options, ...runtime });
      const out = ae.reconstruct(new Float32Array(json.inputs.flat()));
      const expected = json.outputs.flat();
      expect(out.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
      expect(worst).toBeLessThanOrEqual(1e-5);
      ae.dispose();
    });
  }

  it('a PyTorch file without config metadata needs the options', async () => {
    expect(await refusal(fixture('dense').bytes)).toMatch(
      /no 'wasm-autoencoder\.config' metadata; give the model's create\(\) options/,
    );
  });

  it('the modules are the ones the fixture script builds', () => {
    expect(torchModules(fixture('conv').json.options).map((m) => m.python)).toEqual([
      'ZeroPad2d((0, 1, 0, 1))',
      'Conv2d(1, 4, 3, stride=2, padding=0)',
      'ReLU()',
      'Flatten()',
      'Linear(64, 3)',
      'Linear(3, 64)',
      'ReLU()',
      'Unflatten(1, (4, 4, 4))',
      'ConvTranspose2d(4, 1, 3, stride=2, padding=0, output_padding=(0, 0))',
      'ZeroPad2d((0, -1, 0, -1))',
      'Sigmoid()',
    ]);
  });
});

describe('toSafetensors → fromSafetensors', () => {
  for (const [name, options] of [
    ['dense', DENSE],
    ['conv', CONV],
    ['variational', VARIATIONAL],
  ] as const) {
    it(`${name}: the same weights and bit-identical outputs`, async () => {
      const ae = await Autoencoder.create({ ...options, ...runtime });
      // Random biases too (create() zeroes them): the file's data replaced by noise, loaded, written again.
      const { header, data } = split(toSafetensors(ae));
      const floats = new Float32Array(data.length / 4).map((_, i) => Math.sin(i * 12.9898) * 0.5);
      const bytes = craft(header, new Uint8Array(floats.buffer));
      const loaded = await fromSafetensors(bytes, runtime);
      const again = toSafetensors(loaded);
      expect(split(again).data).toEqual(new Uint8Array(floats.buffer));
      const copy = await fromSafetensors(again, runtime);
      expect(copy.getWeights()).toEqual(loaded.getWeights());
      expect(copy.config).toEqual(ae.config);
      const size = ae.config.inputShape[0] * ae.config.inputShape[1] * ae.config.inputShape[2];
      const images = noise(4 * size, 11);
      expect(copy.reconstruct(images)).toEqual(loaded.reconstruct(images));
      expect(copy.encode(images)).toEqual(loaded.encode(images));
      for (const m of [ae, loaded, copy]) m.dispose();
    });
  }

  it('the header is padded so the data starts 8-byte aligned, and the metadata values are strings', async () => {
    const ae = await Autoencoder.create({ ...CONV, ...runtime });
    const bytes = toSafetensors(ae);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const file = decodeSafetensors(bytes);
    expect(Object.values(file.metadata).every((v) => typeof v === 'string')).toBe(true);
    expect(file.tensors.map((t) => t.name)).toEqual([
      '1.weight',
      '1.bias',
      '3.weight',
      '3.bias',
      '6.weight',
      '6.bias',
      '7.weight',
      '7.bias',
      '10.weight',
      '10.bias',
      '12.weight',
      '12.bias',
    ]);
    ae.dispose();
  });

  it('a conditional model has no Sequential form', async () => {
    const ae = await Autoencoder.create({ ...DENSE, conditional: { classes: 3 }, ...runtime });
    expect(() => toSafetensors(ae)).toThrow(/^toSafetensors: a conditional model/);
    ae.dispose();
  });
});

describe('hostile files', () => {
  const { bytes, json } = fixture('dense');
  const { header, data } = split(bytes);
  const options = json.options;
  const edit = (change: (h: typeof header) => void): Uint8Array => {
    const h = structuredClone(header);
    change(h);
    return craft(h, data);
  };

  it('a header length beyond the file', async () => {
    expect(await refusal(craft(header, data, BigInt(bytes.length)), options)).toMatch(
      /truncated: its header claims \d+ bytes, only \d+ follow/,
    );
  });
  it('a header length over 100 MB, and 2^64 - 1', async () => {
    expect(await refusal(craft(header, data, 100_000_001n), options)).toMatch(
      /at most 100000000 bytes, the file says 100000001/,
    );
    expect(await refusal(craft(header, data, 2n ** 64n - 1n), options)).toMatch(/the file says 18446744073709551615/);
  });
  it('fewer than 8 bytes, and a header that is not JSON', async () => {
    expect(await refusal(new Uint8Array(5), options)).toMatch(/truncated: 5 bytes/);
    expect(
      await refusal(concat(new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]), new TextEncoder().encode('{"a')), options),
    ).toMatch(/not valid UTF-8 JSON/);
  });
  it('overlapping offsets, a gap, and data past the tensors', async () => {
    expect(
      await refusal(
        edit((h) => {
          h['0.bias'].data_offsets = [h['0.weight'].data_offsets[1] - 4, h['0.weight'].data_offsets[1] + 28];
        }),
        options,
      ),
    ).toMatch(/must start at byte \d+ .*no overlap or gap/);
    expect(await refusal(craft(header, concat(data, new Uint8Array(4))), options)).toMatch(
      /hold \d+ bytes of data, the file has \d+/,
    );
  });
  it('offsets out of range', async () => {
    expect(
      await refusal(
        edit((h) => {
          h['5.bias'].data_offsets = [0, 2 ** 40];
        }),
        options,
      ),
    ).toMatch(/data_offsets \[0, 1099511627776\], the data has/);
  });
  it('a wrong dtype', async () => {
    expect(
      await refusal(
        edit((h) => {
          h['0.weight'].dtype = 'F16';
        }),
        options,
      ),
    ).toMatch(/'0\.weight' must have dtype F32, got "F16"/);
  });
  it('a wrong shape (same size), and a shape that does not match its bytes', async () => {
    expect(
      await refusal(
        edit((h) => {
          h['0.weight'].shape = [16, 8];
        }),
        options,
      ),
    ).toMatch(/'0\.weight' must have shape \[8, 16\], got \[16, 8\]/);
    expect(
      await refusal(
        edit((h) => {
          h['0.weight'].shape = [8, 17];
        }),
        options,
      ),
    ).toMatch(/needs 544 bytes, its data_offsets span 512/);
  });
  it('a missing tensor, and an unknown one', async () => {
    const w = header['5.weight'].data_offsets,
      b = header['5.bias'].data_offsets;
    const lastTwo = data.length - (b[1] - w[0]);
    expect(w[1]).toBe(b[0]);
    expect(b[1]).toBe(data.length);
    const missing = structuredClone(header) as Record<string, unknown>;
    delete missing['5.weight'];
    (missing['5.bias'] as { data_offsets: number[] }).data_offsets = [lastTwo, lastTwo + 64];
    expect(await refusal(craft(missing, concat(data.subarray(0, lastTwo), data.subarray(b[0]))), options)).toMatch(
      /lacks tensor '5\.weight' of shape \[16, 8\]/,
    );
    const renamed = structuredClone(header) as Record<string, unknown>;
    renamed['6.weight'] = renamed['5.weight'];
    delete renamed['5.weight'];
    expect(await refusal(craft(renamed, data), options)).toMatch(/tensors this model does not \('6\.weight'\)/);
  });
  it('non-finite weights', async () => {
    const bad = data.slice();
    new DataView(bad.buffer).setFloat32(0, NaN, true);
    expect(await refusal(craft(header, bad), options)).toMatch(/weights must be finite, got NaN/);
  });
  it("options that disagree with the file's config", async () => {
    const ae = await Autoencoder.create({ ...DENSE, ...runtime });
    expect(await refusal(toSafetensors(ae), { ...DENSE, latent: 4 })).toMatch(/different model from the file's config/);
    ae.dispose();
  });
});
