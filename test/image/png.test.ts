import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { imageGrid, labelledPanels } from '../../src/image/grid.js';
import { comparisonPng, encodePng } from '../../src/image/png.js';
import { crc32 } from '../../src/util/crc32.js';

describe('encodePng', () => {
  it('round-trips grey pixels through fast-png decode', () => {
    const width = 13;
    const height = 7;
    const data = Uint8Array.from({ length: width * height }, (_, i) => (i * 37) % 256);
    const png = encodePng({ data, width, height });
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const decoded = decode(png);
    expect(decoded.width).toBe(width);
    expect(decoded.height).toBe(height);
    expect(decoded.channels).toBe(1);
    expect(decoded.depth).toBe(8);
    expect(Array.from(decoded.data)).toEqual(Array.from(data));
  });

  it('writes chunk CRCs that our crc32 agrees with', () => {
    const png = encodePng({ data: new Uint8Array(4), width: 2, height: 2 });
    // IHDR: length (4) + type (4) + 13 data bytes, then its CRC over type and data
    const view = new DataView(png.buffer, png.byteOffset);
    expect(view.getUint32(8)).toBe(13);
    expect(crc32(png.subarray(12, 12 + 4 + 13))).toBe(view.getUint32(12 + 4 + 13));
  });

  it('rejects bad images', () => {
    expect(() => encodePng({ data: new Uint8Array(3), width: 2, height: 2 })).toThrow(
      'encodePng: img.data must be a Uint8Array of width × height × channels = 2 × 2 × 1 = 4 bytes, got Uint8Array(3)',
    );
    expect(() => encodePng({ data: new Uint8Array(4), width: 2, height: 2, channels: 3 })).toThrow(
      'encodePng: img.data must be a Uint8Array of width × height × channels = 2 × 2 × 3 = 12 bytes, got Uint8Array(4)',
    );
    expect(() => encodePng({ data: new Uint8Array(8), width: 2, height: 2, channels: 2 as never })).toThrow(
      'encodePng: img.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2',
    );
    expect(() => encodePng({ data: new Uint8Array(0), width: 0, height: 2 })).toThrow(
      /img\.width must be a positive integer, got 0/,
    );
    expect(() => encodePng(undefined as never)).toThrow(
      'encodePng: img must be an image object { data, width, height, channels? }, got undefined',
    );
  });
});

describe('comparisonPng', () => {
  const count = 7;
  const side = 28;
  const originals = Float32Array.from({ length: count * side * side }, (_, i) => (i % 97) / 96);
  const reconstructions = Uint8Array.from({ length: count * side * side }, (_, i) => i % 256);

  it('draws originals beside reconstructions at the expected size', () => {
    const png = comparisonPng(originals, reconstructions, { count, width: side, height: side });
    const decoded = decode(png);
    // Same layout computed from the building blocks with the documented defaults.
    const grid = imageGrid(originals, { count, width: side, height: side, cols: 5, scale: 2 });
    expect(grid.width).toBe(5 * 56 + 6);
    expect(grid.height).toBe(2 * 56 + 3);
    const figure = labelledPanels(
      [
        { title: 'originals', image: grid },
        { title: 'reconstructions', image: grid },
      ],
      { titleScale: 2 },
    );
    expect(decoded.width).toBe(figure.width);
    expect(decoded.height).toBe(figure.height);
    expect(decoded.channels).toBe(1);
  });

  it('honours cols, scale and titles', () => {
    const png = comparisonPng(originals, reconstructions, {
      count,
      width: side,
      height: side,
      cols: 7,
      scale: 1,
      titles: ['in', 'out'],
    });
    const decoded = decode(png);
    const gridWidth = 7 * 28 + 8;
    expect(decoded.width).toBe(8 + gridWidth + 8 + gridWidth + 8);
    expect(decoded.height).toBe(8 + 7 + 2 + (28 + 2) + 8);
  });

  it('rejects bad arguments', () => {
    const opts = { count, width: side, height: side };
    expect(() => comparisonPng(originals, reconstructions.subarray(10), opts)).toThrow(
      'comparisonPng: reconstructions must be count × width × height × channels = 7 × 28 × 28 × 1 = 5488 values, got Uint8Array(5478)',
    );
    expect(() => comparisonPng(new Float64Array(5488) as never, reconstructions, opts)).toThrow(
      /comparisonPng: originals must be a Float32Array or Uint8Array, got Float64Array\(5488\)/,
    );
    expect(() => comparisonPng(originals, reconstructions, { ...opts, count: 0 })).toThrow(
      /opts\.count must be a positive integer, got 0/,
    );
    expect(() => comparisonPng(originals, reconstructions, { ...opts, titles: ['a'] as never })).toThrow(
      /opts\.titles must be a pair of strings, got Array\(1\)/,
    );
  });
});
