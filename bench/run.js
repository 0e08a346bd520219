// `npm run bench`: measures, prints the tables, and rewrites the core section of
// docs/benchmarks.md with the command, the machine and the date. `--quick` runs a short
// version (for CI: it checks the harness runs, its figures mean little).
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import { coreBench } from './core.js';

const quick = process.argv.includes('--quick');
const result = await coreBench({ quick });

const fmt = (x, digits = 1) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log('\nKernels (GFLOP/s, median of tinybench samples; % of the peak probe of the same build):');
console.table(result.kernels.map((r) => ({ build: r.build, what: r.what, 'GFLOP/s': fmt(r.gflops), 'of peak': `${fmt(100 * r.ofPeak, 0)} %` })));
console.log('Reference model, one thread, full MNIST:');
console.table(result.training.map((r) => ({
  build: r.build, 'train samples/s': fmt(r.trainSamplesPerSec, 0), 'inference images/s': fmt(r.inferImagesPerSec, 0),
  [`test MSE after ${r.epochs} epochs`]: r.testMse.toFixed(5),
})));
if (result.rss) console.log(`Peak RSS, fresh process, full-MNIST training: ${fmt(result.rss.maxRssMB)} MB`);

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
    'Reference model (784-64-32 → 32 → 32-64-784, Adam 1e-3, batch 256), full MNIST, one thread. Training: median',
    `samples/s over the epochs after the first; inference: reconstruct (encode + decode) of the 10,000 test images in batches of 1,000.`,
    '',
    '| build | threads | train samples/s | inference images/s | test MSE |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...result.training.map((r) => `| ${r.build} | ${r.threads} | ${fmt(r.trainSamplesPerSec, 0)} | ${fmt(r.inferImagesPerSec, 0)} | ${r.testMse.toFixed(5)} (${r.epochs} epochs) |`),
    '',
    `Peak RSS of a fresh Node process that loads full MNIST (as bytes) and trains the reference model for one epoch with validation: **${fmt(result.rss.maxRssMB)} MB**.`,
    '<!-- core:end -->',
  ];
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  let doc = '';
  try { doc = await readFile(path, 'utf8'); } catch { doc = '# Benchmarks\n\nEvery figure here was written by a command named beside it, on the machine and date given.\n\n'; }
  const block = lines.join('\n');
  const re = /<!-- core:start[\s\S]*?<!-- core:end -->/;
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
  await writeFile(new URL('../docs/benchmarks.md.tmp', import.meta.url), doc);
  await rename(new URL('../docs/benchmarks.md.tmp', import.meta.url), path);
  console.log('wrote docs/benchmarks.md');
}
