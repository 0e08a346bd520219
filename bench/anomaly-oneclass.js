// `node bench/anomaly-oneclass.js`: one-class anomaly detection on MNIST, the literature's protocol
// (Ruff et al. 2018 and after): for each digit d, train on the training images of d only, score all
// 10,000 test images, and measure the ROC AUC of "label ≠ d". Every score comes from public calls
// (reconstruct, encode) and the normal training images. A full run writes the table into
// docs/uses.md between the oneclass markers. `--digits 0,8` runs a subset, `--quick` a short
// version (2 epochs, 2,000 test images) that checks the harness; neither writes the doc.
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';

const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const quick = process.argv.includes('--quick');
const digits = (argValue('--digits') ?? '0,1,2,3,4,5,6,7,8,9').split(',').map(Number);
if (digits.some((d) => !Number.isInteger(d) || d < 0 || d > 9))
  throw new Error(`--digits: expected digits 0-9 separated by commas, got ${argValue('--digits')}`);
const EPOCHS = quick ? 2 : 10;
const BATCH = 64;
const PIXELS = 784;
const KNN_K = 5;
const ENSEMBLE_SEEDS = [1, 2, 3];

const dense = (seed) => ({ encoder: [64, 32], latent: 32, seed, threads: 1 });
const conv = (seed) => ({
  inputShape: [28, 28, 1],
  encoder: [
    { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2 },
    { type: 'conv2d', filters: 32, kernelSize: 3, strides: 2 },
  ],
  latent: 32,
  decoder: 'mirror',
  optimizer: { type: 'adam', learningRate: 1e-3 },
  seed,
  threads: 1,
});

const { train, test } = await loadMnist(quick ? { testLimit: 2000 } : {});

function imagesOfDigit(set, digit) {
  let n = 0;
  for (const label of set.labels) if (label === digit) n++;
  const out = new Uint8Array(n * PIXELS);
  for (let i = 0, k = 0; i < set.count; i++)
    if (set.labels[i] === digit) out.set(set.images.subarray(i * PIXELS, (i + 1) * PIXELS), PIXELS * k++);
  return out;
}

/** Exact ROC AUC from ranks (Mann-Whitney U), tied scores counted half. */
function rocAuc(scores, isAnomaly) {
  const n = scores.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (isAnomaly[order[k]]) {
        rankSum += midRank;
        positives++;
      }
    i = j + 1;
  }
  const negatives = n - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Per image, from x (bytes) and its reconstruction r (floats in [0, 1]), with e = Σ(x − r)²:
 *  mse = e / 784; relative = e / (‖x‖² + ‖r‖²); normalized = e / √(‖x‖² + ‖r‖²), the geometric mean
 *  of the two up to a constant: it keeps the absolute error's ranking of large errors but no longer
 *  calls a thin digit normal just because it has little ink. */
function pixelScores(images, reconstructions) {
  const n = images.length / PIXELS;
  const mse = new Float32Array(n),
    relative = new Float32Array(n),
    normalized = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let e = 0,
      xx = 0,
      rr = 0;
    for (let p = i * PIXELS; p < (i + 1) * PIXELS; p++) {
      const x = images[p] / 255,
        r = reconstructions[p];
      e += (x - r) ** 2;
      xx += x * x;
      rr += r * r;
    }
    mse[i] = e / PIXELS;
    relative[i] = e / (xx + rr + 1e-3);
    normalized[i] = e / Math.sqrt(xx + rr + 1e-3);
  }
  return { mse, relative, normalized };
}

/** Codes standardized per dimension with the reference codes' mean and standard deviation. */
function standardizer(reference, dims) {
  const n = reference.length / dims,
    mean = new Float64Array(dims),
    sd = new Float64Array(dims);
  for (let i = 0; i < reference.length; i++) mean[i % dims] += reference[i] / n;
  for (let i = 0; i < reference.length; i++) sd[i % dims] += (reference[i] - mean[i % dims]) ** 2 / n;
  for (let j = 0; j < dims; j++) sd[j] = Math.sqrt(sd[j]) + 1e-8;
  return (codes) => Float32Array.from(codes, (v, i) => (v - mean[i % dims]) / sd[i % dims]);
}

/** Mean Euclidean distance of each query to its k nearest reference rows; `leaveSelfOut` when the
 *  queries are the reference itself (each row's nearest, itself, is skipped). */
function knnDistance(reference, queries, dims, k, leaveSelfOut = false) {
  const nr = reference.length / dims,
    nq = queries.length / dims,
    out = new Float32Array(nq);
  const refNorm = new Float64Array(nr);
  for (let i = 0; i < nr; i++) for (let j = 0; j < dims; j++) refNorm[i] += reference[i * dims + j] ** 2;
  const kept = k + (leaveSelfOut ? 1 : 0),
    best = new Float64Array(kept);
  for (let q = 0; q < nq; q++) {
    best.fill(Infinity);
    let qNorm = 0;
    for (let j = 0; j < dims; j++) qNorm += queries[q * dims + j] ** 2;
    for (let i = 0; i < nr; i++) {
      let dot = 0;
      for (let j = 0; j < dims; j++) dot += queries[q * dims + j] * reference[i * dims + j];
      const d2 = qNorm + refNorm[i] - 2 * dot;
      if (d2 < best[kept - 1]) {
        let p = kept - 1;
        while (p > 0 && best[p - 1] > d2) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = d2;
      }
    }
    let sum = 0;
    for (let j = leaveSelfOut ? 1 : 0; j < kept; j++) sum += Math.sqrt(Math.max(0, best[j]));
    out[q] = sum / k;
  }
  return out;
}

/** z-score of log(score), with the mean and standard deviation of the normal training images' scores. */
function logZ(referenceScores) {
  const logs = Array.from(referenceScores, (v) => Math.log(v + 1e-12));
  const mean = logs.reduce((s, v) => s + v, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((s, v) => s + (v - mean) ** 2, 0) / logs.length);
  return (scores) => Float32Array.from(scores, (v) => (Math.log(v + 1e-12) - mean) / sd);
}
const sum = (...arrays) => arrays[0].map((_, i) => arrays.reduce((s, a) => s + a[i], 0));

async function trained(options, images) {
  const ae = await Autoencoder.create(options);
  await ae.fit(images, { epochs: EPOCHS, batchSize: BATCH });
  return ae;
}

const COLUMNS = [
  ['denseMse', 'dense, reconstruction MSE'],
  ['convMse', 'conv, reconstruction MSE'],
  ['denseNormalized', 'dense, normalized error'],
  ['convNormalized', 'conv, normalized error'],
  ['convRelativeKnn', 'conv, relative error + code kNN'],
  ['denseEnsemble', `dense × ${ENSEMBLE_SEEDS.length} seeds, normalized error`],
];
const rows = [];
const seconds = [];
for (const digit of digits) {
  const start = performance.now();
  const normal = imagesOfDigit(train, digit);
  const isAnomaly = Array.from(test.labels, (label) => label !== digit);
  const row = { digit, normal: normal.length / PIXELS };

  const ensembleZ = [];
  for (const seed of ENSEMBLE_SEEDS) {
    const ae = await trained(dense(seed), normal);
    const onTest = pixelScores(test.images, ae.reconstruct(test.images));
    if (seed === ENSEMBLE_SEEDS[0]) {
      row.denseMse = rocAuc(onTest.mse, isAnomaly);
      row.denseNormalized = rocAuc(onTest.normalized, isAnomaly);
    }
    ensembleZ.push(logZ(pixelScores(normal, ae.reconstruct(normal)).normalized)(onTest.normalized));
    await ae.dispose();
  }
  row.denseEnsemble = rocAuc(sum(...ensembleZ), isAnomaly);

  const ae = await trained(conv(1), normal);
  const onTrain = pixelScores(normal, ae.reconstruct(normal));
  const onTest = pixelScores(test.images, ae.reconstruct(test.images));
  row.convMse = rocAuc(onTest.mse, isAnomaly);
  row.convNormalized = rocAuc(onTest.normalized, isAnomaly);
  const standardize = standardizer(ae.encode(normal), ae.latentSize);
  const codesTrain = standardize(ae.encode(normal)),
    codesTest = standardize(ae.encode(test.images));
  const knnTrain = knnDistance(codesTrain, codesTrain, ae.latentSize, KNN_K, true);
  const knnTest = knnDistance(codesTrain, codesTest, ae.latentSize, KNN_K);
  row.convRelativeKnn = rocAuc(sum(logZ(onTrain.relative)(onTest.relative), logZ(knnTrain)(knnTest)), isAnomaly);
  await ae.dispose();

  rows.push(row);
  seconds.push((performance.now() - start) / 1000);
  console.log(
    `digit ${digit} (${row.normal} normal images, ${seconds.at(-1).toFixed(1)} s): ${COLUMNS.map(([key, name]) => `${name} ${row[key].toFixed(4)}`).join(' · ')}`,
  );
}

const mean = (key) => rows.reduce((s, r) => s + r[key], 0) / rows.length;
const min = (key) => Math.min(...rows.map((r) => r[key]));
console.table([
  ...rows.map((r) => ({
    digit: r.digit,
    ...Object.fromEntries(COLUMNS.map(([key, name]) => [name, r[key].toFixed(4)])),
  })),
  { digit: 'mean', ...Object.fromEntries(COLUMNS.map(([key, name]) => [name, mean(key).toFixed(4)])) },
  { digit: 'min', ...Object.fromEntries(COLUMNS.map(([key, name]) => [name, min(key).toFixed(4)])) },
]);
const totalSeconds = seconds.reduce((s, v) => s + v, 0);
console.log(
  `${totalSeconds.toFixed(0)} s in all, ${(totalSeconds / rows.length).toFixed(1)} s per digit (4 dense models, 1 conv model, the scores)`,
);

if (!quick && digits.length === 10) {
  const machine = `${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores, Node ${process.version}`;
  const cell = (v) => v.toFixed(3);
  const block = [
    '<!-- oneclass:start (written by `node bench/anomaly-oneclass.js`; edit outside these markers) -->',
    `Command: \`node bench/anomaly-oneclass.js\` · Machine: ${machine} · Date: ${new Date().toISOString().slice(0, 10)} · ` +
      `${(totalSeconds / rows.length).toFixed(0)} s per digit, one thread`,
    '',
    'Normal = the ~6,000 training images of one digit; scored: all 10,000 test images, anomalies = the other nine',
    `digits. ROC AUC, exact (ranks, ties counted half). Models: dense 784-64-32 → 32 and conv (conv2d 16 and 32`,
    `filters, 3×3, stride 2 → 32, mirrored), Adam 1e-3, ${EPOCHS} epochs, batch ${BATCH}, seed 1, one thread; nothing tuned per digit.`,
    '',
    '- reconstruction MSE: `reconstructionErrors(images)`.',
    '- normalized error: e / √(‖x‖² + ‖x̂‖²), e = ‖x − x̂‖², x̂ = `reconstruct(x)`, pixels in [0, 1]: the geometric',
    '  mean of the absolute error and the relative error e / (‖x‖² + ‖x̂‖²). MSE alone calls thin digits normal',
    '  because they have little ink (a model of 8s scores test 1s *below* its own 8s: AUC 0.43 for 1s vs 8s).',
    '  Nothing is fitted; the exponent ½ is an even split between the two, not tuned (¼ and ¾: means 0.971 and 0.976,',
    '  dense model, seed 2).',
    `- relative error + code kNN: z(log relative error) + z(log mean distance to the ${KNN_K} nearest training codes),`,
    '  codes standardized per dimension, each z fitted on the normal training images (kNN leaving each one out).',
    `- dense × ${ENSEMBLE_SEEDS.length} seeds: the sum over seeds ${ENSEMBLE_SEEDS.join(', ')} of z(log normalized error), z fitted on the training images.`,
    '',
    `| digit | ${COLUMNS.map(([, name]) => name).join(' | ')} |`,
    `| ---: | ${COLUMNS.map(() => '---:').join(' | ')} |`,
    ...rows.map((r) => `| ${r.digit} | ${COLUMNS.map(([key]) => cell(r[key])).join(' | ')} |`),
    `| mean | ${COLUMNS.map(([key]) => cell(mean(key))).join(' | ')} |`,
    `| min | ${COLUMNS.map(([key]) => cell(min(key))).join(' | ')} |`,
    '',
    'Published, same protocol: a plain conv autoencoder ≈ 0.90 mean and Deep SVDD 0.948 (Ruff et al. 2018, ICML);',
    'the best autoencoder-family figures are ≈ 0.975 mean (OCGAN, Perera et al. 2019; MemAE, Gong et al. 2019).',
    '<!-- oneclass:end -->',
  ].join('\n');
  const path = new URL('../docs/uses.md', import.meta.url);
  let doc = await readFile(path, 'utf8');
  const re = /<!-- oneclass:start[\s\S]*?<!-- oneclass:end -->/;
  doc = re.test(doc)
    ? doc.replace(re, block)
    : `${doc.trimEnd()}\n\n## One-class anomaly detection (the literature's protocol)\n\n${block}\n`;
  await writeFile(new URL('../docs/uses.md.tmp', import.meta.url), doc);
  await rename(new URL('../docs/uses.md.tmp', import.meta.url), path);
  console.log('wrote docs/uses.md');
}
