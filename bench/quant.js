// int8 inference against float inference, one thread, interleaved in one process:
// `node --experimental-wasm-relaxed-simd bench/quant.js [--write] [--rounds N] [--epochs N]`.
// For each build (simd; relaxed where it validates) and each model (the dense reference model
// 784-64-32→32→32-64-784 and the conv model of docs/benchmarks.md), trains on MNIST briefly,
// quantizes, then reconstructs the 10,000 test images in calls of 1,000, float and int8 call by
// call, and prints the median pass time of each and their ratio, the ratio of the sums of each
// call's fastest time ("best ×", the steadier figure on a busy machine), the PSNR of each over
// the whole test set (10·log10(1/MSE)) and the file sizes. `--write` puts the table in
// docs/benchmarks.md between the quant markers.
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import { Autoencoder, supportsRelaxedSimd } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const write = args.includes('--write');
const rounds = flag('--rounds', 15);
const epochs = flag('--epochs', 3);

const MODELS = {
  dense: { inputShape: [28, 28, 1], encoder: [64, 32], latent: 32, decoder: [32, 64] },
  conv: {
    inputShape: [28, 28, 1],
    encoder: [
      { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2 },
      { type: 'conv2d', filters: 32, kernelSize: 3, strides: 2 },
    ],
    latent: 32,
    decoder: 'mirror',
  },
};
const CALL = 1000;

const mnist = await loadMnist();
const test = mnist.test.images;
const count = test.length / 784;
const psnrOf = (out) => {
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    const d = out[i] - test[i] / 255;
    sum += d * d;
  }
  return 10 * Math.log10(out.length / sum);
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

/** One pass over the test set, float and int8 call by call (interleaved finely, so that a busy
 *  machine slows both alike); each call's time is added to its model's pass time, and each call's
 *  fastest time over the rounds is kept in `best`. */
function pass(models, outs, best) {
  const totals = models.map(() => 0);
  for (let c = 0, r = 0; r < count; r += CALL, c++) {
    models.forEach((model, m) => {
      const t0 = performance.now();
      model.reconstruct(test.subarray(r * 784, (r + CALL) * 784), { out: outs[m].subarray(r * 784, (r + CALL) * 784) });
      const t = performance.now() - t0;
      totals[m] += t;
      best[m][c] = Math.min(best[m][c] ?? Infinity, t);
    });
  }
  return totals;
}
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

const builds = supportsRelaxedSimd() ? ['simd', 'relaxed'] : ['simd'];
const rows = [];
for (const name of Object.keys(MODELS)) {
  for (const build of builds) {
    const ae = await Autoencoder.create({ ...MODELS[name], kernels: build, threads: 1, seed: 7 });
    await ae.fit(mnist.train, { epochs: name === 'conv' ? Math.max(1, epochs - 1) : epochs, batchSize: 128 });
    const q = await ae.quantize();
    const fOut = new Float32Array(test.length),
      qOut = new Float32Array(test.length);
    const best = [[], []];
    for (let w = 0; w < 3; w++) pass([ae, q], [fOut, qOut], [[], []]);
    const f = [],
      i8 = [];
    for (let r = 0; r < rounds; r++) {
      const [a, b] = pass([ae, q], [fOut, qOut], best);
      f.push(a);
      i8.push(b);
    }
    const row = {
      model: name,
      build,
      floatMs: median(f),
      int8Ms: median(i8),
      ratio: median(f) / median(i8),
      bestRatio: sum(best[0]) / sum(best[1]),
      floatPsnr: psnrOf(fOut),
      int8Psnr: psnrOf(qOut),
      floatBytes: ae.save().length,
      int8Bytes: q.save().length,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    q.dispose();
    await ae.dispose();
  }
}
const fmt = (x, d = 1) => x.toFixed(d);
console.table(
  rows.map((r) => ({
    model: r.model,
    build: r.build,
    'float ms': fmt(r.floatMs),
    'int8 ms': fmt(r.int8Ms),
    'int8 ×': fmt(r.ratio, 2),
    'best ×': fmt(r.bestRatio, 2),
    'float dB': fmt(r.floatPsnr, 2),
    'int8 dB': fmt(r.int8Psnr, 2),
    'file ÷': fmt(r.floatBytes / r.int8Bytes, 2),
  })),
);

if (write) {
  const lines = [
    '<!-- quant:start (written by `node --experimental-wasm-relaxed-simd bench/quant.js --write`; edit outside these markers) -->',
    `int8 inference (\`ae.quantize()\`) against float inference, 1 thread, reconstructing the 10,000 MNIST test images in calls`,
    `of ${CALL}, float and int8 alternating call by call, ${rounds} passes in one process after 3 warm-up passes (median pass time;`,
    `"best ×": the sums of each call's fastest time). Models trained for ${epochs} epochs (conv: ${Math.max(1, epochs - 1)}) on the 60,000`,
    `training images, batch 128.`,
    `PSNR is over the whole test set, 10·log10(1/MSE). ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| model | build | float ms | int8 ms | int8 × float | best × | float PSNR | int8 PSNR | float file | int8 file |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.build} | ${fmt(r.floatMs)} | ${fmt(r.int8Ms)} | ${fmt(r.ratio, 2)}× | ${fmt(r.bestRatio, 2)}× | ${fmt(r.floatPsnr, 2)} dB | ${fmt(r.int8Psnr, 2)} dB | ${r.floatBytes} B | ${r.int8Bytes} B (÷${fmt(r.floatBytes / r.int8Bytes, 2)}) |`,
    ),
    '<!-- quant:end -->',
  ];
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  let doc = await readFile(path, 'utf8');
  const block = lines.join('\n');
  const re = /<!-- quant:start[\s\S]*?<!-- quant:end -->/;
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n### int8 inference\n\n${block}\n`;
  await writeFile(new URL('../docs/benchmarks.md.tmp', import.meta.url), doc);
  await rename(new URL('../docs/benchmarks.md.tmp', import.meta.url), path);
  console.log('wrote docs/benchmarks.md');
}
