// The command line as a user runs it: `node dist/entries/cli.js ...` (build first: `npm run build`).
// Images are drawn here (shapes in 16×16 grey PNGs, a few RGB PNGs and a JPEG), then trained on,
// reconstructed, encoded and decoded; every error path must give one line and an exit code.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { Autoencoder } from '../../dist/entries/index.js';
import { expectOneLineError, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'entries', 'cli.js');
const SIZE = 16;
const COUNT = 120;

type Result = CliResult;

let dir: string;
/** The grey images as drawn: COUNT × 16 × 16 bytes. */
let greyPixels: Uint8Array;

function run(args: string[], cli = CLI): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** Deterministic drawings: discs, squares and crosses at varying places and sizes. */
function drawShapes(count: number): Uint8Array {
  let s = 12345;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Uint8Array(count * SIZE * SIZE);
  for (let i = 0; i < count; i++) {
    const kind = i % 3,
      cx = 4 + rnd() * 8,
      cy = 4 + rnd() * 8,
      r = 2 + rnd() * 3;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const inside =
          kind === 0
            ? (x - cx) ** 2 + (y - cy) ** 2 < r * r
            : kind === 1
              ? Math.abs(x - cx) < r && Math.abs(y - cy) < r
              : Math.abs(x - cx) < 1 || Math.abs(y - cy) < 1;
        out[i * SIZE * SIZE + y * SIZE + x] = inside ? 255 : 0;
      }
    }
  }
  return out;
}

function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** An IDX file's dims and values (u8 or f32, big-endian). */
function readIdx(bytes: Uint8Array): { dims: number[]; values: number[]; type: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const type = bytes[2],
    rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const at = 4 + 4 * rank,
    n = dims.reduce((a, b) => a * b, 1);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = type === 0x0d ? view.getFloat32(at + 4 * i, false) : bytes[at + i];
  return { dims, values, type };
}

const toByte = (v: number): number => (!(v > 0) ? 0 : v >= 1 ? 255 : Math.round(v * 255));

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  dir = await mkdtemp(join(tmpdir(), 'wae-cli-'));
  greyPixels = drawShapes(COUNT);
  await mkdir(join(dir, 'grey'));
  for (let i = 0; i < COUNT; i++) {
    const data = greyPixels.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
    await writeFile(
      join(dir, 'grey', `shape${i}.png`),
      encodePng({ width: SIZE, height: SIZE, data, channels: 1, depth: 8 }),
    );
  }
  await writeFile(join(dir, 'grey', 'notes.txt'), 'not an image: ignored');
  await writeFile(join(dir, 'grey.idx.gz'), gzipSync(idxBytes([COUNT, SIZE, SIZE], greyPixels)));
  await writeFile(join(dir, 'grey4.idx'), idxBytes([COUNT, SIZE, SIZE, 1], greyPixels));

  // RGB: PNGs (one with alpha, to be dropped) and a JPEG of the same size, 8 wide and 6 high.
  await mkdir(join(dir, 'rgb'));
  const w = 8,
    h = 6;
  for (let i = 0; i < 4; i++) {
    const channels = i === 3 ? 4 : 3;
    const data = new Uint8Array(w * h * channels);
    for (let p = 0; p < w * h; p++) {
      data[p * channels] = (p * 5 + i * 60) & 255;
      data[p * channels + 1] = (p * 3) & 255;
      data[p * channels + 2] = 255 - p;
      if (channels === 4) data[p * channels + 3] = 128;
    }
    await writeFile(join(dir, 'rgb', `colour${i}.png`), encodePng({ width: w, height: h, data, channels, depth: 8 }));
  }
  const rgba = new Uint8Array(w * h * 4).map((_, k) => (k % 4 === 3 ? 255 : (k * 11) & 255));
  await writeFile(join(dir, 'rgb', 'photo.jpg'), jpeg.encode({ width: w, height: h, data: rgba }, 90).data);

  await mkdir(join(dir, 'mixed'));
  await cp(join(dir, 'grey', 'shape0.png'), join(dir, 'mixed', 'a.png'));
  await cp(join(dir, 'grey', 'shape1.png'), join(dir, 'mixed', 'b.png'));
  await writeFile(
    join(dir, 'mixed', 'c.png'),
    encodePng({ width: 12, height: SIZE, data: new Uint8Array(12 * SIZE), channels: 1, depth: 8 }),
  );

  await mkdir(join(dir, 'corrupt'));
  await cp(join(dir, 'grey', 'shape0.png'), join(dir, 'corrupt', 'a.png'));
  const good = readFileSync(join(dir, 'grey', 'shape1.png'));
  await writeFile(join(dir, 'corrupt', 'b.png'), good.subarray(0, good.length - 30));

  const trained = await run([
    'train',
    '--images',
    'grey',
    '--threads',
    '1',
    '--epochs',
    '30',
    '--batch-size',
    '16',
    '--encoder',
    '64',
    '--latent',
    '8',
    '--learning-rate',
    '0.01',
    '--out',
    'grey.wae',
  ]);
  expect(trained.code, trained.stderr).toBe(0);
  expect(trained.stderr.match(/^epoch \d+\/30 /gm)).toHaveLength(30);
  expect(trained.stdout).toMatch(/saved grey\.wae \(16×16 grey → code 8/);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('help and version', () => {
  it('prints the tool help, a command help and the version', async () => {
    const [main, train, version] = await Promise.all([run(['--help']), run(['train', '--help']), run(['--version'])]);
    expect(main.code).toBe(0);
    for (const command of ['train', 'reconstruct', 'encode', 'decode', 'bench']) expect(main.stdout).toContain(command);
    expect(main.stdout).toMatch(/PNG: grey, grey\+alpha, RGB, RGBA/);
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/--learning-rate X/);
    expect(train.stdout).toMatch(/--validation-split F/);
    expect(train.stdout).toMatch(/--model dense\|conv/);
    expect(train.stdout).toMatch(/^Layers \(--encoder, --decoder\):$/m);
    expect(train.stdout).toMatch(/cF\[kK\]\[sS\]\[pP\] +conv2d with F filters/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('train, reconstruct, encode, decode', () => {
  it('reconstructs better than the mean image, and reports the MSE the values give', async () => {
    const r = await run([
      'reconstruct',
      '--model',
      'grey.wae',
      '--images',
      'grey',
      '--threads',
      '1',
      '--out',
      'rec.png',
      '--count',
      '16',
      '--idx',
      'rec-f32.idx',
      '--idx-type',
      'f32',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const m = /MSE (\S+)\s+PSNR (\S+) dB\s+over 120 images/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const mse = Number(m![1]),
      psnr = Number(m![2]);
    expect(psnr).toBeCloseTo(10 * Math.log10(1 / mse), 1);

    const pixels = SIZE * SIZE;
    const mean = new Float64Array(pixels);
    for (let i = 0; i < COUNT * pixels; i++) mean[i % pixels] += greyPixels[i] / 255 / COUNT;
    let baseline = 0;
    for (let i = 0; i < COUNT * pixels; i++) baseline += (greyPixels[i] / 255 - mean[i % pixels]) ** 2;
    baseline /= COUNT * pixels;
    expect(mse).toBeLessThan(baseline / 2);

    const rec = readIdx(await readFile(join(dir, 'rec-f32.idx')));
    expect(rec.type).toBe(0x0d);
    expect(rec.dims).toEqual([COUNT, SIZE, SIZE]);
    let se = 0;
    for (let i = 0; i < rec.values.length; i++) se += (rec.values[i] - Math.fround(greyPixels[i] / 255)) ** 2;
    expect(se / rec.values.length).toBeCloseTo(mse, 5);

    const png = decodePng(await readFile(join(dir, 'rec.png')));
    expect(png.channels).toBe(1);
    expect(png.width).toBeGreaterThan(2 * 4 * SIZE * 4); // two panels of 4 × 4 images, scaled 4 times
  });

  it("encode → decode gives reconstruct's values bit for bit, in binary and in JSON", async () => {
    const encoded = await Promise.all([
      run(['encode', '--model', 'grey.wae', '--images', 'grey', '--threads', '1', '--out', 'codes.waez']),
      run(['encode', '--model', 'grey.wae', '--images', 'grey', '--threads', '1', '--out', 'codes.json']),
    ]);
    for (const r of encoded) expect(r.code, r.stderr).toBe(0);

    const bin = new Uint8Array(await readFile(join(dir, 'codes.waez')));
    const view = new DataView(bin.buffer, bin.byteOffset, bin.length);
    // The code stream's documented layout (src/io/codeStream.ts): version 2, bits 32, no table.
    expect(String.fromCharCode(...bin.subarray(0, 4))).toBe('WAEZ');
    expect([bin[4], bin[5], view.getUint16(6, true), view.getUint32(8, true), bin[28]]).toEqual([2, 32, 8, COUNT, 0]);
    expect(bin.length).toBe(32 + 4 * COUNT * 8 + 4);
    const json = JSON.parse(await readFile(join(dir, 'codes.json'), 'utf8')) as { latent: number; codes: number[][] };
    expect(json.latent).toBe(8);
    expect(json.codes).toHaveLength(COUNT);
    for (let i = 0; i < 16; i++) expect(json.codes[Math.floor(i / 8)][i % 8]).toBe(view.getFloat32(32 + 4 * i, true));

    const decoded = await Promise.all([
      run([
        'decode',
        '--model',
        'grey.wae',
        '--codes',
        'codes.waez',
        '--threads',
        '1',
        '--idx',
        'dec-f32.idx',
        '--idx-type',
        'f32',
      ]),
      run([
        'decode',
        '--model',
        'grey.wae',
        '--codes',
        'codes.json',
        '--threads',
        '1',
        '--idx',
        'dec-json.idx',
        '--idx-type',
        'f32',
      ]),
      run([
        'decode',
        '--model',
        'grey.wae',
        '--codes',
        'codes.waez',
        '--threads',
        '1',
        '--idx',
        'dec-u8.idx.gz',
        '--out',
        'dec.png',
      ]),
    ]);
    for (const r of decoded) expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'decoded.png'))).toBe(false); // only --idx given: no PNG
    const reconstructed = await readFile(join(dir, 'rec-f32.idx'));
    expect((await readFile(join(dir, 'dec-f32.idx'))).equals(reconstructed)).toBe(true);
    expect((await readFile(join(dir, 'dec-json.idx'))).equals(reconstructed)).toBe(true);

    const { gunzipSync } = await import('node:zlib');
    const u8 = readIdx(gunzipSync(await readFile(join(dir, 'dec-u8.idx.gz'))));
    expect(u8.type).toBe(0x08);
    expect(u8.dims).toEqual([COUNT, SIZE, SIZE]);
    expect(u8.values).toEqual(readIdx(reconstructed).values.map(toByte));
    expect(decodePng(await readFile(join(dir, 'dec.png'))).width).toBeGreaterThan(0);
  });

  it('reads the same images from gzipped and 4-dim IDX files as from the folder', async () => {
    const runs = await Promise.all(
      ['grey.idx.gz', 'grey4.idx'].map((file, i) =>
        run(['encode', '--model', 'grey.wae', '--images', file, '--threads', '1', '--out', `idx${i}.waez`]),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const fromFolder = await readFile(join(dir, 'codes.waez'));
    for (let i = 0; i < 2; i++) expect((await readFile(join(dir, `idx${i}.waez`))).equals(fromFolder)).toBe(true);
  });

  it('--resume continues a --keep-optimizer model exactly where it stopped', async () => {
    const common = ['--images', 'grey', '--threads', '1', '--batch-size', '32', '--latent', '4', '--keep-optimizer'];
    const [once, first] = await Promise.all([
      run(['train', ...common, '--epochs', '2', '--out', 'once.wae']),
      run(['train', ...common, '--epochs', '1', '--out', 'twice.wae']),
    ]);
    expect(once.code, once.stderr).toBe(0);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await run([
      'train',
      '--resume',
      'twice.wae',
      '--images',
      'grey',
      '--threads',
      '1',
      '--batch-size',
      '32',
      '--epochs',
      '1',
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/saved twice\.wae .*8 steps/);
    // Epochs are counted over the model's life: the resumed run is the second.
    expect(resumed.stderr).toMatch(/^epoch 2\/2 {2}loss/m);
    expect((await readFile(join(dir, 'twice.wae'))).equals(await readFile(join(dir, 'once.wae')))).toBe(true);
    const clash = await run(['train', '--resume', 'twice.wae', '--latent', '8']);
    expectOneLineError(clash, 2, /--latent cannot be used with --resume/);
  });

  it('trains on RGB PNGs (alpha dropped) and a JPEG, and draws RGB comparisons', async () => {
    const t = await run([
      'train',
      '--images',
      'rgb',
      '--threads',
      '1',
      '--epochs',
      '2',
      '--batch-size',
      '5',
      '--latent',
      '4',
      '--out',
      'rgb.wae',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/training on 5 images \(8×6 RGB\)/);
    const r = await run(['reconstruct', '--model', 'rgb.wae', '--images', 'rgb', '--threads', '1', '--out', 'rgb.png']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/over 5 images/);
    expect(decodePng(await readFile(join(dir, 'rgb.png'))).channels).toBe(3);
    const wrong = await run(['reconstruct', '--model', 'rgb.wae', '--images', 'grey', '--threads', '1']);
    expectOneLineError(wrong, 1, /16×16 grey.*takes 8×6 RGB/);
  });
});

describe('conv models', () => {
  /** The config a model file holds, read by the library. */
  async function configOf(file: string): Promise<Pick<Autoencoder['config'], 'encoder' | 'latent' | 'decoder'>> {
    const model = await Autoencoder.load(new Uint8Array(await readFile(join(dir, file))), { threads: 1 });
    try {
      const { encoder, latent, decoder } = model.config;
      return { encoder, latent, decoder };
    } finally {
      await model.dispose();
    }
  }
  const conv = (
    type: 'conv2d' | 'conv2dTranspose',
    filters: number,
    kernelSize: number,
    strides: number,
    padding = 'same',
  ) => ({ type, filters, kernelSize, strides, padding });

  it('--model conv trains on MNIST, and the model file loads with its conv layers', async () => {
    const t = await run([
      'train',
      '--data',
      'mnist',
      '--limit',
      '256',
      '--model',
      'conv',
      '--threads',
      '1',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--out',
      'mnist-conv.wae',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/training on 256 images \(28×28 grey\)/);
    expect(t.stderr).toMatch(/^model 784-c16k3s2-c32k3s2 → code 32 → 1568-t16k3s2-784, /m);
    expect(t.stderr).toMatch(/^epoch 1\/1 /m);
    expect(t.stderr).not.toMatch(/Total params/); // stderr is no terminal and --summary was not given
    expect(t.stdout).toMatch(/saved mnist-conv\.wae \(28×28 grey → code 32/);
    expect(await configOf('mnist-conv.wae')).toEqual({
      encoder: [conv('conv2d', 16, 3, 2), conv('conv2d', 32, 3, 2)],
      latent: 32,
      decoder: [7 * 7 * 32, conv('conv2dTranspose', 16, 3, 2)],
    });
    const r = await run([
      'reconstruct',
      '--model',
      'mnist-conv.wae',
      '--data',
      'mnist',
      '--limit',
      '16',
      '--threads',
      '1',
      '--out',
      'mnist-conv.png',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/over 16 images/);
  });

  it('--encoder and --decoder take conv layers; --summary prints the layer table', async () => {
    const common = [
      '--images',
      'grey',
      '--threads',
      '1',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--latent',
      '8',
      '--encoder',
      'c8k3s2,c16s1pvalid',
    ];
    const [given, mirrored] = await Promise.all([
      run(['train', ...common, '--decoder', 't8pvalid', '--summary', '--out', 'conv-given.wae']),
      run(['train', ...common, '--decoder', 'mirror', '--out', 'conv-mirror.wae']),
    ]);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stderr).toMatch(/^model 256-c8k3s2-c16k3s1pvalid → code 8 → 576-t8k3s1pvalid-256, /m);
    expect(given.stderr).toMatch(/^encoder\/conv2d_2 \(Conv2D, relu\) +\(None, 6, 6, 16\) /m);
    expect(given.stderr).toMatch(/^decoder\/conv2dTranspose_2 \(Conv2DTranspose, sigmoid\) +\(None, 16, 16, 1\) /m);
    expect(given.stderr).toMatch(/^Total params: [\d,]+$/m);
    expect(mirrored.code, mirrored.stderr).toBe(0);
    const expected = {
      encoder: [conv('conv2d', 8, 3, 2), conv('conv2d', 16, 3, 1, 'valid')],
      latent: 8,
      decoder: [6 * 6 * 16, conv('conv2dTranspose', 8, 3, 1, 'valid')],
    };
    expect(await configOf('conv-given.wae')).toEqual(expected);
    expect(await configOf('conv-mirror.wae')).toEqual(expected);
  });

  it('bad layers and --model values: one line naming the option, before any image is read', async () => {
    const cases: [string[], RegExp][] = [
      [['--encoder', 'c16x3'], /--encoder: 'c16x3' is not a dense width \(like 64\) or a conv layer/],
      [
        ['--encoder', 'c16k3s2,t32k3s2'],
        /--encoder: 't32k3s2' is a conv2dTranspose layer, which the encoder cannot have; use c32k3s2/,
      ],
      [['--encoder', 'c16k9'], /--encoder: 'c16k9' has kernel 9; give k1 to k7/],
      [['--encoder', 'c16s3'], /--encoder: 'c16s3' has stride 3; give s1 or s2/],
      [['--encoder', 'c16k3k5'], /--encoder: 'c16k3k5' gives k twice/],
      [['--encoder', '64,c16'], /--encoder: conv layer 'c16' comes after dense layer 64/],
      [['--decoder', 'x16'], /--decoder: 'x16' is not a dense width .*\(like t16k3s2 or c16k3s2/],
      [['--decoder', 't0'], /--decoder: 't0' has 0 filters/],
      [['--model', 'cnn'], /--model must be dense or conv, got 'cnn'/],
      [['--model', 'conv', '--encoder', '64'], /--model and --encoder both set the encoder/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(['train', '--images', 'nowhere', ...args])));
    results.forEach((r, i) => {
      expectOneLineError(r, 2, cases[i][1]);
    });
    // What only the model's shapes can tell: still a usage error naming the option.
    const [tooSmall, convDecoder] = await Promise.all([
      run(['train', '--images', 'grey', '--threads', '1', '--encoder', 'c8k7s1pvalid,c8k7s1pvalid,c8k7s1pvalid']),
      run(['train', '--images', 'grey', '--threads', '1', '--encoder', '64', '--decoder', 't8k3s2']),
    ]);
    expectOneLineError(tooSmall, 2, /--encoder: encoder\[2\] leaves no output from 4×4×8/);
    expectOneLineError(convDecoder, 2, /--decoder: decoder\[0\] is a conv layer, which needs a conv encoder/);
  });
});

describe('errors: one line on stderr, exit code 2 for usage and 1 for the rest', () => {
  it('usage errors', async () => {
    const [command, option, epochs, latent, missingValue, none, both] = await Promise.all([
      run(['fly']),
      run(['train', '--colour', 'red']),
      run(['train', '--epochs', '0']),
      run(['train', '--latent', 'abc']),
      run(['reconstruct', '--model']),
      run([]),
      run(['train', '--data', 'mnist', '--images', 'grey']),
    ]);
    expectOneLineError(command, 2, /unknown command 'fly'/);
    expectOneLineError(option, 2, /unknown option --colour/);
    expectOneLineError(epochs, 2, /--epochs must be a positive integer.*'0'/);
    expectOneLineError(latent, 2, /--latent must be a positive integer.*'abc'/);
    expectOneLineError(missingValue, 2, /--model needs a value/);
    expectOneLineError(none, 2, /no command/);
    expectOneLineError(both, 2, /--data or --images/);
    const [rate, loss] = await Promise.all([
      run(['train', '--images', 'grey', '--threads', '1', '--learning-rate', '20']),
      run(['train', '--images', 'grey', '--threads', '1', '--loss', 'bce', '--output', 'relu']),
    ]);
    expectOneLineError(rate, 2, /--learning-rate: .*\(0, 10\]/);
    expectOneLineError(loss, 2, /--output: .*sigmoid/);
  });

  it('missing, corrupt and mismatched files', async () => {
    const [images, model, corrupt, mixed, notModel, notCodes, codesMismatch, otherModel] = await Promise.all([
      run(['train', '--images', 'nowhere']),
      run(['reconstruct', '--model', 'missing.wae', '--images', 'grey']),
      run(['train', '--images', 'corrupt', '--threads', '1']),
      run(['train', '--images', 'mixed', '--threads', '1']),
      run(['reconstruct', '--model', join('grey', 'shape0.png'), '--images', 'grey', '--threads', '1']),
      run(['decode', '--model', 'grey.wae', '--codes', join('grey', 'notes.txt'), '--threads', '1']),
      run(['decode', '--model', 'rgb.wae', '--codes', 'codes.json', '--threads', '1']),
      run(['decode', '--model', 'rgb.wae', '--codes', 'codes.waez', '--threads', '1']),
    ]);
    expectOneLineError(images, 1, /cannot read --images nowhere: no such file/);
    expectOneLineError(model, 1, /cannot read model file missing\.wae: no such file/);
    expectOneLineError(corrupt, 1, /corrupt[/\\]b\.png is not a readable PNG image/);
    expectOneLineError(
      mixed,
      1,
      /mixed[/\\]c\.png is 12×16 grey but mixed[/\\]a\.png \(the first image\) is 16×16 grey/,
    );
    expectOneLineError(notModel, 1, /cannot load model .*shape0\.png: not a wasm-autoencoder model file/);
    expectOneLineError(
      notCodes,
      1,
      /cannot decode grey[/\\]notes\.txt with model grey\.wae: not a wasm-autoencoder code stream \(expected magic 'WAEZ'/,
    );
    expectOneLineError(codesMismatch, 1, /codes of 8 values, but model rgb\.wae has codes of 4/);
    expectOneLineError(
      otherModel,
      1,
      /cannot decode codes\.waez with model rgb\.wae: these bytes were compressed by another model/,
    );
  });

  it('an output that cannot be written fails before any work', async () => {
    await mkdir(join(dir, 'occupied'));
    await mkdir(join(dir, 'occupied.idx'));
    const [folder, noFolder, idx] = await Promise.all([
      run(['train', '--images', 'grey', '--threads', '1', '--epochs', '1', '--out', 'occupied']),
      run(['train', '--images', 'grey', '--threads', '1', '--epochs', '1', '--out', join('no-such-folder', 'm.wae')]),
      run(['reconstruct', '--model', 'grey.wae', '--images', 'grey', '--threads', '1', '--idx', 'occupied.idx']),
    ]);
    expectOneLineError(folder, 1, /cannot write --out occupied: it is a folder/);
    expectOneLineError(noFolder, 1, /cannot write --out .*m\.wae: folder no-such-folder does not exist/);
    expectOneLineError(idx, 1, /cannot write --idx occupied\.idx: it is a folder/);
  });

  it('bench says so when bench/compare.js is not there (an installed package)', async () => {
    const pkg = join(dir, 'installed');
    await mkdir(pkg);
    await cp(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    const r = await run(['bench', '--quick'], join(pkg, 'dist', 'entries', 'cli.js'));
    expectOneLineError(r, 1, /bench needs .*compare\.js, which is not there/);
    const help = await run(['bench', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--quick/);
  });
});

describe('Ctrl-C during train', () => {
  function trainUntilFirstEpoch(out: string, signals: number, before?: () => Promise<unknown>): Promise<Result> {
    return new Promise((done, fail) => {
      const child = spawn(
        process.execPath,
        [CLI, 'train', '--images', 'grey', '--threads', '1', '--epochs', '1000000', '--batch-size', '16', '--out', out],
        { cwd: dir },
      );
      let stdout = '',
        stderr = '',
        sent = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (!sent && /^epoch 1\/1000000 /m.test(stderr)) {
          sent = true;
          void (before ?? (() => Promise.resolve()))().then(() => {
            for (let i = 0; i < signals; i++) child.kill('SIGINT');
          });
        }
      });
      child.on('error', fail);
      child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    });
  }

  it('stops after the current step, saves a loadable model and exits with 130', async () => {
    const r = await trainUntilFirstEpoch('stopped.wae', 1);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted: stopping after the current step/);
    expect(r.stderr).toMatch(/saved what was learned to stopped\.wae/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'stopped.wae'))).toBe(true);
    const rec = await run([
      'reconstruct',
      '--model',
      'stopped.wae',
      '--images',
      'grey',
      '--threads',
      '1',
      '--out',
      'stopped.png',
    ]);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/MSE \S+ +PSNR/);
  });

  it('a save that fails says so in one line and leaves no temporary file', async () => {
    // The output path turns into a folder while training runs: the rename at the end fails.
    const r = await trainUntilFirstEpoch('becomes-folder.wae', 1, () => mkdir(join(dir, 'becomes-folder.wae')));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^wasm-autoencoder: cannot write becomes-folder\.wae: it is a folder/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('two Ctrl-C in a row end with exit code 130 and leave no temporary file', async () => {
    const r = await trainUntilFirstEpoch('twice.wae', 2);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
