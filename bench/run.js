// `npm run bench`: measures, prints the tables, and rewrites the core section of
// docs/benchmarks.md with the command, the machine and the date. `--quick` runs a short
// version (for CI: it checks the harness runs, its figures mean little).
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import { coreBench } from './core.js';

const quick = process.argv.includes('--quick');
const result = await coreBench({ quick });

const fmt = (x, digits = 1) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log('\nKernels (GFLOP/s, median of tinybench samples; % of the peak probe of the same build):');
console.table(
  result.kernels.map((r) => ({
    build: r.build,
    what: r.what,
    'GFLOP/s': fmt(r.gflops),
    'of peak': `${fmt(100 * r.ofPeak, 0)} %`,
  })),
);
const pct = (x) => `${fmt(100 * x, 0)} %`;
const oneThread = (build) => result.training.find((r) => r.build === build && r.threads === 1);
const speedup = (r) => r.trainSamplesPerSec / oneThread(r.build).trainSamplesPerSec;
const inferSpeedup = (r) => r.inferImagesPerSec / oneThread(r.build).inferImagesPerSec;
console.log('Reference model, full MNIST:');
console.table(
  result.training.map((r) => ({
    build: r.build,
    threads: r.threads,
    'train samples/s': fmt(r.trainSamplesPerSec, 0),
    'train of peak': pct(r.trainOfPeak),
    'train ×': `${fmt(speedup(r), 2)}×`,
    'inference images/s': fmt(r.inferImagesPerSec, 0),
    'of peak': pct(r.inferOfPeak),
    'into out': fmt(r.inferOutImagesPerSec, 0),
    'into out of peak': pct(r.inferOutOfPeak),
    'inference ×': `${fmt(inferSpeedup(r), 2)}×`,
    [`test MSE after ${r.epochs} epochs`]: r.testMse.toFixed(5),
  })),
);
console.log('\nConv model GEMMs, one chunk of 64 images (GFLOP/s, % of the peak probe of the same build):');
console.table(
  result.convKernels
    .filter((r) => !r.what.startsWith('peak'))
    .map((r) => ({ build: r.build, what: r.what, 'GFLOP/s': fmt(r.gflops), 'of peak': `${fmt(100 * r.ofPeak, 0)} %` })),
);
const convOne = (build) => result.conv.find((r) => r.build === build && r.threads === 1);
const cf = result.convFlops;
console.log(
  `Conv model, full MNIST (${fmt(cf.training / 1e6, 2)} MFLOP per training sample, ${fmt(cf.forward / 1e6, 2)} per inference):`,
);
console.table(
  result.conv.map((r) => ({
    build: r.build,
    threads: r.threads,
    'train samples/s': fmt(r.trainSamplesPerSec, 0),
    'train of peak': pct(r.trainOfPeak),
    'train ×': `${fmt(r.trainSamplesPerSec / convOne(r.build).trainSamplesPerSec, 2)}×`,
    'inference images/s': fmt(r.inferImagesPerSec, 0),
    'inference of peak': pct(r.inferOfPeak),
    'into out': fmt(r.inferOutImagesPerSec, 0),
    'into out of peak': pct(r.inferOutOfPeak),
    'inference ×': `${fmt(r.inferImagesPerSec / convOne(r.build).inferImagesPerSec, 2)}×`,
    [`test MSE after ${r.epochs} epochs`]: r.testMse.toFixed(5),
  })),
);
const b = result.barrier;
console.log(
  `Barrier, ${b.threads} threads, no work between meetings: ${fmt(b.spinMicros, 2)} µs spinning first, ${fmt(b.futexMicros, 1)} µs straight to the futex; ${b.perStep} meetings per step`,
);
if (result.rss)
  for (const r of result.rss)
    console.log(`Peak RSS, fresh process, full-MNIST training, ${r.threads} thread(s): ${fmt(r.maxRssMB)} MB`);

if (!quick) {
  const machine = `${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
  const lines = [
    '<!-- core:start (written by `npm run bench`; edit outside these markers) -->',
    '## Kernels and engine',
    '',
    `Command: \`npm run bench\` · Machine: ${machine} · Date: ${new Date().toISOString().slice(0, 10)}`,
    '',
    'GEMM shapes of the reference model at batch 256, as GFLOP/s and as a fraction of the peak probe',
    '(twelve independent f32x4 multiply-add chains, no memory traffic) measured in the same run with the same build.',
    'Medians of tinybench samples.',
    '',
    '| build | what | GFLOP/s | of peak |',
    '| --- | --- | ---: | ---: |',
    ...result.kernels.map((r) => `| ${r.build} | ${r.what} | ${fmt(r.gflops)} | ${fmt(100 * r.ofPeak, 0)} % |`),
    '',
    "Reference model (784-64-32 → 32 → 32-64-784, Adam 1e-3, batch 256), full MNIST (bytes, stored once in the model's",
    'memory with `ae.dataset()`). Training: median samples/s over the epochs after the first; inference: reconstruct (encode + decode) of the 10,000 test images in calls of 1,000, each',
    'returning a new array, and *into out*: the same calls writing into one array the caller keeps (`{ out }`). A new',
    "array's pages are first touched when the results are copied in, a cost of the operating system that",
    '`node bench/first-touch.js` measures against the arithmetic.',
    'Ratios are to one thread of the same build, in the same run. Weights are bit-identical for every thread count.',
    '',
    `Of peak: samples/s × FLOPs per sample (${fmt(result.denseFlops.training / 1e6, 3)} MFLOP training, ${fmt(result.denseFlops.forward / 1e6, 3)} inference: 2 × the`,
    'multiply-adds of forward and backward) ÷ the peak probe of the same build, measured beside each epoch and each',
    "inference pass (after every epoch; around every pass), since this host's speed drifts within minutes; the median",
    'over epochs and passes. With 2 threads it can pass 100 %.',
    '',
    '| build | threads | train samples/s | train of peak | train × | inference images/s | inference of peak | into out | into out of peak | inference × | test MSE |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.training.map(
      (r) =>
        `| ${r.build} | ${r.threads} | ${fmt(r.trainSamplesPerSec, 0)} | ${pct(r.trainOfPeak)} | ${fmt(speedup(r), 2)}× | ${fmt(r.inferImagesPerSec, 0)} | ${pct(r.inferOfPeak)} | ${fmt(r.inferOutImagesPerSec, 0)} | ${pct(r.inferOutOfPeak)} | ${fmt(inferSpeedup(r), 2)}× | ${r.testMse.toFixed(5)} (${r.epochs} epochs) |`,
    ),
    '',
    '### Conv model',
    '',
    'The conv model of issue #12 (conv2d 16 and 32 filters, 3×3, stride 2 → code 32 → dense to 7·7·32, conv2dTranspose 16',
    `and 1, 3×3, stride 2; 111,521 parameters; Adam 1e-3, batch 256): ${fmt(cf.training / 1e6, 3)} MFLOP per training sample, ${fmt(cf.forward / 1e6, 3)} per inference.`,
    'Each layer is a GEMM over a chunk of 64 images (conv2d on im2col patches, conv2dTranspose as X·Wᵀ then col2im); the',
    'shapes below are the ones the engine calls, as a fraction of the same peak probe.',
    '',
    '| build | GEMM of one chunk | GFLOP/s | of peak |',
    '| --- | --- | ---: | ---: |',
    ...result.convKernels
      .filter((r) => !r.what.startsWith('peak'))
      .map((r) => `| ${r.build} | ${r.what} | ${fmt(r.gflops)} | ${fmt(100 * r.ofPeak, 0)} % |`),
    '',
    'Full MNIST, as above: training the median samples/s of the epochs after the first; inference reconstruct of the test set.',
    '',
    '| build | threads | train samples/s | train of peak | train × | inference images/s | inference of peak | into out | into out of peak | inference × | test MSE |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.conv.map(
      (r) =>
        `| ${r.build} | ${r.threads} | ${fmt(r.trainSamplesPerSec, 0)} | ${pct(r.trainOfPeak)} | ${fmt(r.trainSamplesPerSec / convOne(r.build).trainSamplesPerSec, 2)}× | ${fmt(r.inferImagesPerSec, 0)} | ${pct(r.inferOfPeak)} | ${fmt(r.inferOutImagesPerSec, 0)} | ${pct(r.inferOutOfPeak)} | ${fmt(r.inferImagesPerSec / convOne(r.build).inferImagesPerSec, 2)}× | ${r.testMse.toFixed(5)} (${r.epochs} epochs) |`,
    ),
    '',
    `Barrier (${b.threads} threads, no work between meetings, ${b.perStep} meetings per training step): **${fmt(b.spinMicros, 2)} µs** per meeting`,
    `when threads poll briefly before sleeping, ${fmt(b.futexMicros, 1)} µs when they go straight to Atomics.wait.`,
    '',
    "Peak RSS of a fresh Node process that reads full MNIST from its IDX files straight into the model's memory",
    "(`ae.dataset(await streamMnist('train'))` and the test set likewise, as bytes: 55 MB held once, none of it in JavaScript)",
    'and trains the reference model for one epoch with the test set as validation (bench/rss-child.js; goals: 1 thread ≤ 110 MB, 2 threads ≤ 130 MB):',
    '',
    '| threads | peak RSS |',
    '| ---: | ---: |',
    ...result.rss.map((r) => `| ${r.threads} | ${fmt(r.maxRssMB)} MB |`),
    '<!-- core:end -->',
  ];
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  let doc = '';
  try {
    doc = await readFile(path, 'utf8');
  } catch {
    doc =
      '# Benchmarks\n\nEvery figure here was written by a command named beside it, on the machine and date given.\n\n';
  }
  const block = lines.join('\n');
  const re = /<!-- core:start[\s\S]*?<!-- core:end -->/;
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
  await writeFile(new URL('../docs/benchmarks.md.tmp', import.meta.url), doc);
  await rename(new URL('../docs/benchmarks.md.tmp', import.meta.url), path);
  console.log('wrote docs/benchmarks.md');
}
