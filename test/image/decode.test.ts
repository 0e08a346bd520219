// decodeImage: PNG and JPEG bytes → pixels, checked against what fast-png encoded and what
// jpeg-js decodes on its own; channel conversions against a plain formula here; hostile sizes
// refused from the header; and the entry's import graph free of node: modules.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, MAX_IMAGE_VALUES } from '../../src/entries/image.js';

const bytes = (n: number, f: (i: number) => number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff);
const w = 7,
  h = 5,
  n = w * h;

describe('decodeImage: PNG', () => {
  it('gives each colour type its own channels by default (alpha dropped), the pixels as encoded', () => {
    const grey = bytes(n, (i) => i * 7);
    const rgb = bytes(3 * n, (i) => i * 11 + 1);
    const rgba = bytes(4 * n, (i) => i * 13 + 2);
    const ga = bytes(2 * n, (i) => i * 17 + 3);
    expect(decodeImage(encodePng({ width: w, height: h, data: grey, channels: 1, depth: 8 }))).toEqual({
      width: w,
      height: h,
      channels: 1,
      data: grey,
    });
    expect(decodeImage(encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 }))).toEqual({
      width: w,
      height: h,
      channels: 3,
      data: rgb,
    });
    expect(decodeImage(encodePng({ width: w, height: h, data: rgba, channels: 4, depth: 8 }))).toEqual({
      width: w,
      height: h,
      channels: 3,
      data: rgba.filter((_, i) => i % 4 !== 3),
    });
    expect(decodeImage(encodePng({ width: w, height: h, data: ga, channels: 2, depth: 8 }))).toEqual({
      width: w,
      height: h,
      channels: 1,
      data: ga.filter((_, i) => i % 2 === 0),
    });
    const grey16 = Uint16Array.from({ length: n }, (_, i) => i * 1871);
    expect(decodeImage(encodePng({ width: w, height: h, data: grey16, channels: 1, depth: 16 })).data).toEqual(
      Uint8Array.from(grey16, (v) => Math.round(v / 257)),
    );
    const palette = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [9, 8, 7],
    ];
    const indices = bytes(n, (i) => i % 4);
    expect(decodeImage(encodePng({ width: w, height: h, data: indices, channels: 1, depth: 8, palette }))).toEqual({
      width: w,
      height: h,
      channels: 3,
      data: Uint8Array.from([...indices].flatMap((k) => palette[k])),
    });
  });

  it('converts to the channels asked for: BT.601 luma, grey repeated, alpha kept or 255', () => {
    const rgba = bytes(4 * n, (i) => i * 29 + 5);
    const png = encodePng({ width: w, height: h, data: rgba, channels: 4, depth: 8 });
    const luma = (r: number, g: number, b: number): number => Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    const pixel = (p: number): number[] => Array.from(rgba.subarray(4 * p, 4 * p + 4));
    expect(decodeImage(png, { channels: 4 }).data).toEqual(rgba);
    expect(Array.from(decodeImage(png, { channels: 1 }).data)).toEqual(
      Array.from({ length: n }, (_, p) => luma(...(pixel(p).slice(0, 3) as [number, number, number]))),
    );
    const grey = bytes(n, (i) => i * 7);
    const greyPng = encodePng({ width: w, height: h, data: grey, channels: 1, depth: 8 });
    expect(Array.from(decodeImage(greyPng, { channels: 3 }).data)).toEqual([...grey].flatMap((v) => [v, v, v]));
    expect(Array.from(decodeImage(greyPng, { channels: 4 }).data)).toEqual([...grey].flatMap((v) => [v, v, v, 255]));
    const ga = bytes(2 * n, (i) => i * 17 + 3);
    const gaPng = encodePng({ width: w, height: h, data: ga, channels: 2, depth: 8 });
    expect(Array.from(decodeImage(gaPng, { channels: 4 }).data)).toEqual(
      Array.from({ length: n }, (_, p) => [ga[2 * p], ga[2 * p], ga[2 * p], ga[2 * p + 1]]).flat(),
    );
    expect(decodeImage(gaPng, { channels: 4 }).channels).toBe(4);
  });

  it('refuses a header that claims more values than MAX_IMAGE_VALUES, counting the channels asked for', () => {
    const side = Math.sqrt(MAX_IMAGE_VALUES); // 256
    const grey = encodePng({
      width: side,
      height: side,
      data: new Uint8Array(MAX_IMAGE_VALUES),
      channels: 1,
      depth: 8,
    });
    expect(decodeImage(grey).data.length).toBe(MAX_IMAGE_VALUES);
    expect(() => decodeImage(grey, { channels: 3, name: 'big.png' })).toThrow(
      'decodeImage: big.png is 256×256 RGB: 196,608 values, more than the 65,536 an image may have (height × width × channels); not decoded',
    );
    // A tiny file whose IHDR claims 20000×20000: refused before anything is inflated.
    const png = encodePng({ width: 1, height: 1, data: new Uint8Array(1), channels: 1, depth: 8 });
    const view = new DataView(png.buffer, png.byteOffset);
    view.setUint32(16, 20000);
    view.setUint32(20, 20000);
    expect(() => decodeImage(png)).toThrow(
      /^decodeImage: bytes is 20000×20000 grey: 400,000,000 values, more than the 65,536/,
    );
  });

  it('refuses image data that inflates past what the header allows, and broken files, naming them', () => {
    const png = encodePng({ width: 2, height: 2, data: new Uint8Array(4), channels: 1, depth: 8 });
    expect(() => decodeImage(png.subarray(0, 40), { name: 'cut.png' })).toThrow(
      /^decodeImage: cut\.png is not a readable PNG image \(truncated/,
    );
    expect(() => decodeImage(new TextEncoder().encode('hello'), { name: 'a.txt' })).toThrow(
      'decodeImage: a.txt is not a PNG or JPEG image (its first bytes are neither signature)',
    );
  });

  it('refuses bad arguments', () => {
    expect(() => decodeImage([1, 2] as never)).toThrow('decodeImage: bytes must be a Uint8Array, got Array(2)');
    expect(() => decodeImage(new Uint8Array(8), { channels: 2 as never })).toThrow(
      'decodeImage: options.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2',
    );
    expect(() => decodeImage(new Uint8Array(8), { chanels: 3 } as never)).toThrow(
      /^decodeImage: unknown option chanels/,
    );
  });
});

describe('decodeImage: JPEG', () => {
  it('gives the pixels jpeg-js decodes itself, RGB or grey from luma', () => {
    const width = 16,
      height = 8;
    const rgba = bytes(4 * width * height, (i) => (i % 4 === 3 ? 255 : Math.floor(i / 4) * 9 + (i % 4) * 80));
    const file = new Uint8Array(jpeg.encode({ data: rgba, width, height }, 90).data);
    const reference = jpeg.decode(file, { useTArray: true, formatAsRGBA: false });
    const rgb = decodeImage(file);
    expect(rgb).toMatchObject({ width, height, channels: 3 });
    expect(rgb.data).toEqual(reference.data);
    const grey = decodeImage(file, { channels: 1 });
    expect(Array.from(grey.data)).toEqual(
      Array.from({ length: width * height }, (_, p) =>
        Math.round(
          0.299 * reference.data[3 * p] + 0.587 * reference.data[3 * p + 1] + 0.114 * reference.data[3 * p + 2],
        ),
      ),
    );
  });

  it('refuses a frame header that claims too many values before decoding', () => {
    const file = new Uint8Array(jpeg.encode({ data: new Uint8Array(4 * 64), width: 8, height: 8 }, 90).data);
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    const sof = file.findIndex((b, i) => b === 0xff && file[i + 1] === 0xc0);
    file[sof + 5] = 0x4e;
    file[sof + 6] = 0x20; // height 20000
    expect(() => decodeImage(file, { name: 'huge.jpg' })).toThrow(
      /^decodeImage: huge\.jpg is 8×20000 RGB: 480,000 values/,
    );
  });
});

describe('the image entry', () => {
  it('imports no node: module, directly or through anything it reaches', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('node:')) nodeImports.push(`${file}: ${spec}`);
        else if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(root, 'entries', 'image.ts'));
    expect(seen.size).toBeGreaterThan(5);
    expect(nodeImports).toEqual([]);
    // The Node entry does reach node:fs (the check above can see one).
    seen.clear();
    visit(join(root, 'entries', 'image-node.ts'));
    expect(nodeImports.some((s) => s.endsWith('node:fs/promises'))).toBe(true);
  });
});
