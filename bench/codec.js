// `npm run bench:codec`: rate and distortion of the autoencoder codec against PNG and JPEG on the
// 10,000 MNIST test images, written to docs/uses.md (between the codec markers).
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import jpeg from 'jpeg-js';
import { encode as encodePng } from 'fast-png';
import { Autoencoder } from '../dist/entries/index.js';
import { loadMnist } from '../dist/entries/mnist.js';

const quick = process.argv.includes('--quick');
const { train, test } = await loadMnist(quick ? { trainLimit: 5000, testLimit: 500 } : {});
const n = test.count;
const psnr = (mse) => 10 * Math.log10(1 / mse);
const mseOf = (images) => {
  let se = 0;
  for (let i = 0; i < images.length; i++) se += (images[i] - test.images[i] / 255) ** 2;
  return se / images.length;
};

const rows = [];
const ae = await Autoencoder.create({ encoder: [256, 128], latent: 32, seed: 6 });
await ae.fit(train, { epochs: quick ? 2 : 10, batchSize: 128 });
rows.push({ codec: 'autoencoder, unquantized codes (32 × f32)', bytes: 32 * 4, psnr: ae.evaluate(test).psnr });
for (const bits of [8, 6, 4, 3, 2]) {
  const stream = ae.compress(test, { bits });
  rows.push({
    codec: `autoencoder, 32 codes × ${bits} bits`,
    bytes: stream.length / n,
    psnr: psnr(mseOf(ae.decompress(stream).images)),
  });
}
await ae.dispose();

// PNG and JPEG (pure JavaScript encoders, a few ms per file) on the first 1,000 test images: their
// rates and PSNR are averages over images, and 1,000 of them pin those to well under 1 %.
const sample = Math.min(n, 1000);
const mseSample = (images) => {
  let se = 0;
  for (let i = 0; i < images.length; i++) se += (images[i] - test.images[i] / 255) ** 2;
  return se / images.length;
};
let pngBytes = 0;
for (let i = 0; i < sample; i++)
  pngBytes += encodePng({
    width: 28,
    height: 28,
    data: test.images.subarray(i * 784, (i + 1) * 784),
    channels: 1,
    depth: 8,
  }).length;
rows.push({ codec: 'PNG (lossless, one file per image)', bytes: pngBytes / sample, psnr: Infinity });

for (const quality of [1, 5, 10, 20, 50, 90]) {
  let bytes = 0;
  const back = new Float32Array(sample * 784);
  const rgba = new Uint8Array(784 * 4);
  for (let i = 0; i < sample; i++) {
    for (let p = 0; p < 784; p++) {
      const v = test.images[i * 784 + p];
      rgba[4 * p] = v;
      rgba[4 * p + 1] = v;
      rgba[4 * p + 2] = v;
      rgba[4 * p + 3] = 255;
    }
    const file = jpeg.encode({ data: rgba, width: 28, height: 28 }, quality).data;
    bytes += file.length;
    const decoded = jpeg.decode(file, { useTArray: true, formatAsRGBA: true }).data;
    for (let p = 0; p < 784; p++) back[i * 784 + p] = decoded[4 * p] / 255;
  }
  rows.push({
    codec: `JPEG quality ${quality} (jpeg-js, one file per image)`,
    bytes: bytes / sample,
    psnr: psnr(mseSample(back)),
  });
}

console.table(
  rows.map((r) => ({
    codec: r.codec,
    'bytes/image': r.bytes.toFixed(1),
    'ratio to raw (784 B)': (784 / r.bytes).toFixed(1),
    'PSNR dB': Number.isFinite(r.psnr) ? r.psnr.toFixed(2) : 'lossless',
  })),
);
if (!quick) {
  const machine = `${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores, Node ${process.version}`;
  const block = [
    '<!-- codec:start (written by `npm run bench:codec`; edit outside these markers) -->',
    `Command: \`npm run bench:codec\` · Machine: ${machine} · Date: ${new Date().toISOString().slice(0, 10)}`,
    '',
    'MNIST test images (28×28 grey, 784 bytes raw). Autoencoder: 784-256-128 → 32 → 128-256-784, 10 epochs on the',
    'training set, all 10,000 test images in one stream; its header (32 + 8·32 bytes) is shared and counted in. PNG and',
    'JPEG (fast-png, jpeg-js): the first 1,000 test images, one',
    'file per image, as a user storing single digits would (their headers dominate at this size: a JPEG header alone',
    "is over 600 bytes, so no JPEG quality reaches the autoencoder's rate).",
    '',
    '| codec | bytes per image | ratio to raw | PSNR |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.codec} | ${r.bytes.toFixed(1)} | ${(784 / r.bytes).toFixed(1)}× | ${Number.isFinite(r.psnr) ? `${r.psnr.toFixed(2)} dB` : 'lossless'} |`,
    ),
    '<!-- codec:end -->',
  ].join('\n');
  const path = new URL('../docs/uses.md', import.meta.url);
  let doc = await readFile(path, 'utf8');
  const re = /<!-- codec:start[\s\S]*?<!-- codec:end -->/;
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
  await writeFile(new URL('../docs/uses.md.tmp', import.meta.url), doc);
  await rename(new URL('../docs/uses.md.tmp', import.meta.url), path);
  console.log('wrote docs/uses.md');
}
