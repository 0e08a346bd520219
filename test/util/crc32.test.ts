import * as zlib from 'node:zlib';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/util/crc32.js';
import { argError, describeValue } from '../../src/util/errors.js';

const ascii = (s: string) => new TextEncoder().encode(s);

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

// gzip stores the CRC-32 of the uncompressed input, little-endian, 8 bytes from the end.
function gzipTrailerCrc(data: Uint8Array): number {
  const gz = gzipSync(data);
  return new DataView(gz.buffer, gz.byteOffset + gz.length - 8, 4).getUint32(0, true);
}

const samples = [
  new Uint8Array(0),
  ascii('a'),
  ascii('The quick brown fox jumps over the lazy dog'),
  new Uint8Array(1000).fill(0xff),
  pseudoRandomBytes(4097, 42),
];

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('returns an unsigned 32-bit number', () => {
    const c = crc32(ascii('123456789'));
    expect(c).toBeGreaterThan(0x7fffffff);
    expect(Number.isInteger(c)).toBe(true);
  });

  it('agrees with the CRC in fflate gzip trailers', () => {
    for (const data of samples) expect(crc32(data)).toBe(gzipTrailerCrc(data));
  });

  const nodeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  it.runIf(typeof nodeCrc32 === 'function')('agrees with zlib.crc32', () => {
    for (const data of samples) expect(crc32(data)).toBe(nodeCrc32!(data));
  });

  it('continues a running checksum through seed', () => {
    const data = pseudoRandomBytes(1000, 7);
    const whole = crc32(data);
    expect(crc32(data.subarray(300), crc32(data.subarray(0, 300)))).toBe(whole);
  });

  it('rejects bad arguments', () => {
    expect(() => crc32([1, 2, 3] as unknown as Uint8Array)).toThrow(
      /crc32: bytes must be a Uint8Array, got Array\(3\)/,
    );
    expect(() => crc32(new Uint8Array(1), -1)).toThrow(/crc32: seed must be .*got -1/);
    expect(() => crc32(new Uint8Array(1), 0.5)).toThrow(/seed/);
  });
});

describe('describeValue / argError', () => {
  it('describes values briefly', () => {
    expect(describeValue(new Float32Array(100))).toBe('Float32Array(100)');
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue('foo')).toBe("'foo'");
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(-3)).toBe('-3');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue([1, 2])).toBe('Array(2)');
    expect(describeValue({})).toBe('object');
    expect(describeValue(new Map())).toBe('Map object');
    expect(describeValue(new ArrayBuffer(8))).toBe('ArrayBuffer(8)');
    expect(describeValue(new DataView(new ArrayBuffer(8)))).toBe('DataView(8)');
    expect(describeValue('x'.repeat(100)).length).toBeLessThan(50);
  });

  it('builds a consistent message', () => {
    const e = argError('f', 'n', 'a positive integer', -3);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('f: n must be a positive integer, got -3');
  });
});
