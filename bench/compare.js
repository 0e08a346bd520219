// `npm run bench:compare`: this library against TensorFlow.js 4.22 (tfjs-backend-wasm, SIMD, one
// thread; and tfjs-backend-cpu) on the reference model and real MNIST, in one process run.
//
// - Training: every engine trains the same model on the same float32 data, one epoch per
//   engine per round (A B C … A B C …) so that drift hits all alike; samples/s is the median
//   over the epochs after the first, each epoch timed whole (wall clock around the call).
// - Inference: after each round, a short tinybench run per engine of encode + decode over the
//   inference sample in batches of 1,000 (reconstruct for us; model.predict + dataSync for
//   TF.js); images/s from the median over the rounds' medians.
// - Test MSE: the same JavaScript function over every engine's reconstructions of the test set,
//   after the same number of epochs.
// - Peak RSS and cold start: one fresh child process per engine (compare-child.js).
//
// Writes bench/results/compare.json; a full run also rewrites the compare block of
// docs/benchmarks.md. `--quick` (CI) runs in seconds on a small subset, prints the tables and
// writes the JSON only. `--epochs=N` and `--cpu-epochs=N` override the epoch counts.
//
// Then the conv model the same way (compare-conv.js): its own table and docs block.
import { Bench } from 'tinybench';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { supportsRelaxedSimd } from '../dist/entries/index.js';
import { loadMnistF32 } from './mnist-f32.js';
import { createEngine, ourId, INFER_BATCH } from './compare-engines.js';
import { compareConv } from './compare-conv.js';
import { fmt, median } from './stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const numberArg = (name, fallback) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  if (!hit) return fallback;
  const n = Number(hit.slice(name.length + 3));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${hit}`);
  return n;
};

// Full mode: every engine trains 4 epochs on the 60,000 images, except TF.js cpu (the slowest
// by far: its samples/s in docs/benchmarks.md), which trains 3; so the test MSE of every engine is compared after 3 epochs (and
// after 4 for the others). Quick mode: 2,000 images, 2 epochs, 2,000 test images.
const CONFIG = quick
  ? {
      trainLimit: 2000,
      testLimit: 2000,
      epochs: numberArg('epochs', 2),
      cpuEpochs: numberArg('cpu-epochs', 2),
      inferMs: 40,
    }
  : {
      trainLimit: undefined,
      testLimit: undefined,
      epochs: numberArg('epochs', 4),
      cpuEpochs: numberArg('cpu-epochs', 3),
      inferMs: 400,
    };
CONFIG.cpuEpochs = Math.min(CONFIG.cpuEpochs, CONFIG.epochs);

const runStarted = performance.now();
/** Mean over all pixels of (reconstruction − original)², summed in float64: one function for every engine. */
function mse(reconstruction, original) {
  if (reconstruction.length !== original.length)
    throw new Error(`mse: ${reconstruction.length} values against ${original.length}`);
  let sum = 0;
  for (let i = 0; i < original.length; i++) {
    const d = reconstruction[i] - original[i];
    sum += d * d;
  }
  return sum / original.length;
}

// ---- engines -----------------------------------------------------------------------------------
const notes = [];
const kernelBuilds = ['simd'];
if (supportsRelaxedSimd()) kernelBuilds.push('relaxed');
else {
  const note =
    'relaxed SIMD is not available in this runtime (Node 20 needs --experimental-wasm-relaxed-simd, which `npm run bench:compare` passes): the relaxed engines are skipped';
  notes.push(note);
  console.log(`note: ${note}`);
}
const ourIds = kernelBuilds.flatMap((k) => [ourId(k, 1), ourId(k, 2)]);
const peerIds = ['tfjs:wasm', 'tfjs:cpu'];
const engineIds = [...ourIds, ...peerIds];
const epochsOf = (id) => (id === 'tfjs:cpu' ? CONFIG.cpuEpochs : CONFIG.epochs);
const mseEpochs = Math.min(...engineIds.map(epochsOf));

const mnist = loadMnistF32({ trainLimit: CONFIG.trainLimit, testLimit: CONFIG.testLimit });
const data = { train: mnist.train, test: mnist.test, infer: mnist.test.images };
console.log(
  `MNIST: ${mnist.train.count} training images, ${mnist.test.count} test images (float32, pixels/255)` +
    `; ${CONFIG.epochs} epochs (tfjs:cpu ${CONFIG.cpuEpochs}), test MSE compared after ${mseEpochs}; ${quick ? 'quick mode' : 'full mode'}`,
);

const engines = [];
for (const id of engineIds) engines.push(await createEngine(id, data)); // one at a time: TF.js switches backends
const tf = engines.find((e) => e.kind === 'tfjs')?.tf;
// Tensors must stay on the backend that made them: count any move between backends.
let tensorMoves = 0;
if (tf) {
  const tfEngine = tf.engine();
  const moveData = tfEngine.moveData.bind(tfEngine);
  tfEngine.moveData = (backend, dataId) => {
    tensorMoves++;
    return moveData(backend, dataId);
  };
}
const state = new Map(
  engines.map((e) => [e.id, { epochSeconds: [], selfSamplesPerSec: [], losses: [], inferRoundMedians: [], mse: {} }]),
);

// ---- interleaved rounds ---------------------------------------------------------------------------
const rounds = Math.max(...engineIds.map(epochsOf));
const memoryLog = [];
for (let round = 1; round <= rounds; round++) {
  for (const e of engines) {
    if (round > epochsOf(e.id)) continue;
    const s = state.get(e.id);
    await e.activate();
    const t0 = performance.now();
    const r = await e.trainEpoch();
    s.epochSeconds.push((performance.now() - t0) / 1000);
    s.losses.push(r.loss);
    if (r.selfSamplesPerSec) s.selfSamplesPerSec.push(r.selfSamplesPerSec);
    if (round === mseEpochs || round === epochsOf(e.id)) s.mse[round] = mse(e.reconstructTest(), data.test.images);
  }
  for (const e of engines) {
    await e.activate();
    const bench = new Bench({
      time: CONFIG.inferMs,
      iterations: 1,
      warmup: round === 1,
      warmupIterations: 1,
      warmupTime: 0,
      throws: true,
    });
    bench.add(e.id, () => e.inferAll());
    await bench.run();
    state.get(e.id).inferRoundMedians.push(bench.getTask(e.id).result.latency.p50 / 1000);
  }
  memoryLog.push({
    round,
    rssMB: process.memoryUsage().rss / 2 ** 20,
    tfjsTensors: tf ? tf.memory().numTensors : null,
  });
  const done = engines
    .filter((e) => round <= epochsOf(e.id))
    .map((e) => `${e.id} ${fmt(data.train.count / state.get(e.id).epochSeconds.at(-1))}`)
    .join(' · ');
  console.log(`round ${round}/${rounds} (${fmt((performance.now() - runStarted) / 1000, 1)} s): samples/s ${done}`);
}
for (const e of engines) await e.dispose();
const tensorsGrew = memoryLog.length > 1 && memoryLog.at(-1).tfjsTensors !== memoryLog[0].tfjsTensors;

// ---- one child process per engine: peak RSS and cold start ------------------------------------
const childPath = fileURLToPath(new URL('./compare-child.js', import.meta.url));
// Only the wasm feature flags pass on (never -e/--eval and the like, which would re-run a caller's code).
const childFlags = process.execArgv.filter((a) => /^--(no-)?experimental-wasm-/.test(a));
// On Linux a child's ru_maxrss starts from its parent's RSS at the spawn (it survives the exec):
// spawned straight from this process (1 GB by now) every child would report at least that. A
// small shell in between (which forks the child rather than exec'ing into it) resets that floor.
function child(id) {
  const args = [...childFlags, childPath, id, ...(quick ? ['--quick'] : [])];
  const out =
    process.platform === 'win32'
      ? spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 })
      : spawnSync('/bin/sh', ['-c', '"$0" "$@"; exit $?', process.execPath, ...args], {
          encoding: 'utf8',
          timeout: 600_000,
        });
  if (out.status !== 0)
    throw new Error(`compare-child ${id} failed (status ${out.status}, signal ${out.signal}): ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}
const children = new Map();
for (const id of ['baseline', ...engineIds]) {
  children.set(id, child(id));
  console.log(
    `child ${id}: peak RSS ${fmt(children.get(id).maxRssMB, 1)} MB${id === 'baseline' ? ' (MNIST only)' : `, cold start ${fmt(children.get(id).coldStartMs)} ms`}`,
  );
}

// ---- results --------------------------------------------------------------------------------------
const results = engines.map((e) => {
  const s = state.get(e.id);
  const later = s.epochSeconds.length > 1 ? s.epochSeconds.slice(1) : s.epochSeconds;
  const c = children.get(e.id);
  return {
    id: e.id,
    kind: e.kind,
    threads: e.threads,
    details: e.details,
    epochs: s.epochSeconds.length,
    trainSamplesPerSec: data.train.count / median(later),
    epochSamplesPerSec: s.epochSeconds.map((t) => data.train.count / t),
    ownTimerSamplesPerSec: s.selfSamplesPerSec.length
      ? median(s.selfSamplesPerSec.slice(s.selfSamplesPerSec.length > 1 ? 1 : 0))
      : null,
    // Wall clock of the fit() call minus the library's own epoch timer: fit's per-call set-up.
    perCallOverheadMs: s.selfSamplesPerSec.length
      ? median(
          s.epochSeconds
            .map((t, i) => 1000 * (t - data.train.count / s.selfSamplesPerSec[i]))
            .slice(s.epochSeconds.length > 1 ? 1 : 0),
        )
      : null,
    inferImagesPerSec: data.infer.length / 784 / median(s.inferRoundMedians),
    inferRoundSeconds: s.inferRoundMedians,
    losses: s.losses,
    testMse: s.mse,
    peakRssMB: c.maxRssMB,
    coldStartMs: c.coldStartMs,
    childTrained: c.trained,
    childSeconds: c.trainSeconds,
  };
});
const byId = new Map(results.map((r) => [r.id, r]));
const ratios = ourIds.map((id) => {
  const o = byId.get(id);
  const row = { id };
  for (const p of peerIds) {
    row[`train÷${p}`] = o.trainSamplesPerSec / byId.get(p).trainSamplesPerSec;
    row[`train (steps only)÷${p}`] = o.ownTimerSamplesPerSec / byId.get(p).trainSamplesPerSec;
    row[`inference÷${p}`] = o.inferImagesPerSec / byId.get(p).inferImagesPerSec;
  }
  return row;
});
const lastEpochs = CONFIG.epochs;
console.log(
  `\nReference model (784-64-32 → 32 → 32-64-784, Adam 1e-3, batch 256), ${data.train.count} training images:`,
);
console.table(
  results.map((r) => ({
    engine: r.id,
    threads: r.threads,
    'train samples/s': fmt(r.trainSamplesPerSec),
    'train, steps only': fmt(r.ownTimerSamplesPerSec),
    'inference images/s': fmt(r.inferImagesPerSec),
    [`test MSE @${mseEpochs} ep`]: r.testMse[mseEpochs]?.toFixed(5) ?? '—',
    ...(lastEpochs !== mseEpochs ? { [`test MSE @${lastEpochs} ep`]: r.testMse[lastEpochs]?.toFixed(5) ?? '—' } : {}),
    'peak RSS MB': fmt(r.peakRssMB, 1),
    'cold start ms': fmt(r.coldStartMs),
  })),
);
console.log('This library ÷ each peer (same run):');
console.table(
  ratios.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k === 'id' ? 'engine' : k, k === 'id' ? v : `${fmt(v, 2)}×`]),
    ),
  ),
);
// Issue #13's goal: one thread, training ≥ 12× TF.js wasm and inference ≥ 3.5× (float).
const GOAL = { train: 12, inference: 3.5 };
const goal = ourIds
  .filter((id) => id.endsWith(':1t'))
  .map((id) => {
    const r = ratios.find((x) => x.id === id);
    const trainSteps = r['train (steps only)÷tfjs:wasm'];
    return {
      id,
      train: r['train÷tfjs:wasm'],
      trainStepsOnly: trainSteps,
      inference: r['inference÷tfjs:wasm'],
      met: r['train÷tfjs:wasm'] >= GOAL.train && r['inference÷tfjs:wasm'] >= GOAL.inference,
      metStepsOnly: trainSteps >= GOAL.train && r['inference÷tfjs:wasm'] >= GOAL.inference,
    };
  });
const goalText = (g) =>
  `${g.id}: training ${fmt(g.train, 2)}× (steps only ${fmt(g.trainStepsOnly, 2)}×), inference ${fmt(g.inference, 2)}×` +
  ` → ${g.met ? 'met' : 'not met'}${g.met === g.metStepsOnly ? '' : ` (steps only: ${g.metStepsOnly ? 'met' : 'not met'})`}`;
for (const g of goal)
  console.log(
    `goal (one thread vs tfjs:wasm: training ≥ ${GOAL.train}×, inference ≥ ${GOAL.inference}×): ${goalText(g)}`,
  );
const baselineRss = children.get('baseline').maxRssMB;
console.log(
  `Peak RSS of a child that only loads the data (the floor under every engine's figure): ${fmt(baselineRss, 1)} MB`,
);
if (tensorMoves) console.log(`warning: ${tensorMoves} TF.js tensor moves between backends`);
if (tensorsGrew)
  console.log(`warning: TF.js tensor count grew over the rounds: ${memoryLog.map((m) => m.tfjsTensors).join(' → ')}`);

const seconds = (performance.now() - runStarted) / 1000;
const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const machine = {
  cpu,
  cores: os.availableParallelism(),
  totalMemGiB: os.totalmem() / 2 ** 30,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
};
const machineText = `${cpu}, ${machine.cores} cores, ${machine.totalMemGiB.toFixed(0)} GiB, Node ${process.version}, ${machine.platform}`;
const date = new Date().toISOString().slice(0, 10);
const command = quick ? 'npm run bench:compare -- --quick' : 'npm run bench:compare';
const json = {
  command,
  quick,
  date,
  machine,
  seconds,
  config: {
    ...CONFIG,
    trainImages: data.train.count,
    testImages: data.test.count,
    inferImages: data.infer.length / 784,
    inferBatch: INFER_BATCH,
    mseEpochs,
  },
  engines: results,
  ratios,
  goal,
  baselineRssMB: baselineRss,
  tfjs: { tensorMovesBetweenBackends: tensorMoves, tensorsGrew },
  memoryLog,
  notes,
};
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/compare.json', import.meta.url), `${JSON.stringify(json, null, 2)}\n`);
console.log(`wrote bench/results/compare.json (${fmt(seconds, 1)} s in all)`);

if (!quick) await writeDocs();

// The conv model against TensorFlow.js (compare-conv.js), in the same process after the dense engines are gone.
await compareConv({ quick, command });

async function writeDocs() {
  const wasm = byId.get('tfjs:wasm'),
    tfcpu = byId.get('tfjs:cpu');
  const mseCell = (r, n) => (r.testMse[n] != null ? r.testMse[n].toFixed(5) : '—');
  const ratioCell = (x) => `${fmt(x, 2)}×`;
  const twoMse = CONFIG.epochs !== mseEpochs;
  const overheads = ourIds
    .map((id) => `${fmt(byId.get(id).perCallOverheadMs)} ms (${id.split(':').slice(1).join(', ')})`)
    .join(', ');
  const lines = [
    '<!-- compare:start (written by `npm run bench:compare`; edit outside these markers) -->',
    '## Against TensorFlow.js',
    '',
    `Command: \`${command}\` · Machine: ${machineText} · Date: ${date} · the whole run took ${fmt(seconds / 60, 1)} minutes`,
    '',
    'The reference model (784-64-32 → 32 → 32-64-784, relu, linear code, sigmoid output, MSE, Adam 1e-3 with β1 0.9,',
    'β2 0.999, ε 1e-7, batch 256, Glorot-uniform weights, zero biases, shuffled every epoch) on the same float32 MNIST',
    `arrays (pixels/255; ${fmt(data.train.count)} training, ${fmt(data.test.count)} test images), trained by this library`,
    '(`Autoencoder.create({ ...REFERENCE, kernels, threads })`, one and two threads, each kernel build) and by',
    `TensorFlow.js ${wasm.details.version}: a tfjs-layers \`tf.sequential()\` of dense layers, \`tf.train.adam(1e-3, 0.9, 0.999, 1e-7)\`,`,
    `\`'meanSquaredError'\`, production mode, on \`@tensorflow/tfjs-backend-wasm\` (XNNPACK, SIMD build${wasm.details.simd ? '' : ' NOT available'}, one thread:`,
    'that backend never starts threads in Node) and on `@tensorflow/tfjs-backend-cpu` (plain JavaScript). TF.js trains',
    'with a `trainOnBatch` loop over shuffled `tf.gather` batches of one training tensor, which measured faster than',
    '`model.fit(x, x, { batchSize: 256, shuffle: true })` on both backends (about 7,450 against 6,500 samples/s on wasm).',
    `Its tensors stay on the backend that made them (moves between backends in this run: ${tensorMoves}) and its tensor`,
    `count stays flat over the rounds${tensorsGrew ? ' (NOT in this run: it grew, see the JSON)' : ''}.`,
    '',
    '- **One process, interleaved**: each round trains one epoch of every engine in turn, then times inference of each.',
    `- **Training**: whole epochs timed with the wall clock around the call; the median over the epochs after the first.`,
    '  For this library that call is `fit(train, { epochs: 1 })` on a Dataset made once when the engine is set up',
    `  (\`ae.dataset(images)\`: the check that the 47 M input floats lie in [0, 1] and the copy into the model's memory, ${ourIds.map((id) => `${fmt(engines.find((e) => e.id === id).details.datasetMs)} ms`).join(', ')}),`,
    `  so an epoch pays only fit's per-call set-up: ${overheads}. The *steps only* column is the library's own epoch timer`,
    "  (every step of the epoch, none of that per-call work). TF.js's epoch (shuffle, gathers, steps) has no such part.",
    ...(CONFIG.cpuEpochs < CONFIG.epochs
      ? [
          `- **Epochs**: TF.js cpu takes about ${fmt(data.train.count / tfcpu.trainSamplesPerSec)} s an epoch here, so it trains ${CONFIG.cpuEpochs} epochs and every other engine ${CONFIG.epochs}: its`,
          `  median is over epochs 2–${CONFIG.cpuEpochs}, and the test MSE of all engines is compared after ${mseEpochs} epochs (after ${CONFIG.epochs} as well for the others).`,
        ]
      : [`- **Epochs**: every engine trains ${CONFIG.epochs} epochs; the test MSE is compared after the last.`]),
    `- **Inference**: encode + decode of the ${fmt(data.infer.length / 784)} test images in batches of ${fmt(INFER_BATCH)}: \`reconstruct\` for this library;`,
    '  `model.predict` on input tensors made beforehand, each result read back with `dataSync` and disposed, for TF.js.',
    "  A tinybench run per engine per round; the median over the rounds of each round's median.",
    '- **Test MSE**: one JavaScript function, the mean over all pixels of (reconstruction − original)², over each',
    "  engine's reconstructions of the test set.",
    '- **Peak RSS** and **cold start**: a fresh child process per engine loads the training set as float32',
    `  (${fmt(baselineRss, 1)} MB peak RSS for that alone), trains one epoch and reports \`process.resourceUsage().maxRSS\`. Cold start`,
    "  is the time from just before the first import of the engine's package to the end of its first trained batch",
    '  (TF.js: loading, backend initialisation, model, training tensor, first step). Each child is started through a',
    "  small shell, since on Linux a process spawned directly inherits its parent's RSS as the floor of its `maxRSS`.",
    '- Two-thread figures need both cores free: any other load on this 2-core machine during the run lowers them most',
    '  (the per-epoch figures are in `bench/results/compare.json`).',
    '',
    `| engine | threads | train samples/s | steps only | inference images/s | test MSE after ${mseEpochs} epochs |${twoMse ? ` after ${CONFIG.epochs} |` : ''} peak RSS | cold start |`,
    `| --- | ---: | ---: | ---: | ---: | ---: |${twoMse ? ' ---: |' : ''} ---: | ---: |`,
    ...results.map(
      (r) =>
        `| ${r.id} | ${r.threads} | ${fmt(r.trainSamplesPerSec)} | ${r.ownTimerSamplesPerSec ? fmt(r.ownTimerSamplesPerSec) : '—'} | ${fmt(r.inferImagesPerSec)} | ${mseCell(r, mseEpochs)} |${twoMse ? ` ${mseCell(r, CONFIG.epochs)} |` : ''} ${fmt(r.peakRssMB, 1)} MB | ${fmt(r.coldStartMs)} ms |`,
    ),
    '',
    'This library ÷ each peer, in the same run (training: wall clock; in brackets: steps only):',
    '',
    '| this library | training ÷ tfjs-wasm | training ÷ tfjs-cpu | inference ÷ tfjs-wasm | inference ÷ tfjs-cpu |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...ratios.map(
      (r) =>
        `| ${r.id} | ${ratioCell(r['train÷tfjs:wasm'])} (${ratioCell(r['train (steps only)÷tfjs:wasm'])}) | ${ratioCell(r['train÷tfjs:cpu'])} (${ratioCell(r['train (steps only)÷tfjs:cpu'])}) | ${ratioCell(r['inference÷tfjs:wasm'])} | ${ratioCell(r['inference÷tfjs:cpu'])} |`,
    ),
    '',
    `Goal, one thread against tfjs-wasm (training ≥ ${GOAL.train}×, inference ≥ ${GOAL.inference}× float): ${goal.map(goalText).join('; ')}.`,
    ...(notes.length ? ['', ...notes.map((n) => `Note: ${n}.`)] : []),
    '<!-- compare:end -->',
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
  const re = /<!-- compare:start[\s\S]*?<!-- compare:end -->/;
  doc = re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`;
  const tmp = new URL('../docs/benchmarks.md.tmp', import.meta.url);
  await writeFile(tmp, doc);
  await rename(tmp, path);
  console.log('wrote docs/benchmarks.md (compare block)');
}
