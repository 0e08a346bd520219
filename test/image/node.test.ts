// loadImages: a folder of PNG and JPEG files → rows in natural name order, each row the pixels
// written into the file (PNG) or what jpeg-js decodes (JPEG); errors that name the file.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, imageFiles, loadImages } from '../../src/entries/image-node.js';

const W = 6,
  H = 4;
let dir: string;
const pixels = (seed: number, c: number): Uint8Array =>
  Uint8Array.from({ length: W * H * c }, (_, i) => (seed * 41 + i * 13) & 0xff);
const png = (data: Uint8Array, channels: 1 | 3 | 4, width = W): Uint8Array =>
  encodePng({ width, height: H, data, channels, depth: 8 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wae-load-images-'));
  await mkdir(join(dir, 'grey'));
  // Natural order: 2 before 10; a subfolder, a hidden file and a text file are not read.
  for (const k of [10, 2, 1]) await writeFile(join(dir, 'grey', `img${k}.png`), png(pixels(k, 1), 1));
  await mkdir(join(dir, 'grey', 'sub.png'));
  await writeFile(join(dir, 'grey', '.hidden.png'), 'not an image');
  await writeFile(join(dir, 'grey', 'notes.txt'), 'not an image');

  await mkdir(join(dir, 'mixed'));
  await writeFile(join(dir, 'mixed', 'a.png'), png(pixels(1, 4), 4));
  await writeFile(
    join(dir, 'mixed', 'b.jpg'),
    new Uint8Array(jpeg.encode({ data: pixels(2, 4), width: W, height: H }, 95).data),
  );
  await writeFile(join(dir, 'mixed', 'c.png'), png(pixels(3, 1), 1));

  await mkdir(join(dir, 'sizes'));
  await writeFile(join(dir, 'sizes', 'a.png'), png(pixels(1, 1), 1));
  await writeFile(join(dir, 'sizes', 'b.png'), png(new Uint8Array((W + 1) * H), 1, W + 1));

  await mkdir(join(dir, 'broken'));
  await writeFile(join(dir, 'broken', 'a.png'), png(pixels(1, 1), 1));
  await writeFile(join(dir, 'broken', 'b.png'), png(pixels(2, 1), 1).subarray(0, 45));

  await mkdir(join(dir, 'empty'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadImages', () => {
  it('reads a folder in natural name order into one array of rows', async () => {
    expect(await imageFiles(join(dir, 'grey'))).toEqual(['img1.png', 'img2.png', 'img10.png']);
    const set = await loadImages(join(dir, 'grey'));
    expect(set).toMatchObject({
      names: ['img1.png', 'img2.png', 'img10.png'],
      count: 3,
      width: W,
      height: H,
      channels: 1,
    });
    expect(Array.from(set.images)).toEqual([...pixels(1, 1), ...pixels(2, 1), ...pixels(10, 1)]);
    const two = await loadImages(join(dir, 'grey'), { limit: 2 });
    expect(two.names).toEqual(['img1.png', 'img2.png']);
    expect(two.images).toEqual(set.images.subarray(0, 2 * W * H));
  });

  it('converts PNG and JPEG files of different channels to the channels asked for', async () => {
    const set = await loadImages(join(dir, 'mixed'), { channels: 3 });
    expect(set).toMatchObject({ names: ['a.png', 'b.jpg', 'c.png'], count: 3, channels: 3 });
    const rgba = pixels(1, 4),
      grey = pixels(3, 1);
    const jpegPixels = jpeg.decode(new Uint8Array(jpeg.encode({ data: pixels(2, 4), width: W, height: H }, 95).data), {
      useTArray: true,
      formatAsRGBA: false,
    }).data;
    expect(Array.from(set.images)).toEqual([
      ...rgba.filter((_, i) => i % 4 !== 3),
      ...jpegPixels,
      ...[...grey].flatMap((v) => [v, v, v]),
    ]);
    // Without channels, the first image's (RGB, alpha dropped) must be every image's.
    await expect(loadImages(join(dir, 'mixed'))).rejects.toThrow(
      `loadImages: ${join(dir, 'mixed', 'c.png')} is 6×4 grey but ${join(dir, 'mixed', 'a.png')} (the first image) is 6×4 RGB; ` +
        'all images of a folder must have the same width, height and channels (or pass options.channels)',
    );
    const rows = await loadImages(join(dir, 'mixed'), { channels: 4 });
    expect(rows.images.subarray(0, W * H * 4)).toEqual(rgba);
    expect(decodeImage(png(rgba, 4), { channels: 4 }).data).toEqual(rgba);
  });

  it('names the file that does not fit or cannot be read', async () => {
    await expect(loadImages(join(dir, 'sizes'), { channels: 1 })).rejects.toThrow(
      `loadImages: ${join(dir, 'sizes', 'b.png')} is 7×4 but ${join(dir, 'sizes', 'a.png')} (the first image) is 6×4; all images of a folder must have the same width, height`,
    );
    await expect(loadImages(join(dir, 'broken'))).rejects.toThrow(
      new RegExp(
        `^loadImages: ${join(dir, 'broken', 'b.png').replace(/[.\\/]/g, '\\$&')} is not a readable PNG image \\(truncated`,
      ),
    );
    await expect(loadImages(join(dir, 'empty'))).rejects.toThrow(
      `loadImages: folder ${join(dir, 'empty')} holds no .png, .jpg or .jpeg images`,
    );
    await expect(loadImages(join(dir, 'nowhere'))).rejects.toThrow(
      new RegExp(`^loadImages: cannot read folder ${join(dir, 'nowhere').replace(/[.\\/]/g, '\\$&')}: ENOENT`),
    );
  });

  it('refuses bad arguments', async () => {
    await expect(loadImages('')).rejects.toThrow(
      "loadImages: folder must be a folder path (a non-empty string), got ''",
    );
    await expect(loadImages(dir, { channels: 2 as never })).rejects.toThrow(
      'loadImages: options.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2',
    );
    await expect(loadImages(dir, { limit: 0 })).rejects.toThrow(
      'loadImages: options.limit must be a positive integer, got 0',
    );
    await expect(loadImages(dir, { limt: 1 } as never)).rejects.toThrow(/^loadImages: unknown option limt/);
  });
});
