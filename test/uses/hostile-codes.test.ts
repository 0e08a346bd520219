// decompress() on streams from outside: counts that claim too much, fields that do not fit the
// model, cuts and bit flips. Streams are written here from the format in src/io/codeStream.ts, with
// their own CRC-32, so that a crafted stream passes the checksum and only the field checks stop it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder } from '../../src/entries/index.js';
import { errorOf, noise as pixels } from '../helpers/bytes.js';

const MB = 1e6;
const IMAGE = 28 * 28;
const MAX_VALUES = 2 ** 28;

/** CRC-32/ISO-HDLC, bit by bit: the gzip and PNG checksum, written apart from the library's. */
function referenceCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface Fields {
  count: number;
  latent: number;
  bits: number;
  modelId: string;
  version?: number;
  flags?: number;
  reserved?: number;
  offsets?: number[];
  steps?: number[];
  /** The packed codes; zeros of the size count, latent and bits imply when left out. */
  packed?: Uint8Array;
  labels?: Uint8Array;
}

/** A stream in the documented layout, its CRC-32 computed over whatever the fields say. */
function buildStream(f: Fields): Uint8Array {
  const L = f.latent;
  // f32 codes (bits 32) have no offset/step table.
  const table = f.bits === 32 ? 0 : 8 * L;
  const packed = f.packed ?? new Uint8Array(Math.ceil((f.count * L * f.bits) / 8));
  const labels = f.labels ?? new Uint8Array(0);
  const out = new Uint8Array(32 + table + packed.length + labels.length + 4);
  const view = new DataView(out.buffer);
  out.set([0x57, 0x41, 0x45, 0x5a], 0); // 'WAEZ'
  out[4] = f.version ?? 2;
  out[5] = f.bits;
  view.setUint16(6, L, true);
  view.setUint32(8, f.count, true);
  for (let i = 0; i < 16; i++) out[12 + i] = f.modelId.charCodeAt(i);
  out[28] = f.flags ?? (f.labels ? 1 : 0);
  out[30] = f.reserved ?? 0;
  for (let j = 0; j < table / 8; j++) {
    view.setFloat32(32 + 4 * j, f.offsets?.[j] ?? 0, true);
    view.setFloat32(32 + 4 * (L + j), f.steps?.[j] ?? 1, true);
  }
  out.set(packed, 32 + table);
  out.set(labels, 32 + table + packed.length);
  view.setUint32(out.length - 4, referenceCrc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** `n` little-endian f32 values 0.25, but `value` at index `at`. */
function f32Bytes(n: number, at: number, value: number): Uint8Array {
  const out = new Uint8Array(4 * n);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setFloat32(4 * i, i === at ? value : 0.25, true);
  return out;
}

/** The codes of a stream, read from the documented layout: value = offset + q · step, MSB first. */
function readCodes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = bytes[5],
    L = view.getUint16(6, true),
    count = view.getUint32(8, true);
  const codes = new Float32Array(count * L);
  if (bits === 32) {
    for (let k = 0; k < count * L; k++) codes[k] = view.getFloat32(32 + 4 * k, true);
    return codes;
  }
  for (let k = 0; k < count * L; k++) {
    let q = 0;
    for (let b = 0; b < bits; b++) {
      const bit = (32 + 8 * L) * 8 + k * bits + b;
      q = q * 2 + ((bytes[Math.floor(bit / 8)] >> (7 - (bit % 8))) & 1);
    }
    const j = k % L;
    codes[k] = view.getFloat32(32 + 4 * j, true) + q * view.getFloat32(32 + 4 * (L + j), true);
  }
  return codes;
}

function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The error, the time and the RSS growth of a call that should fail. */
function measureFailure(run: () => unknown): { error: Error; ms: number; growth: number } {
  const rss = process.memoryUsage().rss;
  const started = performance.now();
  const error = errorOf(run);
  return { error, ms: performance.now() - started, growth: process.memoryUsage().rss - rss };
}

let model: Autoencoder;
let conditional: Autoencoder;
beforeAll(async () => {
  model = await Autoencoder.create({ inputShape: [28, 28, 1], encoder: [32], latent: 8, threads: 1, seed: 1 });
  conditional = await Autoencoder.create({
    inputShape: [28, 28, 1],
    encoder: [32],
    latent: 8,
    threads: 1,
    seed: 2,
    conditional: { classes: 3 },
  });
});
afterAll(async () => {
  await model.dispose();
  await conditional.dispose();
});

describe('decompress on counts that claim too much', () => {
  it('rejects a count of 2^31 with 500 KB of codes at once, allocating nothing', () => {
    const bytes = buildStream({
      count: 2 ** 31,
      latent: 8,
      bits: 8,
      modelId: model.modelId(),
      packed: new Uint8Array(500_000),
    });
    const { error, ms, growth } = measureFailure(() => model.decompress(bytes));
    expect(error.constructor).toBe(Error);
    expect(error.message).toMatch(
      /^Autoencoder\.decompress: the stream should be 17179869284 bytes for 2147483648 codes of 8×8 bits, got 500100$/,
    );
    expect(ms).toBeLessThan(1000);
    expect(growth).toBeLessThan(100 * MB);
  });

  it('refuses 500,000 honest 8 × 1-bit codes in 500 KB (1.6 GB of images) before allocating', () => {
    const bytes = buildStream({ count: 500_000, latent: 8, bits: 1, modelId: model.modelId() });
    expect(bytes.length).toBe(500_100);
    const { error, ms, growth } = measureFailure(() => model.decompress(bytes));
    expect(error.message).toBe(
      `Autoencoder.decompress: the stream holds 500000 images of ${IMAGE} values, more than the ${MAX_VALUES} values one stream decompresses to`,
    );
    // Before the check: 2.9 GB and 5 s.
    expect(ms).toBeLessThan(1000);
    expect(growth).toBeLessThan(100 * MB);
  });

  it('compress refuses to write what decompress would refuse', () => {
    // Zeros that are never touched: the check comes before the encoder reads them.
    const count = Math.floor(MAX_VALUES / IMAGE) + 1;
    expect(() => model.compress(new Uint8Array(count * IMAGE))).toThrow(
      `Autoencoder.compress: images hold ${count} images of ${IMAGE} values, more than the ${MAX_VALUES} values one stream decompresses to; compress them in parts`,
    );
  });

  it('compress refuses a latent size the stream cannot hold rather than write a wrong one', async () => {
    // The field is 16 bits: 65536 would be written as 0.
    const wide = await Autoencoder.create({ inputShape: [2, 2, 1], encoder: [2], latent: 65536, threads: 1 });
    try {
      expect(() => wide.compress(new Uint8Array(4))).toThrow(
        "Autoencoder.compress: the stream format holds codes of at most 65535 dimensions, this model's have 65536",
      );
    } finally {
      await wide.dispose();
    }
  });
});

describe('decompress on fields that do not fit the model', () => {
  const id = (): string => model.modelId();
  // Models are made in beforeAll, after this list: it names them.
  const cases: [string, () => Uint8Array, 'plain' | 'conditional', RegExp][] = [
    [
      '0 images',
      () => buildStream({ count: 0, latent: 8, bits: 4, modelId: id() }),
      'plain',
      /header is corrupted \(bits 4, latent 8, count 0,/,
    ],
    [
      '0 bits',
      () => buildStream({ count: 2, latent: 8, bits: 0, modelId: id() }),
      'plain',
      /header is corrupted \(bits 0,/,
    ],
    [
      '9 bits',
      () => buildStream({ count: 2, latent: 8, bits: 9, modelId: id() }),
      'plain',
      /header is corrupted \(bits 9,/,
    ],
    [
      'latent 0',
      () => buildStream({ count: 2, latent: 0, bits: 4, modelId: id() }),
      'plain',
      /header is corrupted \(bits 4, latent 0[,)]/,
    ],
    [
      'version 3',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: id(), version: 3 }),
      'plain',
      /stream format version 3 is not supported \(this library reads versions 1 and 2\)/,
    ],
    [
      '16 bits',
      () => buildStream({ count: 2, latent: 8, bits: 16, modelId: id() }),
      'plain',
      /header is corrupted \(bits 16,/,
    ],
    [
      'f32 codes in a version 1 stream',
      () => buildStream({ count: 2, latent: 8, bits: 32, modelId: id(), version: 1 }),
      'plain',
      /header is corrupted \(bits 32, f32 codes, in a version 1 stream/,
    ],
    [
      'a NaN among f32 codes',
      () => buildStream({ count: 2, latent: 8, bits: 32, modelId: id(), packed: f32Bytes(16, 11, NaN) }),
      'plain',
      /code 1 has a value that is not finite \(NaN\) in dimension 3$/,
    ],
    [
      'an infinite f32 code',
      () => buildStream({ count: 2, latent: 8, bits: 32, modelId: id(), packed: f32Bytes(16, 0, -Infinity) }),
      'plain',
      /code 0 has a value that is not finite \(-Infinity\) in dimension 0$/,
    ],
    [
      'an old encode file',
      () => {
        const s = buildStream({ count: 2, latent: 8, bits: 4, modelId: id() });
        s.set([0x57, 0x41, 0x45, 0x43]);
        return s;
      },
      'plain',
      /a code file of wasm-autoencoder 0\.1's encode \(magic 'WAEC'\), a format no longer read/,
    ],
    [
      'unknown flags',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: id(), flags: 2 }),
      'plain',
      /header is corrupted \(.*flags 2,/,
    ],
    [
      'reserved bytes',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: id(), reserved: 1 }),
      'plain',
      /header is corrupted \(.*reserved bytes not zero\)/,
    ],
    [
      'another model',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: '0123456789abcdef' }),
      'plain',
      /compressed by another model \(model id 0123456789abcdef, this model is [0-9a-f]{16}\)/,
    ],
    [
      '4-dimensional codes',
      () => buildStream({ count: 2, latent: 4, bits: 4, modelId: id() }),
      'plain',
      /the stream has 4-dimensional codes, this model 8$/,
    ],
    [
      'a NaN offset',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: id(), offsets: [0, NaN] }),
      'plain',
      /dimension 1: offset NaN, step 1 do not give finite codes/,
    ],
    [
      'an infinite step',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: id(), steps: [Infinity] }),
      'plain',
      /dimension 0: offset 0, step Infinity/,
    ],
    [
      'codes past the f32 range',
      () => buildStream({ count: 2, latent: 8, bits: 1, modelId: id(), offsets: [0, 0, 3e38], steps: [1, 1, 3e38] }),
      'plain',
      /dimension 2: offset 3\.0000000054977558e\+38/,
    ],
    [
      'labels for a model without classes',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: id(), labels: Uint8Array.of(0, 1) }),
      'plain',
      /the stream has labels, and this model is not conditional$/,
    ],
    [
      'no labels for a conditional model',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: conditional.modelId() }),
      'conditional',
      /the stream has no labels, and this conditional model needs one per image$/,
    ],
    [
      'a label past the classes',
      () => buildStream({ count: 2, latent: 8, bits: 4, modelId: conditional.modelId(), labels: Uint8Array.of(2, 3) }),
      'conditional',
      /the stream's label 3 of image 1 is not a class of this model \(0 to 2\)$/,
    ],
  ];
  for (const [what, make, which, message] of cases) {
    it(`rejects ${what} with a valid CRC-32`, () => {
      const target = which === 'conditional' ? conditional : model;
      const error = errorOf(() => target.decompress(make()));
      expect(error.constructor).toBe(Error);
      expect(error.message).toMatch(/^Autoencoder\.decompress: /);
      expect(error.message).toMatch(message);
    });
  }
});

describe('decompress on damaged streams', () => {
  let small: Uint8Array;
  beforeAll(() => {
    small = model.compress(pixels(2 * IMAGE, 3), { bits: 3 });
  });

  it('rejects every cut and an extra byte', () => {
    for (let length = 0; length < small.length; length++) {
      const error = errorOf(() => model.decompress(small.subarray(0, length)));
      expect(error.constructor).toBe(Error);
      expect(error.message).toMatch(/^Autoencoder\.decompress: /);
    }
    expect(() => model.decompress(small.subarray(0, small.length - 1))).toThrow(
      `Autoencoder.decompress: the stream should be ${small.length} bytes for 2 codes of 8×3 bits, got ${small.length - 1}`,
    );
    const longer = new Uint8Array(small.length + 1);
    longer.set(small);
    expect(() => model.decompress(longer)).toThrow(/^Autoencoder\.decompress: the stream should be/);
  });

  it('rejects every single-bit flip, with an Error that names decompress', () => {
    // CRC-32 catches every single-bit error, so nothing may decode.
    for (let bit = 0; bit < small.length * 8; bit++) {
      const flipped = small.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const error = errorOf(() => model.decompress(flipped));
      expect(error.constructor).toBe(Error);
      expect(error.message).toMatch(/^Autoencoder\.decompress: /);
    }
  });
});

describe('decompress on honest streams', () => {
  it('returns what the decoder makes of the codes the documented layout holds', () => {
    const images = pixels(5 * IMAGE, 4);
    for (const bits of [1, 3, 8]) {
      const bytes = model.compress(images, { bits });
      expect(bytes.length).toBe(32 + 8 * 8 + Math.ceil((5 * 8 * bits) / 8) + 4);
      const out = model.decompress(bytes);
      expect(out.count).toBe(5);
      expect(out.labels).toBeUndefined();
      expect(sameFloats(out.images, model.decode(readCodes(bytes)))).toBe(true);
    }
  });

  it("bits 32 keeps the codes exactly: decompress gives reconstruct's bits, version 1 streams still read", () => {
    const images = pixels(5 * IMAGE, 6);
    const bytes = model.compress(images, { bits: 32 });
    expect(bytes[4]).toBe(2);
    expect(bytes.length).toBe(32 + 5 * 8 * 4 + 4);
    expect(sameFloats(readCodes(bytes), model.encode(images))).toBe(true);
    const out = model.decompress(bytes);
    expect(sameFloats(out.images, model.reconstruct(images))).toBe(true);
    // A version-1 stream (quantized, the same layout) as the library wrote it before bits 32.
    const old = model.compress(images, { bits: 5 });
    old[4] = 1;
    new DataView(old.buffer, old.byteOffset).setUint32(
      old.length - 4,
      referenceCrc32(old.subarray(0, old.length - 4)),
      true,
    );
    expect(sameFloats(model.decompress(old).images, model.decode(readCodes(old)))).toBe(true);
  });

  it('returns the labels of a conditional model', () => {
    const images = pixels(4 * IMAGE, 5);
    const labels = Uint8Array.of(2, 0, 1, 2);
    const bytes = conditional.compress(images, { labels, bits: 6 });
    const out = conditional.decompress(bytes);
    expect(Array.from(out.labels!)).toEqual([2, 0, 1, 2]);
    expect(sameFloats(out.images, conditional.decode(readCodes(bytes), { labels }))).toBe(true);
  });
});
