// The command line against hostile inputs and outputs (build first: `npm run build`): outputs
// that are not regular files, files of dead writes, images whose headers claim huge sizes,
// options that would do nothing, code files whose headers claim more than they hold.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDeflate, deflateSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { Autoencoder } from '../../dist/entries/index.js';
import { checkWritable, readBytes, writeAtomic } from '../../dist/cli/files.js';
import { decodeImageFile as decodeImage } from '../../dist/cli/images.js';
import { expectOneLineError, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'entries', 'cli.js');
const SIZE = 8;
const COUNT = 12;
/** What a refused image may add to the peak memory of the process that refuses it. */
const MAX_RSS_GROWTH_KB = 100 * 1024;

type Result = CliResult;

let dir: string;
let socketServer: Server | undefined;

function spawnNode(args: string[]): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: dir });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

function run(args: string[]): Promise<Result> {
  return spawnNode([CLI, ...args]);
}

/** The command line in a process that reports its peak memory (measure.mjs, written in beforeAll). */
async function runMeasured(args: string[]): Promise<Result> {
  const r = await spawnNode([join(dir, 'measure.mjs'), ...args]);
  const m = /^maxrss (\d+)\n/m.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return { ...r, stderr: r.stderr.replace(m![0], ''), maxRss: Number(m![1]) };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface PngFormat {
  width: number;
  height: number;
  depth?: number;
  colorType?: number;
  interlace?: 0 | 1;
}

/** A PNG with this IHDR (8-bit grey unless told), these compressed image bytes, and chunks before them. */
function pngFile(
  { width, height, depth = 8, colorType = 0, interlace = 0 }: PngFormat,
  idat: Uint8Array,
  before: Uint8Array[] = [],
): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  ihdr[12] = interlace;
  return concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    ...before,
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

function greyPng(width: number, height: number, idat: Uint8Array, before: Uint8Array[] = []): Uint8Array {
  return pngFile({ width, height }, idat, before);
}

/** Rows of bytes as unfiltered scanlines (filter byte 0), zlib-compressed. */
function scanlines(rows: number[][]): Uint8Array {
  return new Uint8Array(deflateSync(Uint8Array.from(rows.flatMap((row) => [0, ...row]))));
}

/** `total` zero bytes as a zlib stream, compressed as it goes (about 1 KB per MB). */
async function deflatedZeros(total: number): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const ended = once(deflate, 'end');
  const zeros = Buffer.alloc(1 << 20);
  for (let left = total; left > 0; left -= zeros.length) {
    if (!deflate.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await once(deflate, 'drain');
  }
  deflate.end();
  await ended;
  return new Uint8Array(Buffer.concat(parts));
}

/** A real JPEG whose frame header (SOF0) is patched to claim another size. */
function jpegClaiming(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(SIZE * SIZE * 4).map((_, k) => (k % 4 === 3 ? 255 : (k * 7) & 255));
  const bytes = new Uint8Array(jpeg.encode({ width: SIZE, height: SIZE, data: rgba }, 90).data);
  let sof = -1;
  for (let i = 2; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) {
      sof = i;
      break;
    }
  }
  expect(sof).toBeGreaterThan(0);
  const view = new DataView(bytes.buffer);
  view.setUint16(sof + 5, height);
  view.setUint16(sof + 7, width);
  return bytes;
}

/** A pid that was alive a moment ago and is not any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  expect(() => process.kill(child.pid!, 0)).toThrow(/ESRCH/);
  return child.pid!;
}

function temporaries(folder: string): string[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.tmp'))
    .sort();
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  dir = await mkdtemp(join(tmpdir(), 'wae-hostile-'));
  await writeFile(
    join(dir, 'measure.mjs'),
    `import { main } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'cli', 'main.js')).href)};\n` +
      'const code = await main(process.argv.slice(2));\n' +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the child script's own template literal
      'process.stderr.write(`maxrss ${process.resourceUsage().maxRSS}\\n`);\n' +
      'process.exit(code);\n',
  );
  await mkdir(join(dir, 'imgs'));
  for (let i = 0; i < COUNT; i++) {
    const data = new Uint8Array(SIZE * SIZE).map((_, p) => ((p * (i + 3)) % 17) * 15);
    await writeFile(
      join(dir, 'imgs', `${i}.png`),
      encodePng({ width: SIZE, height: SIZE, data, channels: 1, depth: 8 }),
    );
  }
  const trained = await run([
    'train',
    '--images',
    'imgs',
    '--threads',
    '1',
    '--epochs',
    '1',
    '--batch-size',
    '4',
    '--encoder',
    '8',
    '--latent',
    '2',
    '--out',
    'm.wae',
  ]);
  expect(trained.code, trained.stderr).toBe(0);
});

afterAll(async () => {
  if (socketServer) await new Promise((done) => socketServer!.close(done));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('outputs that are not regular files', () => {
  it('--out refuses a symlink, a FIFO, a socket and a device node before training, and leaves each as it was', async () => {
    await writeFile(join(dir, 'kept.wae'), 'kept');
    await symlink('kept.wae', join(dir, 'link.wae'));
    expect(spawnSync('mkfifo', [join(dir, 'fifo.wae')]).status).toBe(0);
    socketServer = createServer();
    socketServer.listen(join(dir, 'socket.wae'));
    await once(socketServer, 'listening');
    // A device node can only be made as root (the null device: 1, 3); the /dev/null check below needs no root.
    const device = spawnSync('mknod', [join(dir, 'null.wae'), 'c', '1', '3']).status === 0;
    const targets: [string, string, (s: Stats) => boolean][] = [
      ['link.wae', 'a symbolic link', (s) => s.isSymbolicLink()],
      ['fifo.wae', 'a FIFO', (s) => s.isFIFO()],
      ['socket.wae', 'a socket', (s) => s.isSocket()],
    ];
    if (device) targets.push(['null.wae', 'a character device', (s) => s.isCharacterDevice()]);
    const results = await Promise.all(
      targets.map(([name]) => run(['train', '--images', 'imgs', '--threads', '1', '--epochs', '1', '--out', name])),
    );
    targets.forEach(([name, kind, isKind], i) => {
      expectOneLineError(results[i], 1, new RegExp(`cannot write --out ${name.replace('.', '\\.')}: it is ${kind}`));
      expect(results[i].stdout).toBe('');
      expect(isKind(lstatSync(join(dir, name))), name).toBe(true);
    });
    expect(await readFile(join(dir, 'kept.wae'), 'utf8')).toBe('kept');
    expect(temporaries(dir)).toEqual([]);
  });

  it('encode --out, decode --idx and reconstruct --idx refuse them too', async () => {
    await writeFile(join(dir, 'kept2.txt'), 'kept');
    await symlink('kept2.txt', join(dir, 'link2.waez'));
    await symlink('kept2.txt', join(dir, 'link3.idx'));
    expect(spawnSync('mkfifo', [join(dir, 'fifo2.idx')]).status).toBe(0);
    await writeFile(join(dir, 'codes-ok.waez'), new Uint8Array(0));
    const [encoded, decoded, reconstructed] = await Promise.all([
      run(['encode', '--model', 'm.wae', '--images', 'imgs', '--threads', '1', '--out', 'link2.waez']),
      run([
        'decode',
        '--model',
        'm.wae',
        '--codes',
        'codes-ok.waez',
        '--threads',
        '1',
        '--out',
        'dec.png',
        '--idx',
        'fifo2.idx',
      ]),
      run([
        'reconstruct',
        '--model',
        'm.wae',
        '--images',
        'imgs',
        '--threads',
        '1',
        '--out',
        'rec.png',
        '--idx',
        'link3.idx',
      ]),
    ]);
    expectOneLineError(encoded, 1, /cannot write --out link2\.waez: it is a symbolic link/);
    expectOneLineError(decoded, 1, /cannot write --idx fifo2\.idx: it is a FIFO/);
    expectOneLineError(reconstructed, 1, /cannot write --idx link3\.idx: it is a symbolic link/);
    expect(lstatSync(join(dir, 'link2.waez')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'fifo2.idx')).isFIFO()).toBe(true);
    expect(existsSync(join(dir, 'dec.png')) || existsSync(join(dir, 'rec.png'))).toBe(false);
  });

  it('refuses outputs in /proc, /sys and /dev up front, also through a symlinked folder', async () => {
    const r = await run(['train', '--images', 'imgs', '--threads', '1', '--epochs', '1', '--out', '/proc/self/comm']);
    expectOneLineError(r, 1, /cannot write --out \/proc\/self\/comm: it is in \/proc, /);
    await symlink('/proc/self', join(dir, 'procdir'));
    const cases: [string, RegExp][] = [
      ['/proc/self/fd/1', /--out \/proc\/self\/fd\/1: it is in \/proc, /],
      ['/proc/self/comm', /--out \/proc\/self\/comm: it is in \/proc, /],
      [join(dir, 'procdir', 'comm'), /procdir\/comm: it is in \/proc, /],
      ['/sys/kernel/new-file', /--out \/sys\/kernel\/new-file: it is in \/sys, /],
      ['/dev/null', /--out \/dev\/null: it is in \/dev, /],
    ];
    for (const [path, message] of cases) await expect(checkWritable(path, '--out'), path).rejects.toThrow(message);
    await expect(checkWritable(join(dir, 'fresh.wae'), '--out')).resolves.toBeUndefined();
  });

  it('a write refuses a target that became a symlink after the check, and leaves the link', async () => {
    await writeFile(join(dir, 'real.txt'), 'real');
    await checkWritable(join(dir, 'late.txt'), '--out');
    await symlink('real.txt', join(dir, 'late.txt'));
    await expect(writeAtomic(join(dir, 'late.txt'), 'new')).rejects.toThrow(/late\.txt: it is a symbolic link/);
    expect(lstatSync(join(dir, 'late.txt')).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'real.txt'), 'utf8')).toBe('real');
    expect(temporaries(dir)).toEqual([]);
  });
});

describe('temporary files', () => {
  it('a write removes the temporary files of dead writes to the same target, and only those', async () => {
    const folder = join(dir, 'stale');
    await mkdir(folder);
    const dead = deadPid();
    const stale = `.codes.waez.${dead}.0123abcd.tmp`;
    const live = `.codes.waez.${process.pid}.89abcdef.tmp`;
    const other = `.other.waez.${dead}.0badf00d.tmp`;
    for (const name of [stale, live, other]) {
      await writeFile(join(folder, name), new Uint8Array(1000));
      const hourAgo = new Date(Date.now() - 3600_000);
      await utimes(join(folder, name), hourAgo, hourAgo);
    }
    const r = await run([
      'encode',
      '--model',
      'm.wae',
      '--images',
      'imgs',
      '--threads',
      '1',
      '--out',
      join('stale', 'codes.waez'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(temporaries(folder)).toEqual([live, other].sort());
    const codes = await readFile(join(folder, 'codes.waez'));
    expect(codes.subarray(0, 4).toString('latin1')).toBe('WAEZ');
    expect(codes.readUInt32LE(8)).toBe(COUNT);
    expect(codes.readUInt16LE(6)).toBe(2);
    expect(codes.length).toBe(32 + 4 * COUNT * 2 + 4);
  });

  it('SIGTERM during a write removes the temporary file and leaves the old file as it was', async () => {
    const folder = join(dir, 'term');
    await mkdir(folder);
    const target = join(folder, 'big.bin');
    await writeFile(target, 'old');
    // Kills itself as soon as the temporary file is there, while 64 MB are still being written.
    await writeFile(
      join(dir, 'term.mjs'),
      `import { readdirSync } from 'node:fs';\n` +
        `import { writeAtomic } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'cli', 'files.js')).href)};\n` +
        `const folder = ${JSON.stringify(folder)};\n` +
        `const written = writeAtomic(${JSON.stringify(target)}, new Uint8Array(64 << 20).fill(7));\n` +
        `const poll = () => readdirSync(folder).some((f) => f.endsWith('.tmp')) ? process.kill(process.pid, 'SIGTERM') : setImmediate(poll);\n` +
        'poll();\n' +
        'await written;\n' +
        "process.stdout.write('finished\\n');\n",
    );
    const r = await spawnNode([join(dir, 'term.mjs')]);
    expect(r.signal, `${r.stdout}${r.stderr}`).toBe('SIGTERM');
    expect(temporaries(folder)).toEqual([]);
    expect(await readFile(target, 'utf8')).toBe('old');
  });
});

describe('images whose headers claim huge sizes are refused before they are decoded', () => {
  let baseline: Result;

  beforeAll(async () => {
    const zeros = await deflatedZeros(20000 * (1 + 20000)); // 20000 rows of a filter byte and 20000 grey pixels
    await writeFile(join(dir, 'huge.png'), greyPng(20000, 20000, zeros));
    await writeFile(join(dir, 'inflates.png'), greyPng(SIZE, SIZE, zeros));
    const iccp = concat([new TextEncoder().encode('icc'), new Uint8Array([0, 0]), zeros]);
    const rows = new Uint8Array(SIZE * (1 + SIZE)).map((_, k) => (k % (SIZE + 1) === 0 ? 0 : (k * 29) & 255));
    await writeFile(
      join(dir, 'profile.png'),
      greyPng(SIZE, SIZE, new Uint8Array(deflateSync(rows)), [pngChunk('iCCP', iccp)]),
    );
    await writeFile(join(dir, 'huge.jpg'), jpegClaiming(20000, 20000));
    await writeFile(join(dir, 'big.jpg'), jpegClaiming(9000, 9000));
    await mkdir(join(dir, 'with-huge'));
    await writeFile(join(dir, 'with-huge', '0.png'), await readFile(join(dir, 'imgs', '0.png')));
    await writeFile(join(dir, 'with-huge', '1.png'), await readFile(join(dir, 'huge.png')));
    baseline = await runMeasured([
      'reconstruct',
      '--model',
      'm.wae',
      '--images',
      join('imgs', '0.png'),
      '--threads',
      '1',
      '--out',
      'base.png',
    ]);
    expect(baseline.code, baseline.stderr).toBe(0);
  });

  it('a 400 KB PNG claiming 20000×20000: one line naming the file and the size, little memory', async () => {
    const started = Date.now();
    const r = await runMeasured([
      'reconstruct',
      '--model',
      'm.wae',
      '--images',
      'huge.png',
      '--threads',
      '1',
      '--out',
      'huge-rec.png',
    ]);
    expectOneLineError(
      r,
      1,
      /huge\.png is 20000×20000 grey: 400,000,000 values, more than the 65,536 an image may have/,
    );
    expect(r.maxRss! - baseline.maxRss!).toBeLessThan(MAX_RSS_GROWTH_KB);
    expect(Date.now() - started).toBeLessThan(20_000);
    const [trained, folder] = await Promise.all([
      run(['train', '--images', 'huge.png', '--threads', '1', '--epochs', '1', '--out', 'huge.wae']),
      run(['train', '--images', 'with-huge', '--threads', '1', '--epochs', '1', '--out', 'huge.wae']),
    ]);
    expectOneLineError(trained, 1, /huge\.png is 20000×20000 grey: 400,000,000 values/);
    expectOneLineError(folder, 1, /with-huge[/\\]1\.png is 20000×20000 grey: 400,000,000 values/);
  });

  it('a PNG whose 8×8 image data inflates to 400 MB is refused with little memory', async () => {
    const r = await runMeasured([
      'reconstruct',
      '--model',
      'm.wae',
      '--images',
      'inflates.png',
      '--threads',
      '1',
      '--out',
      'inflates-rec.png',
    ]);
    expectOneLineError(
      r,
      1,
      /inflates\.png is not a readable PNG image \(its image data inflates to more than the 72 bytes its 8×8 size allows\)/,
    );
    expect(r.maxRss! - baseline.maxRss!).toBeLessThan(MAX_RSS_GROWTH_KB);
  });

  it('a PNG with a colour profile that inflates to 400 MB is read without the profile, with little memory', async () => {
    const r = await runMeasured([
      'reconstruct',
      '--model',
      'm.wae',
      '--images',
      'profile.png',
      '--threads',
      '1',
      '--out',
      'profile-rec.png',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/over 1 images of profile\.png/);
    expect(r.maxRss! - baseline.maxRss!).toBeLessThan(MAX_RSS_GROWTH_KB);
  });

  it('JPEGs whose frame header claims 20000×20000 or 9000×9000: refused from the header, little memory', async () => {
    const [huge, big] = await Promise.all([
      runMeasured([
        'reconstruct',
        '--model',
        'm.wae',
        '--images',
        'huge.jpg',
        '--threads',
        '1',
        '--out',
        'huge-jpg.png',
      ]),
      runMeasured(['reconstruct', '--model', 'm.wae', '--images', 'big.jpg', '--threads', '1', '--out', 'big-jpg.png']),
    ]);
    expectOneLineError(
      huge,
      1,
      /huge\.jpg is 20000×20000 RGB: 1,200,000,000 values, more than the 65,536 an image may have/,
    );
    expectOneLineError(big, 1, /big\.jpg is 9000×9000 RGB: 243,000,000 values, more than the 65,536/);
    expect(huge.maxRss! - baseline.maxRss!).toBeLessThan(MAX_RSS_GROWTH_KB);
    expect(big.maxRss! - baseline.maxRss!).toBeLessThan(MAX_RSS_GROWTH_KB);
  });
});

describe('ordinary PNGs still decode after the header checks', () => {
  it('Adam7-interlaced grey, 1-bit grey, 16-bit RGB, grey+alpha and palette images', () => {
    const width = 11,
      height = 7;
    const grey = Array.from({ length: width * height }, (_, p) => (p * 37) & 255);
    const at = (x: number, y: number): number => grey[y * width + x];
    const passes: number[][] = [];
    for (const [x0, y0, dx, dy] of [
      [0, 0, 8, 8],
      [4, 0, 8, 8],
      [0, 4, 4, 8],
      [2, 0, 4, 4],
      [0, 2, 2, 4],
      [1, 0, 2, 2],
      [0, 1, 1, 2],
    ]) {
      if (x0 >= width) continue;
      for (let y = y0; y < height; y += dy) {
        const row: number[] = [];
        for (let x = x0; x < width; x += dx) row.push(at(x, y));
        passes.push(row);
      }
    }
    const adam7 = decodeImage(pngFile({ width, height, interlace: 1 }, scanlines(passes)), 'adam7.png');
    expect(adam7).toMatchObject({ width, height, channels: 1 });
    expect(Array.from(adam7.data)).toEqual(grey);

    const bits = Array.from({ length: height }, (_, y) =>
      Array.from({ length: width }, (_, x): number => ((x + y) % 3 === 0 ? 1 : 0)),
    );
    const packed = bits.map((row) =>
      [0, 1].map((b) => row.slice(8 * b, 8 * b + 8).reduce((byte, bit, i) => byte | (bit << (7 - i)), 0)),
    );
    const oneBit = decodeImage(pngFile({ width, height, depth: 1 }, scanlines(packed)), 'bits.png');
    expect(Array.from(oneBit.data)).toEqual(bits.flat().map((b) => b * 255));

    const wide = Array.from({ length: height }, (_, y) =>
      Array.from({ length: width * 3 }, (_, i) => (y * 977 + i * 4099) & 0xffff),
    );
    const rgb16 = decodeImage(
      pngFile(
        { width, height, depth: 16, colorType: 2 },
        scanlines(wide.map((row) => row.flatMap((v) => [v >> 8, v & 255]))),
      ),
      'rgb16.png',
    );
    expect(rgb16).toMatchObject({ width, height, channels: 3 });
    expect(Array.from(rgb16.data)).toEqual(wide.flat().map((v) => Math.round(v / 257)));

    const greyAlpha = decodeImage(
      pngFile(
        { width, height, colorType: 4 },
        scanlines(
          Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => [at(x, y), 99]).flat()),
        ),
      ),
      'ga.png',
    );
    expect(greyAlpha).toMatchObject({ width, height, channels: 1 });
    expect(Array.from(greyAlpha.data)).toEqual(grey);

    const palette = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const indices = Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => (x * y) % 3));
    const indexed = decodeImage(
      pngFile({ width, height, colorType: 3 }, scanlines(indices), [pngChunk('PLTE', Uint8Array.from(palette.flat()))]),
      'palette.png',
    );
    expect(indexed).toMatchObject({ width, height, channels: 3 });
    expect(Array.from(indexed.data)).toEqual(indices.flat().flatMap((i) => palette[i]));
  });
});

describe('optimizer options that would do nothing', () => {
  it('are refused, naming the option and the optimizer, before any image is read', async () => {
    const train = (...args: string[]): Promise<Result> =>
      run(['train', '--images', 'nowhere', '--threads', '1', ...args]);
    const [beta1, momentum, decay, nesterov, epsilon, bareNesterov] = await Promise.all([
      train('--optimizer', 'sgd', '--beta1', '0.5'),
      train('--momentum', '0.9'),
      train('--optimizer', 'adam', '--weight-decay', '0.01'),
      train('--optimizer', 'adamw', '--nesterov'),
      train('--optimizer', 'sgd', '--epsilon', '1e-8'),
      train('--optimizer', 'sgd', '--nesterov'),
    ]);
    expectOneLineError(beta1, 2, /--beta1 does not apply to --optimizer sgd: it is for adam and adamw/);
    expectOneLineError(momentum, 2, /--momentum does not apply to --optimizer adam \(the default\): it is for sgd/);
    expectOneLineError(decay, 2, /--weight-decay does not apply to --optimizer adam: it is for adamw/);
    expectOneLineError(nesterov, 2, /--nesterov does not apply to --optimizer adamw: it is for sgd/);
    expectOneLineError(epsilon, 2, /--epsilon does not apply to --optimizer sgd: it is for adam and adamw/);
    expectOneLineError(bareNesterov, 2, /--nesterov needs --momentum above 0/);
  });

  it('the options of the optimizer chosen still train', async () => {
    const [sgd, adamw] = await Promise.all([
      run([
        'train',
        '--images',
        'imgs',
        '--threads',
        '1',
        '--epochs',
        '1',
        '--optimizer',
        'sgd',
        '--momentum',
        '0.9',
        '--nesterov',
        '--out',
        'sgd.wae',
      ]),
      run([
        'train',
        '--images',
        'imgs',
        '--threads',
        '1',
        '--epochs',
        '1',
        '--optimizer',
        'adamw',
        '--beta1',
        '0.8',
        '--weight-decay',
        '0.01',
        '--out',
        'adamw.wae',
      ]),
    ]);
    expect(sgd.code, sgd.stderr).toBe(0);
    expect(adamw.code, adamw.stderr).toBe(0);
  });
});

describe('code files whose headers claim more than they hold', () => {
  /** A code stream's header (src/io/codeStream.ts: version 2, f32 codes) claiming `count` codes of
   *  `latent` values, with only `valueBytes` bytes after it and a valid CRC-32. */
  function claimingStream(count: number, latent: number, valueBytes: number, modelId: string): Uint8Array {
    const out = new Uint8Array(32 + valueBytes + 4);
    const view = new DataView(out.buffer);
    out.set([0x57, 0x41, 0x45, 0x5a]); // WAEZ
    out[4] = 2;
    out[5] = 32;
    view.setUint16(6, latent, true);
    view.setUint32(8, count, true);
    out.set(new TextEncoder().encode(modelId), 12);
    view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  }

  it('are refused from the file length, quickly, naming the file and the claim', async () => {
    const model = await Autoencoder.load(new Uint8Array(await readFile(join(dir, 'm.wae'))), { threads: 1 });
    const id = model.modelId();
    await model.dispose();
    await writeFile(join(dir, 'claims-2e31.waez'), claimingStream(2 ** 31, 2, 4, id));
    await writeFile(join(dir, 'claims-max.waez'), claimingStream(0xffffffff, 0xffff, 64, id));
    await writeFile(join(dir, 'claims-latent.json'), '{ "latent": 1099511627776, "codes": [[0.5]] }');
    await writeFile(join(dir, 'ragged.json'), '{ "latent": 2, "codes": [[0.5, 0.25], [1]] }');
    const started = Date.now();
    const [count, both, latent, ragged] = await Promise.all(
      ['claims-2e31.waez', 'claims-max.waez', 'claims-latent.json', 'ragged.json'].map((codes) =>
        run(['decode', '--model', 'm.wae', '--codes', codes, '--threads', '1', '--out', 'never.png']),
      ),
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    const bytesFor = (n: number, l: number): string => String(32n + 4n * BigInt(n) * BigInt(l) + 4n);
    expectOneLineError(
      count,
      1,
      new RegExp(
        `cannot decode claims-2e31\\.waez with model m\\.wae: the stream should be ${bytesFor(2 ** 31, 2)} bytes for 2147483648 codes of 2×32 bits, got 40$`,
      ),
    );
    expectOneLineError(
      both,
      1,
      new RegExp(
        `claims-max\\.waez with model m\\.wae: the stream should be ${bytesFor(0xffffffff, 0xffff)} bytes for 4294967295 codes of 65535×32 bits, got 100$`,
      ),
    );
    expectOneLineError(
      latent,
      1,
      /claims-latent\.json: codes\[0\] must be an array of 1099511627776 numbers, got 1 values/,
    );
    expectOneLineError(ragged, 1, /ragged\.json: codes\[1\] must be an array of 2 numbers, got 1 values/);
    expect(existsSync(join(dir, 'never.png'))).toBe(false);
  });
});

describe('inputs are read up to a limit', () => {
  it('a device that never ends (/dev/zero) is refused once it passes the limit; a larger regular file before reading', async () => {
    const started = process.memoryUsage().rss;
    await expect(readBytes('/dev/zero', 'model file', 8 << 20)).rejects.toThrow(
      /^cannot read model file \/dev\/zero: it is longer than that, more than the 8,388,608 bytes this reads/,
    );
    expect(process.memoryUsage().rss - started).toBeLessThan(64 << 20);
    const dir = await mkdtemp(join(tmpdir(), 'wae-read-'));
    const big = join(dir, 'big.wae');
    await writeFile(big, new Uint8Array(1 << 20));
    await expect(readBytes(big, 'model file', 1000)).rejects.toThrow(
      /big\.wae: it is 1,048,576 bytes, more than the 1,000 bytes this reads/,
    );
    expect((await readBytes(big, 'model file')).length).toBe(1 << 20);
    await rm(dir, { recursive: true });
  });
});
