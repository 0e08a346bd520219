// `npm run bench:pytorch`: the conv model here against PyTorch 1.13 (bench/pytorch/, Debian's
// python3-torch on OpenBLAS's OpenMP build; not part of CI) on this machine, in one run: for 1 and
// 2 threads, each engine trains the same model (Keras initialisation, TensorFlow 'same' padding,
// Adam 1e-3, batch 256) for 2 epochs of full MNIST, in turn, twice; training samples/s is the
// median of the second epochs, inference images/s the median of the runs' inference figures.
// Writes the pytorch block of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile, rename, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';
import { CONV, BATCH } from './reference.js';
import { fmt, median } from './stats.js';

const EPOCHS = 2,
  ROUNDS = 2;
const runSh = fileURLToPath(new URL('./pytorch/run.sh', import.meta.url));
const mnist = await loadMnist();
const dir = await mkdtemp(join(tmpdir(), 'wae-pytorch-'));

async function ours(threads) {
  const ae = await Autoencoder.create({ ...CONV, kernels: 'simd', threads });
  const history = await ae.fit(mnist.train, { epochs: EPOCHS, batchSize: BATCH });
  const test = mnist.test.images;
  for (let i = 0; i < 2; i++)
    for (let at = 0; at < test.length; at += 1000 * 784) ae.reconstruct(test.subarray(at, at + 1000 * 784));
  const started = performance.now();
  for (let i = 0; i < 3; i++)
    for (let at = 0; at < test.length; at += 1000 * 784) ae.reconstruct(test.subarray(at, at + 1000 * 784));
  const infer = (3 * mnist.test.count) / ((performance.now() - started) / 1000);
  await ae.dispose();
  return { train: history.epochs[EPOCHS - 1].samplesPerSec, infer };
}

function pytorch(threads) {
  const json = join(dir, `torch-${threads}.json`);
  const out = spawnSync(
    '/bin/sh',
    [
      runSh,
      '--init',
      'keras',
      '--padding',
      'tf',
      '--threads',
      String(threads),
      '--epochs',
      String(EPOCHS),
      '--json',
      json,
    ],
    { encoding: 'utf8' },
  );
  if (out.status !== 0)
    throw new Error(
      `bench/pytorch/run.sh failed (apt-get install python3-torch python3-numpy libopenblas0-openmp): ${out.stderr.trim().split('\n').pop()}`,
    );
  return json;
}

const rows = [];
for (const threads of [1, 2]) {
  const ourRuns = [],
    torchRuns = [];
  for (let r = 0; r < ROUNDS; r++) {
    ourRuns.push(await ours(threads));
    const result = JSON.parse(await readFile(pytorch(threads), 'utf8'));
    torchRuns.push({
      train: result.epochs[EPOCHS - 1].samples_per_s,
      infer: result.inference_images_per_s,
      blas: result.blas,
    });
  }
  const row = {
    threads,
    ourTrain: median(ourRuns.map((r) => r.train)),
    torchTrain: median(torchRuns.map((r) => r.train)),
    ourInfer: median(ourRuns.map((r) => r.infer)),
    torchInfer: median(torchRuns.map((r) => r.infer)),
    blas: torchRuns[0].blas.find((b) => b.includes('openblas')) ?? torchRuns[0].blas[0],
  };
  rows.push(row);
  console.log(
    `${threads} thread(s): training ${Math.round(row.ourTrain)} vs PyTorch ${Math.round(row.torchTrain)} samples/s (${(row.ourTrain / row.torchTrain).toFixed(2)}×); ` +
      `inference ${Math.round(row.ourInfer)} vs ${Math.round(row.torchInfer)} images/s (${(row.ourInfer / row.torchInfer).toFixed(2)}×)`,
  );
}

const machine = `${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores, Node ${process.version}`;
const block = [
  '<!-- pytorch:start (written by `npm run bench:pytorch`; edit outside these markers) -->',
  `Command: \`npm run bench:pytorch\` · Machine: ${machine} · Date: ${new Date().toISOString().slice(0, 10)} · PyTorch: Debian's python3-torch 1.13 on ${rows[0].blas.split('/').pop()}`,
  '',
  `The conv model, the same in both (Keras initialisation, TensorFlow 'same' padding, Adam 1e-3, batch ${BATCH}; bench/pytorch/),`,
  `${EPOCHS} epochs of full MNIST per run, the engines in turn, ${ROUNDS} runs each: training samples/s of the last epoch, inference`,
  'images/s over the test set (ours: reconstruct in calls of 1,000, simd build; PyTorch: batches of 1,024 under no_grad); medians.',
  '',
  '| threads | ours, train samples/s | PyTorch | ours ÷ PyTorch | ours, inference images/s | PyTorch | ours ÷ PyTorch |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.threads} | ${fmt(r.ourTrain)} | ${fmt(r.torchTrain)} | **${(r.ourTrain / r.torchTrain).toFixed(2)}×** | ${fmt(r.ourInfer)} | ${fmt(r.torchInfer)} | **${(r.ourInfer / r.torchInfer).toFixed(2)}×** |`,
  ),
  '<!-- pytorch:end -->',
].join('\n');
const path = new URL('../docs/benchmarks.md', import.meta.url);
let doc = await readFile(path, 'utf8');
const re = /<!-- pytorch:start[\s\S]*?<!-- pytorch:end -->/;
doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n## Conv model against PyTorch\n\n${block}\n`;
await writeFile(new URL('../docs/benchmarks.md.tmp', import.meta.url), doc);
await rename(new URL('../docs/benchmarks.md.tmp', import.meta.url), path);
console.log('wrote docs/benchmarks.md');
