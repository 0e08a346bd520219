// Grids, panels and PNGs with 3 and 4 channels, checked by decoding the PNG with fast-png and
// comparing each pixel with where the layout puts it (a plain loop over the inputs here).
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { imageGrid, labelledPanels } from '../../src/image/grid.js';
import { comparisonPng, encodePng } from '../../src/image/png.js';

/** count images of w × h × c values, each value a function of (image, pixel, channel). */
function stack(count: number, w: number, h: number, c: number): Uint8Array {
  return Uint8Array.from({ length: count * w * h * c }, (_, i) => {
    const n = Math.floor(i / (w * h * c)),
      p = Math.floor(i / c) % (w * h),
      ch = i % c;
    return (n * 61 + p * 7 + ch * 50 + 3) & 0xff;
  });
}

describe('encodePng with channels', () => {
  for (const channels of [1, 3, 4] as const) {
    it(`writes ${channels} channel(s) as colour type ${{ 1: 0, 3: 2, 4: 6 }[channels]}, pixels as given`, () => {
      const width = 5,
        height = 3;
      const data = stack(1, width, height, channels);
      const png = encodePng({ data, width, height, channels });
      expect(png[25]).toBe({ 1: 0, 3: 2, 4: 6 }[channels]); // IHDR colour type
      const back = decode(png);
      expect([back.width, back.height, back.channels, back.depth]).toEqual([width, height, channels, 8]);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    });
  }
});

describe('imageGrid with channels', () => {
  it('places RGB images with padding in every channel, scaled', () => {
    const w = 2,
      h = 2,
      c = 3,
      count = 3,
      scale = 2,
      pad = 1,
      cols = 2;
    const images = stack(count, w, h, c);
    const g = imageGrid(images, { count, width: w, height: h, cols, channels: c, scale, pad, background: 77 });
    expect(g.channels).toBe(3);
    expect(g.width).toBe(cols * w * scale + (cols + 1) * pad);
    expect(g.height).toBe(2 * h * scale + 3 * pad);
    expect(g.data.length).toBe(g.width * g.height * 3);
    const px = (x: number, y: number): number[] =>
      Array.from(g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3));
    for (let n = 0; n < count; n++) {
      const left = pad + (n % cols) * (w * scale + pad),
        top = pad + Math.floor(n / cols) * (h * scale + pad);
      for (let y = 0; y < h * scale; y++) {
        for (let x = 0; x < w * scale; x++) {
          const src = (n * w * h + Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
          expect(px(left + x, top + y)).toEqual(Array.from(images.subarray(src, src + 3)));
        }
      }
    }
    expect(px(0, 0)).toEqual([77, 77, 77]);
    expect(px(g.width - 1, g.height - 1)).toEqual([77, 77, 77]); // the empty fourth cell
  });

  it('keeps alpha in RGBA grids and makes the padding opaque', () => {
    const images = stack(2, 1, 1, 4);
    const g = imageGrid(images, { count: 2, width: 1, height: 1, cols: 2, channels: 4, pad: 1, background: 9 });
    expect([g.width, g.height]).toEqual([5, 3]);
    expect(Array.from(g.data.subarray(0, 4 * 5))).toEqual(Array(5).fill([9, 9, 9, 255]).flat()); // padding row
    expect(Array.from(g.data.subarray(4 * 5, 4 * 10))).toEqual([
      9,
      9,
      9,
      255,
      ...images.subarray(0, 4),
      9,
      9,
      9,
      255,
      ...images.subarray(4, 8),
      9,
      9,
      9,
      255,
    ]);
  });

  it('maps RGB floats in [0, 1] channel by channel', () => {
    const g = imageGrid(Float32Array.of(0, 0.5, 1, 2, -1, 0.1), {
      count: 1,
      width: 2,
      height: 1,
      cols: 1,
      channels: 3,
      pad: 0,
    });
    expect(Array.from(g.data)).toEqual([0, 128, 255, 255, 0, 26]);
  });
});

describe('labelledPanels with channels', () => {
  it('puts a grey panel beside an RGB one in an RGB figure, the grey repeated in R, G and B', () => {
    const grey = { data: Uint8Array.from({ length: 6 }, (_, i) => 40 + i), width: 3, height: 2 };
    const rgb = { data: stack(1, 2, 2, 3), width: 2, height: 2, channels: 3 as const };
    const fig = labelledPanels(
      [
        { title: 'A', image: grey },
        { title: 'B', image: rgb },
      ],
      { gap: 2, background: 0 },
    );
    expect(fig.channels).toBe(3);
    const back = decode(encodePng(fig));
    expect(back.channels).toBe(3);
    const px = (x: number, y: number): number[] =>
      Array.from(back.data.subarray((y * fig.width + x) * 3, (y * fig.width + x) * 3 + 3));
    const panelTop = 2 + 7 + 2;
    // Column widths: max(image, title width 5); images centred in them.
    const greyLeft = 2 + Math.floor((5 - 3) / 2),
      rgbLeft = 2 + 5 + 2 + Math.floor((5 - 2) / 2);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        const v = grey.data[y * 3 + x];
        expect(px(greyLeft + x, panelTop + y)).toEqual([v, v, v]);
      }
      for (let x = 0; x < 2; x++)
        expect(px(rgbLeft + x, panelTop + y)).toEqual(
          Array.from(rgb.data.subarray((y * 2 + x) * 3, (y * 2 + x) * 3 + 3)),
        );
    }
    // The titles are white in every channel, the background black.
    const title: number[][] = [];
    for (let y = 2; y < 9; y++) for (let x = 0; x < fig.width; x++) title.push(px(x, y));
    expect(title.some((p) => p.join() === '255,255,255')).toBe(true);
    expect(title.every((p) => p.join() === '255,255,255' || p.join() === '0,0,0')).toBe(true);
  });
});

describe('comparisonPng with channels', () => {
  it('draws RGB originals and reconstructions into an RGB PNG', () => {
    const count = 4,
      side = 3,
      scale = 2,
      cols = 2;
    const originals = stack(count, side, side, 3);
    const reconstructions = Float32Array.from(originals, (v) => (255 - v) / 255);
    const png = comparisonPng(originals, reconstructions, {
      count,
      width: side,
      height: side,
      channels: 3,
      cols,
      scale,
    });
    const back = decode(png);
    expect(back.channels).toBe(3);
    const gridWidth = cols * side * scale + (cols + 1);
    const columnWidth = Math.max(gridWidth, 'RECONSTRUCTIONS'.length * 12 - 2);
    const top = 8 + 14 + 4 + 1;
    const px = (x: number, y: number): number[] =>
      Array.from(back.data.subarray((y * back.width + x) * 3, (y * back.width + x) * 3 + 3));
    // The first pixel of image 3 (second row, second column) in each grid.
    const cell = (gridLeft: number): [number, number] => [gridLeft + 1 + side * scale + 1, top + side * scale + 1];
    const origLeft = 8 + Math.floor((Math.max(gridWidth, 'ORIGINALS'.length * 12 - 2) - gridWidth) / 2);
    const reconLeft =
      8 + Math.max(gridWidth, 'ORIGINALS'.length * 12 - 2) + 8 + Math.floor((columnWidth - gridWidth) / 2);
    const first = 3 * side * side * 3;
    expect(px(...cell(origLeft))).toEqual(Array.from(originals.subarray(first, first + 3)));
    expect(px(...cell(reconLeft))).toEqual(Array.from(originals.subarray(first, first + 3), (v) => 255 - v));
  });

  it('refuses RGB data described as grey', () => {
    const rgb = stack(4, 3, 3, 3);
    expect(() => comparisonPng(rgb, rgb, { count: 4, width: 3, height: 3 })).toThrow(
      'comparisonPng: originals must be count × width × height × channels = 4 × 3 × 3 × 1 = 36 values, got Uint8Array(108)',
    );
  });
});
