// `npm run bench:conv-seeds`: the conv model of issue #12 (5 epochs of full MNIST, batch 256,
// Adam 1e-3) trained from several seeds, and each run's test MSE after every epoch: how much of a
// single figure is the draw of the initial weights and the shuffles. Weights do not depend on the
// thread count, so this runs on every core. Writes the conv-seeds block of docs/benchmarks.md.
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';
import { CONV, BATCH } from './reference.js';
import { median } from './stats.js';

const SEEDS = [42, 1, 2, 3, 4, 5];
const EPOCHS = 5;
const { train, test } = await loadMnist();
const rows = [];
for (const seed of SEEDS) {
  const ae = await Autoencoder.create({ ...CONV, seed, kernels: 'simd' });
  const history = await ae.fit(train, { epochs: EPOCHS, batchSize: BATCH, validation: test });
  rows.push({ seed, mse: history.epochs.map((e) => e.valMse) });
  console.log(
    `seed ${seed}: ${rows
      .at(-1)
      .mse.map((m) => m.toFixed(5))
      .join(' ')}`,
  );
  await ae.dispose();
}
const last = rows.map((r) => r.mse[EPOCHS - 1]).sort((a, b) => a - b);
const middle = median(last);
const mean = last.reduce((a, b) => a + b, 0) / last.length;
console.log(
  `after ${EPOCHS} epochs: median ${middle.toFixed(5)}, mean ${mean.toFixed(5)}, range ${last[0].toFixed(5)}–${last.at(-1).toFixed(5)}`,
);

const machine = `${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores, Node ${process.version}`;
const block = [
  '<!-- conv-seeds:start (written by `npm run bench:conv-seeds`; edit outside these markers) -->',
  `Command: \`npm run bench:conv-seeds\` · Machine: ${machine} · Date: ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Test MSE of the conv model (simd build) after each epoch of full MNIST, batch ${BATCH}, Adam 1e-3, by seed (${SEEDS[0]} is the`,
  `default): after ${EPOCHS} epochs median **${middle.toFixed(5)}**, mean ${mean.toFixed(5)}, range ${last[0].toFixed(5)}–${last.at(-1).toFixed(5)}.`,
  '',
  `| seed | ${Array.from({ length: EPOCHS }, (_, e) => `epoch ${e + 1}`).join(' | ')} |`,
  `| ---: | ${Array.from({ length: EPOCHS }, () => '---:').join(' | ')} |`,
  ...rows.map((r) => `| ${r.seed} | ${r.mse.map((m) => m.toFixed(5)).join(' | ')} |`),
  '<!-- conv-seeds:end -->',
].join('\n');
const path = new URL('../docs/benchmarks.md', import.meta.url);
let doc = await readFile(path, 'utf8');
const re = /<!-- conv-seeds:start[\s\S]*?<!-- conv-seeds:end -->/;
doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n## Conv model: test MSE by seed\n\n${block}\n`;
await writeFile(new URL('../docs/benchmarks.md.tmp', import.meta.url), doc);
await rename(new URL('../docs/benchmarks.md.tmp', import.meta.url), path);
console.log('wrote docs/benchmarks.md');
