// The protobuf writer against the encodings the protobuf documentation spells out byte by byte.
import { describe, it, expect } from 'vitest';
import { ProtoWriter } from '../../src/io/protobuf.js';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('ProtoWriter', () => {
  it('writes varints, negative int64s, strings, packed varints and floats as the documentation does', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('08 96 01');
    expect(hex(new ProtoWriter().int(1, -1).finish())).toBe('08 ff ff ff ff ff ff ff ff ff 01');
    expect(hex(new ProtoWriter().int(1, 2 ** 40).finish())).toBe('08 80 80 80 80 80 20');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('12 07 74 65 73 74 69 6e 67');
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('22 06 03 8e 02 9e a7 05');
    expect(hex(new ProtoWriter().float(1, 1.5).packedFloats(2, [1.5]).finish())).toBe(
      '0d 00 00 c0 3f 12 04 00 00 c0 3f',
    );
    expect(new ProtoWriter().packedInts(4, []).finish().length).toBe(0);
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow(/^protobuf: /);
  });

  it('nests messages with their length, however deep, and keeps the field order', () => {
    const inner = new ProtoWriter().int(1, 150);
    const middle = new ProtoWriter().message(3, inner).bytes(4, new Uint8Array([1, 2]));
    const outer = new ProtoWriter().string(1, 'a').message(2, middle).int(5, 1);
    expect(hex(outer.finish())).toBe('0a 01 61 12 09 1a 03 08 96 01 22 02 01 02 28 01');
    expect(outer.length).toBe(16);
  });
});
