// Cloudflare's workerd, started by miniflare in this (Node) process, runs the built package on one
// thread inside a fetch handler (fixtures/workerd-worker.mjs): it trains on MNIST images sent in
// the request body, and encodes with a model trained and saved in Node, which must give Node's
// bits. The workerd binary is the devDependency `workerd` (node_modules/.bin/workerd, which
// miniflare runs); a missing one fails this file.
//
// How the code reaches workerd: no bundler. Every dist/ file that dist/entries/index.js reaches through
// static imports is registered, unchanged, as an ESModule module under its own path (modulesRoot
// is the repository), next to the worker script; build/kernels-simd.wasm is a CompiledWasm module,
// which the worker imports and passes as `wasm` (workerd refuses WebAssembly.compile on bytes).
// So workerd runs the very files npm publishes, and the walk below checks what the README
// promises: the main entry imports no `node:` module and no package. Its one package-internal
// import, '#platform', is resolved as a bundler would, with workerd's conditions (the web
// platform). No compatibility flags (no nodejs_compat).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Miniflare } from 'miniflare';
import {
  BATCH_SIZE,
  EPOCHS,
  MODEL_OPTIONS,
  TEST_COUNT,
  TRAIN_COUNT,
  buildDir,
  distDir,
  encodeImages,
  fixturesDir,
  logFacts,
  nodeReference,
  repoRoot,
  runtimeBinary,
  testImages,
  type NodeReference,
  type RuntimeBinary,
  type TrainingReport,
} from './helpers.js';

const WORKER = join(fixturesDir, 'workerd-worker.mjs');
const KERNELS = join(buildDir, 'kernels-simd.wasm');
const COMPATIBILITY_DATE = '2026-04-01';

/** The conditions workerd's bundler (wrangler) resolves packages with, in its order. */
const WORKERD_CONDITIONS = new Set(['workerd', 'worker', 'browser', 'import', 'default']);
const PACKAGE_IMPORTS = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    imports: Record<string, Record<string, string>>;
  }
).imports;

/** A package-internal specifier ('#platform') as package.json "imports" maps it under workerd's
 *  conditions: the first of its targets, in the map's order, whose condition workerd has. */
function packageImport(specifier: string): string {
  const targets = PACKAGE_IMPORTS[specifier];
  const condition = targets && Object.keys(targets).find((c) => WORKERD_CONDITIONS.has(c));
  if (!condition) throw new Error(`package.json "imports" has no target of '${specifier}' for workerd's conditions`);
  return resolve(repoRoot, targets[condition]);
}

/** The files `entry` reaches through static imports; in `aliases`, each package-internal specifier
 *  met on the way (as the path workerd looks for: the importer's folder joined with it) with the
 *  file it resolves to. Throws on an import workerd could not load. */
function staticImportGraph(entry: string, aliases: Map<string, string>): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const imports =
      /(?:^|[;\n])\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g;
    for (const m of source.matchAll(imports)) {
      const specifier = m[1] ?? m[2];
      if (specifier.startsWith('#')) {
        const target = packageImport(specifier);
        aliases.set(join(dirname(file), specifier), target);
        visit(target);
        continue;
      }
      if (!specifier.startsWith('.')) {
        throw new Error(
          `${relative(repoRoot, file)} imports '${specifier}' statically: workerd without nodejs_compat cannot load it, ` +
            'and the main entry must import no node: module and no package',
        );
      }
      visit(resolve(dirname(file), specifier));
    }
  };
  visit(entry);
  return [...seen];
}

interface TrainResponse extends Omit<TrainingReport, 'weights'> {
  userAgent: string;
  weights: string;
  compileFromBytes: string;
}

describe('workerd (miniflare)', () => {
  let workerd: RuntimeBinary;
  let ref: NodeReference;
  let mf: Miniflare | null = null;
  let libraryFiles: string[];
  let platformFiles: string[];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    workerd = runtimeBinary('workerd');
    ref = await nodeReference();
    // The int8 model is imported lazily by the main entry; its graph is registered too.
    const aliases = new Map<string, string>();
    libraryFiles = [
      ...new Set([
        ...staticImportGraph(join(distDir, 'entries', 'index.js'), aliases),
        ...staticImportGraph(join(distDir, 'model', 'quantized.js'), aliases),
      ]),
    ];
    platformFiles = [...new Set(aliases.values())].map((f) => relative(repoRoot, f));
    const started = performance.now();
    mf = new Miniflare({
      modulesRoot: repoRoot,
      modules: [
        { type: 'ESModule', path: WORKER, contents: readFileSync(WORKER, 'utf8') },
        ...libraryFiles.map((path) => ({ type: 'ESModule' as const, path, contents: readFileSync(path, 'utf8') })),
        // What a bundler does with package.json "imports": workerd has no such map and looks for
        // '#platform' beside its importer, so a module there re-exports the file workerd's
        // conditions pick.
        ...[...aliases].map(([path, target]) => ({
          type: 'ESModule' as const,
          path,
          contents: `export * from './${relative(dirname(path), target)}';\n`,
        })),
        { type: 'CompiledWasm', path: KERNELS, contents: readFileSync(KERNELS) },
      ],
      compatibilityDate: COMPATIBILITY_DATE,
    });
    await mf.ready;
    timings.startMs = Math.round(performance.now() - started);
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose(); // ends workerd
    mf = null;
  });

  async function post(path: string, body: Uint8Array): Promise<Response> {
    const started = performance.now();
    const response = await mf!.dispatchFetch(`http://localhost${path}`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status !== 200)
      throw new Error(`workerd answered ${path.split('?')[0]} with HTTP ${response.status}: ${await response.text()}`);
    timings[path.split('?')[0]] = Math.round(performance.now() - started);
    return response as unknown as Response;
  }

  it('loads the unbundled dist/ modules (no node: or package imports)', () => {
    const names = libraryFiles.map((f) => relative(repoRoot, f));
    expect(names).toContain('dist/entries/index.js');
    expect(names).toContain('dist/runtime/wasm.js');
    // '#platform' resolves to the web platform, and no Node or Deno platform file is reachable.
    expect(platformFiles).toEqual(['dist/platform/web.js']);
    expect(names.filter((n) => n.startsWith('dist/platform/')).sort()).toEqual([
      'dist/platform/web-workers.js',
      'dist/platform/web.js',
    ]);
    logFacts('workerd', { version: workerd.version, modules: names.length, startMs: timings.startMs });
  });

  it('trains on one thread inside a fetch handler, and the test MSE falls', async () => {
    const images = new Uint8Array((TRAIN_COUNT + TEST_COUNT) * 784);
    images.set(ref.mnist.train);
    images.set(testImages(ref.mnist), ref.mnist.train.length);
    const query = new URLSearchParams({
      train: String(TRAIN_COUNT),
      test: String(TEST_COUNT),
      epochs: String(EPOCHS),
      batchSize: String(BATCH_SIZE),
      options: JSON.stringify(MODEL_OPTIONS),
    });
    const r = (await (await post(`/train?${query}`, images)).json()) as TrainResponse;
    logFacts('workerd', {
      userAgent: r.userAgent,
      backend: r.backend,
      before: r.before,
      after: r.after,
      losses: r.losses,
      steps: r.steps,
      compileFromBytes: r.compileFromBytes,
      trainMs: timings['/train'],
    });
    expect(r.userAgent).toBe('Cloudflare-Workers');
    expect(r.compileFromBytes).toMatch(/^refused/); // the reason the kernels come as a CompiledWasm module
    expect(r.backend).toEqual({ kernels: 'simd', threads: 1 });
    expect(r.steps).toBe(ref.training.steps);
    expect(r.after).toBeLessThan(r.before);
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]);
    // Beyond the brief's minimum: the same seed trains to Node's very bits.
    expect(Buffer.from(r.weights, 'base64').equals(ref.training.weights)).toBe(true);
    expect(r.losses).toEqual(ref.training.losses);
  });

  it("encode gives Node's bits for a model saved in Node", async () => {
    const images = encodeImages(ref.mnist);
    const body = new Uint8Array(ref.modelBytes.length + images.length);
    body.set(ref.modelBytes);
    body.set(images, ref.modelBytes.length);
    const response = await post(`/encode?modelBytes=${ref.modelBytes.length}`, body);
    const backend = JSON.parse(response.headers.get('x-backend') ?? 'null');
    const codes = Buffer.from(await response.arrayBuffer());
    logFacts('workerd', {
      encodeBackend: backend,
      codeBytes: codes.length,
      bitEqual: codes.equals(ref.codes),
      encodeMs: timings['/encode'],
    });
    expect(backend).toEqual({ kernels: 'simd', threads: 1 });
    expect(codes.length).toBe(ref.codes.length);
    expect(codes.equals(ref.codes)).toBe(true);
  });

  it("int8: quantize() and loadQuantized reconstruct with Node's bits", async () => {
    const images = encodeImages(ref.mnist);
    const body = new Uint8Array(ref.modelBytes.length + images.length);
    body.set(ref.modelBytes);
    body.set(images, ref.modelBytes.length);
    const response = await post(`/quantize?modelBytes=${ref.modelBytes.length}`, body);
    const out = Buffer.from(await response.arrayBuffer());
    expect(JSON.parse(response.headers.get('x-backend') ?? 'null')).toEqual({ kernels: 'simd', threads: 1 });
    expect(out.length).toBe(ref.int8.length);
    expect(out.equals(ref.int8)).toBe(true);
  });
});
