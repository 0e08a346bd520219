import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encodeIdx, type IdxArray } from '../../src/data/idx.js';
import { parseIdx } from '../../src/data/parseIdx.js';
import { concat, idxHeader } from '../helpers/bytes.js';

const samples: IdxArray[] = [
  { type: 'u8', dims: [2, 3], data: Uint8Array.of(0, 1, 127, 128, 254, 255) },
  { type: 'i8', dims: [4], data: Int8Array.of(-128, -1, 0, 127) },
  { type: 'i16', dims: [2, 2], data: Int16Array.of(-32768, -2, 258, 32767) },
  { type: 'i32', dims: [3], data: Int32Array.of(-2147483648, 16909060, 2147483647) },
  { type: 'f32', dims: [1, 2, 2], data: Float32Array.of(-1.5, 0, 3.25, Infinity) },
  { type: 'f64', dims: [2], data: Float64Array.of(Math.PI, -1e300) },
];

describe('encodeIdx / parseIdx', () => {
  for (const sample of samples) {
    it(`round-trips ${sample.type}`, () => {
      const bytes = encodeIdx(sample);
      const parsed = parseIdx(bytes);
      expect(parsed.type).toBe(sample.type);
      expect(parsed.dims).toEqual(sample.dims);
      expect(parsed.data.constructor).toBe(sample.data.constructor);
      expect(Array.from(parsed.data)).toEqual(Array.from(sample.data));
    });

    it(`round-trips gzipped ${sample.type}`, () => {
      const parsed = parseIdx(gzipSync(encodeIdx(sample)));
      expect(parsed.dims).toEqual(sample.dims);
      expect(Array.from(parsed.data)).toEqual(Array.from(sample.data));
    });
  }

  it('writes big-endian data after the documented header', () => {
    const bytes = encodeIdx({ type: 'i16', dims: [1], data: Int16Array.of(0x0102) });
    expect(Array.from(bytes)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 1, 0x01, 0x02]);
  });

  it('returns u8 data as a view into the input without copying', () => {
    const bytes = encodeIdx(samples[0]);
    const parsed = parseIdx(bytes);
    expect(parsed.data.buffer).toBe(bytes.buffer);
    expect(parsed.data.byteOffset).toBe(12);
  });

  it('works on a subarray with an odd byte offset', () => {
    const inner = encodeIdx(samples[3]);
    const padded = concat(Uint8Array.of(9), inner);
    expect(Array.from(parseIdx(padded.subarray(1)).data)).toEqual(Array.from(samples[3].data));
  });

  it('allows a dimension of 0 (an empty array)', () => {
    const parsed = parseIdx(encodeIdx({ type: 'f32', dims: [0, 28], data: new Float32Array(0) }));
    expect(parsed.dims).toEqual([0, 28]);
    expect(parsed.data.length).toBe(0);
  });
});

describe('parseIdx errors', () => {
  const good = encodeIdx(samples[3]);

  it('rejects input shorter than the header', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0, 8), 'tiny.idx')).toThrow(
      /tiny\.idx is too short: expected at least 4 header bytes, got 3/,
    );
    expect(() => parseIdx(good.subarray(0, 6), 'short-dims.idx')).toThrow(
      /short-dims\.idx is too short: expected 8 header bytes for 1 dimension, got 6/,
    );
  });

  it('rejects truncated data', () => {
    expect(() => parseIdx(good.subarray(0, good.length - 1), 'cut.idx')).toThrow(
      /cut\.idx is truncated: dims \[3\] of i32 need 12 data bytes, got 11/,
    );
  });

  it('rejects trailing bytes', () => {
    expect(() => parseIdx(concat(good, Uint8Array.of(0)), 'long.idx')).toThrow(
      /long\.idx has trailing bytes: dims \[3\] of i32 need 12 data bytes, got 13/,
    );
  });

  it('rejects a bad magic number', () => {
    const bad = good.slice();
    bad[1] = 0x42;
    expect(() => parseIdx(bad, 'magic.idx')).toThrow(/magic\.idx has a bad magic number: expected .*got 0x00 0x42/);
    expect(() => parseIdx(new TextEncoder().encode('hello world'), 'text.idx')).toThrow(/text\.idx has a bad magic/);
  });

  it('rejects an unknown type code', () => {
    const bad = good.slice();
    bad[2] = 0x0a;
    expect(() => parseIdx(bad, 'type.idx')).toThrow(
      /type\.idx has an unknown type code: expected .*0x08 \(u8\).*got 0x0a/,
    );
  });

  it('rejects zero dimensions', () => {
    expect(() => parseIdx(idxHeader(0x08, []), 'scalar.idx')).toThrow(/scalar\.idx declares 0 dimensions/);
  });

  it('rejects corrupt gzip data', () => {
    const gz = gzipSync(encodeIdx({ type: 'u8', dims: [1000], data: new Uint8Array(1000).fill(3) }));
    expect(() => parseIdx(gz.subarray(0, gz.length - 4), 'cut.idx.gz')).toThrow(/cut\.idx\.gz is corrupt gzip data/);
    expect(() => parseIdx(Uint8Array.of(0x1f, 0x8b), 'magic-only.gz')).toThrow(/magic-only\.gz is corrupt gzip data/);
    const flippedCrc = gz.slice();
    flippedCrc[gz.length - 8] ^= 0xff;
    expect(() => parseIdx(flippedCrc, 'crc.gz')).toThrow(/crc\.gz is corrupt gzip data: trailer expects CRC-32/);
  });

  it('uses a default name', () => {
    expect(() => parseIdx(new Uint8Array(0))).toThrow(/IDX data is too short/);
  });

  it('rejects non-bytes input', () => {
    expect(() => parseIdx([0, 0, 8, 1] as unknown as Uint8Array, 'arr')).toThrow(
      /must be a Uint8Array, got Array\(4\)/,
    );
  });
});

describe('encodeIdx errors', () => {
  it('rejects mismatched data', () => {
    expect(() => encodeIdx({ type: 'u8', dims: [2, 2], data: new Uint8Array(3) })).toThrow(
      /encodeIdx: a\.data must have 4 elements for dims \[2, 2\], got Uint8Array\(3\)/,
    );
    expect(() => encodeIdx({ type: 'f32', dims: [2], data: new Float64Array(2) })).toThrow(
      /a\.data must be a Float32Array for type 'f32', got Float64Array\(2\)/,
    );
  });

  it('rejects bad dims and types', () => {
    expect(() => encodeIdx({ type: 'u8', dims: [], data: new Uint8Array(0) })).toThrow(/a\.dims must be/);
    expect(() => encodeIdx({ type: 'u8', dims: [-1], data: new Uint8Array(0) })).toThrow(
      /a\.dims\[0\] must be .*got -1/,
    );
    expect(() => encodeIdx({ type: 'u16' as 'u8', dims: [1], data: new Uint8Array(1) })).toThrow(
      /a\.type must be .*got 'u16'/,
    );
  });
});
