// The conv row of `npm run bench:compare`: this library against TensorFlow.js 4.22 on the conv
// model (CONV in reference.js, 111,521 parameters) and real MNIST, in one process run.
//
// - Training, this library: one epoch of `fit` per engine per round over a subset of the
//   training set, rounds interleaved (A B C … A B C …); samples/s is the median over the rounds
//   after the first (wall clock around the call; "steps only" is the library's own timer).
// - Training, TF.js: the same trainOnBatch loop as the dense comparison (tfjs-model.js). The cpu
//   backend trains this model far slower than the others (its samples/s: docs/benchmarks.md), so
//   each of its rounds is one batch of 256 images; the first round is the warm-up. A backend that throws (TF.js 4.22's wasm backend
//   registers no `Conv2DBackpropFilter`) is recorded as "cannot train: <the error's first line>"
//   and still measured for inference.
// - Inference: after each round, a short tinybench run per engine over the inference sample in
//   batches of 1,000 (`reconstruct`; `model.predict` + `dataSync` for TF.js; TF.js cpu: one
//   batch of 256 images); images/s from the median over the rounds' medians.
//
//   node [--experimental-wasm-relaxed-simd] bench/compare-conv.js [--quick]
//
// `npm run bench:compare` runs it after the dense comparison (compareConv below). A full run
// writes bench/results/compare-conv.json and the compare-conv block of docs/benchmarks.md;
// `--quick` (CI) runs in seconds on tiny subsets and writes nothing.
import { Bench } from 'tinybench';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import { Autoencoder, supportsRelaxedSimd } from '../dist/entries/index.js';
import { loadMnistF32, PIXELS } from './mnist-f32.js';
import { CONV, BATCH } from './reference.js';
import { TfEngine, buildConvModel } from './tfjs-model.js';
import { fmt, median } from './stats.js';

export const CONV_PARAMS = 111_521;
const INFER_BATCH = 1000;

// Full: our engines train 3 epochs of 10,000 images, TF.js cpu 3 batches of 256 (about 20 s
// each here); the first of each is the warm-up. Quick: 1,000 images, and batches of 16 for TF.js cpu.
const FULL = {
  rounds: 3,
  ourTrain: 10_000,
  tfTrain: BATCH,
  tfBatch: BATCH,
  infer: 2000,
  cpuInfer: 256,
  inferMs: 500,
  inferIterations: 2,
};
const QUICK = {
  rounds: 2,
  ourTrain: 1000,
  tfTrain: 16,
  tfBatch: 16,
  infer: 1000,
  cpuInfer: 64,
  inferMs: 40,
  inferIterations: 1,
};

const firstLine = (error) => String(error?.message ?? error).split('\n')[0];

function batchesOf(images, rows) {
  const out = [];
  for (let at = 0; at < images.length; at += rows * PIXELS)
    out.push(images.subarray(at, Math.min(images.length, at + rows * PIXELS)));
  return out;
}

async function createOurs(kernels, threads, train, infer) {
  const ae = await Autoencoder.create({ ...CONV, kernels, threads });
  const batches = batchesOf(infer, INFER_BATCH);
  return {
    id: `wasm-autoencoder:${kernels}:${threads}t`,
    kind: 'ours',
    threads: ae.backend.threads,
    params: ae.paramCount,
    trainImages: train.count,
    batchSize: BATCH,
    inferImages: infer.length / PIXELS,
    async activate() {},
    async trainEpoch() {
      const history = await ae.fit(train.images, { epochs: 1, batchSize: BATCH, shuffle: true });
      return { loss: history.epochs[0].loss, selfSamplesPerSec: history.epochs[0].samplesPerSec };
    },
    infer() {
      for (const b of batches) ae.reconstruct(b);
    },
    async dispose() {
      await ae.dispose();
    },
  };
}

async function createTfjs(backend, train, infer, batchSize) {
  const engine = await TfEngine.create(backend, train, 42, buildConvModel);
  const { tf } = engine;
  const batches = batchesOf(infer, INFER_BATCH).map((b) => tf.tensor(b, [b.length / PIXELS, 28, 28, 1]));
  return {
    id: `tfjs:${backend}`,
    kind: 'tfjs',
    threads: 1,
    details: engine.info,
    params: engine.model.countParams(),
    trainImages: train.count,
    batchSize,
    inferImages: infer.length / PIXELS,
    async activate() {
      await engine.activate();
    },
    async trainEpoch() {
      return { loss: await engine.trainEpoch({ batchSize }) };
    },
    infer() {
      for (const b of batches) {
        const y = engine.model.predict(b);
        y.dataSync();
        y.dispose();
      }
    },
    async dispose() {
      await engine.activate();
      for (const t of batches) t.dispose();
      engine.dispose();
    },
  };
}

/**
 * Runs the conv comparison, prints its tables and, unless `quick`, writes the JSON and the
 * docs block. `command` is the command the docs name. Resolves with the results.
 */
export async function compareConv({ quick = false, command = 'npm run bench:compare' } = {}) {
  const started = performance.now();
  const C = quick ? QUICK : FULL;
  const notes = [];
  const kernelBuilds = ['simd'];
  if (supportsRelaxedSimd()) kernelBuilds.push('relaxed');
  else
    notes.push(
      'relaxed SIMD is not available in this runtime (Node 20 needs --experimental-wasm-relaxed-simd, which `npm run bench:compare` passes): the relaxed engine is skipped',
    );
  const ourSpecs = [...kernelBuilds.map((k) => [k, 1]), ['simd', 2]];

  const mnist = loadMnistF32({ trainLimit: C.ourTrain, testLimit: C.infer });
  const tfTrain = { images: mnist.train.images.subarray(0, C.tfTrain * PIXELS), count: C.tfTrain };
  const cpuInfer = mnist.test.images.subarray(0, C.cpuInfer * PIXELS);
  console.log(
    `\nConv model (${CONV_PARAMS.toLocaleString('en-US')} parameters): ours trains ${fmt(mnist.train.count)} images an epoch, TF.js batches of ${C.tfBatch};` +
      ` ${C.rounds} rounds, the first a warm-up; ${quick ? 'quick mode' : 'full mode'}`,
  );

  const engines = [];
  for (const [k, t] of ourSpecs) engines.push(await createOurs(k, t, mnist.train, mnist.test.images));
  engines.push(await createTfjs('wasm', tfTrain, mnist.test.images, C.tfBatch));
  engines.push(await createTfjs('cpu', tfTrain, cpuInfer, C.tfBatch));
  for (const e of engines) {
    if (e.params !== CONV_PARAMS)
      throw new Error(`conv model of ${e.id} has ${e.params} parameters, expected ${CONV_PARAMS}`);
  }

  const state = new Map(
    engines.map((e) => [
      e.id,
      {
        epochSeconds: [],
        selfSamplesPerSec: [],
        losses: [],
        inferRoundMedians: [],
        cannotTrain: null,
        cannotInfer: null,
      },
    ]),
  );
  for (let round = 1; round <= C.rounds; round++) {
    for (const e of engines) {
      const s = state.get(e.id);
      if (s.cannotTrain) continue;
      await e.activate();
      const t0 = performance.now();
      try {
        const r = await e.trainEpoch();
        s.epochSeconds.push((performance.now() - t0) / 1000);
        s.losses.push(r.loss);
        if (r.selfSamplesPerSec) s.selfSamplesPerSec.push(r.selfSamplesPerSec);
      } catch (error) {
        s.cannotTrain = firstLine(error);
        console.log(`${e.id} cannot train: ${s.cannotTrain}`);
      }
    }
    for (const e of engines) {
      const s = state.get(e.id);
      if (s.cannotInfer) continue;
      await e.activate();
      const bench = new Bench({
        time: C.inferMs,
        iterations: C.inferIterations,
        warmup: round === 1,
        warmupIterations: 1,
        warmupTime: 0,
        throws: true,
      });
      bench.add(e.id, () => e.infer());
      try {
        await bench.run();
        s.inferRoundMedians.push(bench.getTask(e.id).result.latency.p50 / 1000);
      } catch (error) {
        s.cannotInfer = firstLine(error);
        console.log(`${e.id} cannot infer: ${s.cannotInfer}`);
      }
    }
    const done = engines
      .filter((e) => state.get(e.id).epochSeconds.length === round)
      .map((e) => `${e.id} ${fmt(e.trainImages / state.get(e.id).epochSeconds.at(-1))}`)
      .join(' · ');
    console.log(
      `conv round ${round}/${C.rounds} (${fmt((performance.now() - started) / 1000, 1)} s): samples/s ${done}`,
    );
  }
  for (const e of engines) await e.dispose();

  const results = engines.map((e) => {
    const s = state.get(e.id);
    const later = (xs) => (xs.length > 1 ? xs.slice(1) : xs);
    return {
      id: e.id,
      kind: e.kind,
      threads: e.threads,
      params: e.params,
      ...(e.details ? { details: e.details } : {}),
      trainImages: e.trainImages,
      batchSize: e.batchSize,
      inferImages: e.inferImages,
      cannotTrain: s.cannotTrain,
      cannotInfer: s.cannotInfer,
      trainSamplesPerSec: s.cannotTrain ? null : e.trainImages / median(later(s.epochSeconds)),
      ownTimerSamplesPerSec: s.selfSamplesPerSec.length ? median(later(s.selfSamplesPerSec)) : null,
      roundSamplesPerSec: s.epochSeconds.map((t) => e.trainImages / t),
      losses: s.losses,
      inferImagesPerSec: s.cannotInfer ? null : e.inferImages / median(s.inferRoundMedians),
      inferRoundSeconds: s.inferRoundMedians,
    };
  });
  const byId = new Map(results.map((r) => [r.id, r]));
  const peers = results.filter((r) => r.kind === 'tfjs');
  const ratio = (a, b) => (a != null && b != null ? a / b : null);
  const ratios = results
    .filter((r) => r.kind === 'ours')
    .map((o) => {
      const row = { id: o.id };
      for (const p of peers) {
        row[`train÷${p.id}`] = ratio(o.trainSamplesPerSec, p.trainSamplesPerSec);
        row[`inference÷${p.id}`] = ratio(o.inferImagesPerSec, p.inferImagesPerSec);
      }
      return row;
    });

  const trainCell = (r) =>
    r.cannotTrain ? 'cannot train' : fmt(r.trainSamplesPerSec, r.trainSamplesPerSec < 100 ? 1 : 0);
  console.log(
    `\nConv model (conv2d 16, 32 → 32 → dense 1568, conv2dTranspose 16, 1; ${CONV_PARAMS.toLocaleString('en-US')} parameters, Adam 1e-3):`,
  );
  console.table(
    results.map((r) => ({
      engine: r.id,
      threads: r.threads,
      'train samples/s': trainCell(r),
      'train, steps only': fmt(r.ownTimerSamplesPerSec),
      'trained on': r.cannotTrain ? '—' : `${fmt(r.trainImages)} images, batch ${r.batchSize}`,
      'inference images/s': r.cannotInfer ? 'cannot infer' : fmt(r.inferImagesPerSec),
    })),
  );
  const ratioCell = (x) => (x == null ? '—' : `${fmt(x, x < 10 ? 2 : 1)}×`);
  console.log('Conv model, this library ÷ each peer (same run; — where the peer cannot train):');
  console.table(
    ratios.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k === 'id' ? 'engine' : k, k === 'id' ? v : ratioCell(v)])),
    ),
  );
  for (const r of peers) if (r.cannotTrain) console.log(`${r.id} cannot train the conv model: ${r.cannotTrain}`);
  for (const n of notes) console.log(`note: ${n}`);

  const seconds = (performance.now() - started) / 1000;
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const machine = {
    cpu,
    cores: os.availableParallelism(),
    totalMemGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  const date = new Date().toISOString().slice(0, 10);
  console.log(`conv comparison: ${fmt(seconds, 1)} s`);
  if (quick) return { results, ratios, notes, seconds };

  const json = {
    command,
    date,
    machine,
    seconds,
    config: { ...C, inferBatch: INFER_BATCH, params: CONV_PARAMS },
    engines: results,
    ratios,
    notes,
  };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/compare-conv.json', import.meta.url), `${JSON.stringify(json, null, 2)}\n`);
  console.log('wrote bench/results/compare-conv.json');
  await writeDocs({ results, ratios, notes, command, machine, date, seconds, C, byId });
  return { results, ratios, notes, seconds };
}

async function writeDocs({ results, ratios, notes, command, machine, date, seconds, C, byId }) {
  const wasm = byId.get('tfjs:wasm'),
    tfcpu = byId.get('tfjs:cpu');
  const version = wasm.details?.version ?? tfcpu.details?.version;
  const ratioCell = (x) => (x == null ? '—' : `${fmt(x, x < 10 ? 2 : 1)}×`);
  const trainCell = (r) =>
    r.cannotTrain ? 'cannot train' : fmt(r.trainSamplesPerSec, r.trainSamplesPerSec < 100 ? 1 : 0);
  const cannot = results.filter((r) => r.kind === 'tfjs' && r.cannotTrain);
  const cannotText = cannot.length
    ? `${cannot.map((r) => `${r.id} cannot train this model: its training step throws \`${r.cannotTrain}\`; it is measured for inference only`).join('. ')}.`
    : 'Both TF.js backends train this model.';
  const lines = [
    '<!-- compare-conv:start (written by `npm run bench:compare`; edit outside these markers) -->',
    '## Conv model against TensorFlow.js',
    '',
    `Command: \`${command}\` · Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.totalMemGiB.toFixed(0)} GiB, Node ${machine.node}, ${machine.platform} · Date: ${date} · this part took ${fmt(seconds / 60, 1)} minutes`,
    '',
    `${cannotText}`,
    '',
    "The conv model (`CONV` in `bench/reference.js`): conv2d 16 and 32 filters, 3×3, stride 2, 'same', relu → flatten",
    `→ dense 32 (linear code) → dense 1,568 relu → reshape 7×7×32 → conv2dTranspose 16 (relu) and 1 (sigmoid), 3×3, stride 2; ${fmt(CONV_PARAMS)}`,
    'parameters in both libraries (checked by the run); Glorot-uniform weights, zero biases, MSE, Adam 1e-3 (β1 0.9, β2 0.999, ε 1e-7),',
    `on float32 MNIST (pixels/255). TensorFlow.js ${version}: the same layers in tfjs-layers (\`buildConvModel\` in \`bench/tfjs-model.js\`),`,
    'production mode, on `@tensorflow/tfjs-backend-wasm` (one thread) and `@tensorflow/tfjs-backend-cpu`.',
    '',
    `- **Training, this library**: \`fit(train, { epochs: 1 })\` over the first ${fmt(C.ourTrain)} training images, batch ${BATCH}, one epoch per`,
    `  engine per round, ${C.rounds} rounds; the median over rounds 2–${C.rounds}, wall clock around the call (*steps only*: the library's own epoch timer).`,
    `- **Training, TF.js**: a \`trainOnBatch\` loop over shuffled \`tf.gather\` batches, as in the dense comparison. The cpu backend trains`,
    `  this model at about ${fmt(tfcpu.trainSamplesPerSec)} samples/s, so each of its rounds is one batch of ${C.tfBatch} images; the median over rounds 2–${C.rounds}.`,
    `- **Inference**: after each round, a tinybench run per engine of encode + decode: \`reconstruct\` of ${fmt(C.infer)} test images in batches`,
    `  of ${fmt(INFER_BATCH)} for this library and tfjs-wasm (\`model.predict\` on tensors made beforehand, then \`dataSync\`); tfjs-cpu, one`,
    `  batch of ${C.cpuInfer}. The median over the rounds of each round's median.`,
    '',
    '| engine | threads | train samples/s | steps only | inference images/s |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.id} | ${r.threads} | ${trainCell(r)} | ${r.ownTimerSamplesPerSec ? fmt(r.ownTimerSamplesPerSec) : '—'} | ${r.cannotInfer ? 'cannot infer' : fmt(r.inferImagesPerSec)} |`,
    ),
    '',
    'This library ÷ each peer, in the same run (— where the peer cannot train):',
    '',
    '| this library | training ÷ tfjs-wasm | training ÷ tfjs-cpu | inference ÷ tfjs-wasm | inference ÷ tfjs-cpu |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...ratios.map(
      (r) =>
        `| ${r.id} | ${ratioCell(r['train÷tfjs:wasm'])} | ${ratioCell(r['train÷tfjs:cpu'])} | ${ratioCell(r['inference÷tfjs:wasm'])} | ${ratioCell(r['inference÷tfjs:cpu'])} |`,
    ),
    ...(notes.length ? ['', ...notes.map((n) => `Note: ${n}.`)] : []),
    '<!-- compare-conv:end -->',
  ];
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  let doc;
  try {
    doc = await readFile(path, 'utf8');
  } catch {
    doc =
      '# Benchmarks\n\nEvery figure here was written by a command named beside it, on the machine and date given.\n';
  }
  const block = lines.join('\n');
  const re = /<!-- compare-conv:start[\s\S]*?<!-- compare-conv:end -->/;
  doc = re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`;
  const tmp = new URL('../docs/benchmarks.md.tmp', import.meta.url);
  await writeFile(tmp, doc);
  await rename(tmp, path);
  console.log('wrote docs/benchmarks.md (compare-conv block)');
}

const runAlone = process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (runAlone) {
  const flags = process.execArgv.filter((a) => /^--(no-)?experimental-wasm-/.test(a));
  const quick = process.argv.includes('--quick');
  await compareConv({
    quick,
    command: ['node', ...flags, 'bench/compare-conv.js', ...(quick ? ['--quick'] : [])].join(' '),
  });
}
