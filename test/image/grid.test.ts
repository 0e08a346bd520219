import { describe, expect, it } from 'vitest';
import { drawText, textHeight, textWidth } from '../../src/image/font.js';
import { imageGrid, labelledPanels, type GreyImage } from '../../src/image/grid.js';

const at = (img: GreyImage, x: number, y: number) => img.data[y * img.width + x];

function countInk(img: GreyImage, x0: number, y0: number, x1: number, y1: number, background: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (at(img, x, y) !== background) n++;
  return n;
}

describe('imageGrid', () => {
  // Three 2×2 images whose pixel values encode (image, x, y).
  const images = Uint8Array.from({ length: 12 }, (_, i) => 10 * (Math.floor(i / 4) + 1) + (i % 4));

  it('places images in rows of cols with padding between and around', () => {
    const g = imageGrid(images, { count: 3, width: 2, height: 2, cols: 2, pad: 1, background: 99 });
    expect(g.width).toBe(2 * 2 + 3);
    expect(g.height).toBe(2 * 2 + 3);
    expect(g.data.length).toBe(g.width * g.height);
    // image 0 at (1,1), image 1 at (4,1), image 2 at (1,4)
    expect([at(g, 1, 1), at(g, 2, 1), at(g, 1, 2), at(g, 2, 2)]).toEqual([10, 11, 12, 13]);
    expect([at(g, 4, 1), at(g, 5, 2)]).toEqual([20, 23]);
    expect([at(g, 1, 4), at(g, 2, 5)]).toEqual([30, 33]);
    // padding and the empty fourth cell
    expect([at(g, 0, 0), at(g, 3, 1), at(g, 1, 3), at(g, 6, 6), at(g, 4, 4), at(g, 5, 5)]).toEqual([
      99, 99, 99, 99, 99, 99,
    ]);
  });

  it('scales each pixel up by nearest neighbour', () => {
    const g = imageGrid(images.subarray(0, 4), { count: 1, width: 2, height: 2, cols: 4, pad: 0, scale: 3 });
    expect(g.width).toBe(6);
    expect(g.height).toBe(6);
    expect(at(g, 0, 0)).toBe(10);
    expect(at(g, 2, 2)).toBe(10);
    expect(at(g, 3, 0)).toBe(11);
    expect(at(g, 5, 2)).toBe(11);
    expect(at(g, 0, 3)).toBe(12);
    expect(at(g, 5, 5)).toBe(13);
  });

  it('uses min(cols, count) columns', () => {
    const g = imageGrid(images, { count: 3, width: 2, height: 2, cols: 10, pad: 2 });
    expect(g.width).toBe(3 * 2 + 4 * 2);
    expect(g.height).toBe(2 + 2 * 2);
  });

  it('maps Float32 [0,1] to 0..255 with clamping and rounding', () => {
    const floats = Float32Array.of(0, 0.5, 1, -0.2, 1.7, NaN, 0.1, 0.999);
    const g = imageGrid(floats, { count: 1, width: 8, height: 1, cols: 1, pad: 0 });
    expect(Array.from(g.data)).toEqual([0, 128, 255, 0, 255, 0, 26, 255]);
  });

  it('refuses data of another length than count × width × height × channels (RGB data drawn as grey)', () => {
    // 12 values are one 2×2 RGB image, or three grey ones: never one grey image and spare values.
    expect(() => imageGrid(images, { count: 1, width: 2, height: 2, cols: 1, pad: 0 })).toThrow(
      'imageGrid: images must be count × width × height × channels = 1 × 2 × 2 × 1 = 4 values, got Uint8Array(12)',
    );
    expect(imageGrid(images, { count: 1, width: 2, height: 2, cols: 1, pad: 0, channels: 3 }).channels).toBe(3);
  });

  it('rejects bad arguments', () => {
    const base = { count: 3, width: 2, height: 2, cols: 2 };
    expect(() => imageGrid(images, { ...base, count: 4 })).toThrow(
      'imageGrid: images must be count × width × height × channels = 4 × 2 × 2 × 1 = 16 values, got Uint8Array(12)',
    );
    expect(() => imageGrid([1, 2] as unknown as Uint8Array, base)).toThrow(
      /images must be a Float32Array or Uint8Array, got Array\(2\)/,
    );
    expect(() => imageGrid(images, { ...base, cols: 0 })).toThrow(/opts\.cols must be a positive integer, got 0/);
    expect(() => imageGrid(images, { ...base, width: 1.5 })).toThrow(
      /opts\.width must be a positive integer, got 1\.5/,
    );
    expect(() => imageGrid(images, { ...base, scale: 0 })).toThrow(/opts\.scale/);
    expect(() => imageGrid(images, { ...base, pad: -1 })).toThrow(/opts\.pad must be a non-negative integer, got -1/);
    expect(() => imageGrid(images, { ...base, background: 256 })).toThrow(
      /opts\.background must be an integer in 0\.\.255, got 256/,
    );
    expect(() => imageGrid(images, { ...base, channels: 2 as never })).toThrow(
      'imageGrid: opts.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2',
    );
  });
});

describe('font', () => {
  it('measures text', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('A')).toBe(5);
    expect(textWidth('AB')).toBe(11);
    expect(textWidth('AB', 2)).toBe(22);
    expect(textHeight(3)).toBe(21);
  });

  it('draws a glyph and clips at the edges', () => {
    const w = 7;
    const h = 9;
    const target = new Uint8Array(w * h);
    drawText(target, w, h, 1, 1, 'I', 200);
    // 'I' is 01110 / 00100 x5 / 01110
    const row = (y: number) => Array.from(target.subarray(y * w, (y + 1) * w));
    expect(row(0)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(row(1)).toEqual([0, 0, 200, 200, 200, 0, 0]);
    expect(row(2)).toEqual([0, 0, 0, 200, 0, 0, 0]);
    expect(row(7)).toEqual([0, 0, 200, 200, 200, 0, 0]);

    const small = new Uint8Array(4 * 4);
    expect(() => drawText(small, 4, 4, -3, -3, 'W%8', 255, 2)).not.toThrow();
    expect(small.some((v) => v === 255)).toBe(true);
  });

  it('draws lowercase as uppercase and unknown characters as ?', () => {
    const draw = (text: string) => {
      const t = new Uint8Array(20 * 9);
      drawText(t, 20, 9, 1, 1, text);
      return Array.from(t);
    };
    expect(draw('abc')).toEqual(draw('ABC'));
    expect(draw('~')).toEqual(draw('?'));
  });

  it('rejects bad arguments', () => {
    expect(() => drawText(new Uint8Array(10), 4, 4, 0, 0, 'A')).toThrow(
      /drawText: target must be a Uint8Array of width × height = 16 pixels, got Uint8Array\(10\)/,
    );
    expect(() => drawText(new Uint8Array(16), 4, 4, 0.5, 0, 'A')).toThrow(/drawText: x must be an integer, got 0\.5/);
    expect(() => drawText(new Uint8Array(16), 4, 4, 0, 0, 'A', 300)).toThrow(
      /value must be an integer in 0\.\.255, got 300/,
    );
    expect(() => drawText(new Uint8Array(16), 4, 4, 0, 0, 'A', 1, 0)).toThrow(
      /scale must be a positive integer, got 0/,
    );
    expect(() => textWidth(5 as unknown as string)).toThrow(/textWidth: text must be a string, got 5/);
  });
});

describe('labelledPanels', () => {
  const panelA: GreyImage = { data: new Uint8Array(20 * 10).fill(100), width: 20, height: 10 };
  const panelB: GreyImage = { data: new Uint8Array(30 * 12).fill(150), width: 30, height: 12 };

  it('places panels side by side below their titles', () => {
    const gap = 4;
    const fig = labelledPanels(
      [
        { title: 'AB', image: panelA },
        { title: 'C', image: panelB },
      ],
      { gap, titleScale: 1, background: 0 },
    );
    const panelTop = gap + 7 + 2;
    expect(fig.width).toBe(gap + 20 + gap + 30 + gap);
    expect(fig.height).toBe(panelTop + 12 + gap);
    expect(at(fig, gap, panelTop)).toBe(100);
    expect(at(fig, gap + 19, panelTop + 9)).toBe(100);
    expect(at(fig, gap + 20, panelTop)).toBe(0);
    expect(at(fig, gap, panelTop + 10)).toBe(0); // below the shorter panel
    const bLeft = gap + 20 + gap;
    expect(at(fig, bLeft, panelTop)).toBe(150);
    expect(at(fig, bLeft + 29, panelTop + 11)).toBe(150);

    // titles are white ink in the band above each panel, and nowhere else above them
    expect(countInk(fig, gap, gap, gap + 20, gap + 7, 0)).toBeGreaterThan(10);
    expect(countInk(fig, bLeft, gap, bLeft + 30, gap + 7, 0)).toBeGreaterThan(5);
    expect(countInk(fig, 0, 0, fig.width, gap, 0)).toBe(0);
    expect(countInk(fig, 0, gap + 7, fig.width, panelTop, 0)).toBe(0);
    // 'AB' (11 px) is centred over the 20 px panel, so 'A' starts 4 px in; its top row is 01110.
    const titleLeft = gap + Math.floor((20 - textWidth('AB')) / 2);
    expect(Array.from(fig.data.subarray(gap * fig.width + titleLeft, gap * fig.width + titleLeft + 5))).toEqual([
      0, 255, 255, 255, 0,
    ]);
  });

  it('widens a column for a long title and uses dark ink on a light background', () => {
    const fig = labelledPanels([{ title: 'RECONSTRUCTIONS', image: panelA }], { gap: 0, background: 255 });
    expect(fig.width).toBe(textWidth('RECONSTRUCTIONS'));
    expect(countInk(fig, 0, 0, fig.width, 7, 255)).toBeGreaterThan(50);
    expect(fig.data.subarray(0, fig.width * 7).every((v) => v === 0 || v === 255)).toBe(true);
  });

  it('rejects bad arguments', () => {
    expect(() => labelledPanels([])).toThrow(/labelledPanels: panels must be a non-empty array, got Array\(0\)/);
    expect(() => labelledPanels([{ title: 'x', image: { data: new Uint8Array(5), width: 2, height: 2 } }])).toThrow(
      'labelledPanels: panels[0].image.data must be a Uint8Array of width × height × channels = 2 × 2 × 1 = 4 bytes, got Uint8Array(5)',
    );
    expect(() =>
      labelledPanels([{ title: 'x', image: { data: new Uint8Array(4), width: 2, height: 2, channels: 3 } }]),
    ).toThrow(
      'labelledPanels: panels[0].image.data must be a Uint8Array of width × height × channels = 2 × 2 × 3 = 12 bytes, got Uint8Array(4)',
    );
    expect(() => labelledPanels([{ title: 7 as unknown as string, image: panelA }])).toThrow(
      /panels\[0\]\.title must be a string, got 7/,
    );
    expect(() => labelledPanels([{ title: 'x', image: panelA }], { gap: -2 })).toThrow(
      /opts\.gap must be a non-negative integer, got -2/,
    );
  });
});
