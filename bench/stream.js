// Training on a data set larger than memory (issue #13): a generated IDX file of ≥ 2 GB (MNIST's
// training images shifted by up to 2 pixels and mirrored, 44 variants, 2.64 M images, 2.07 GB)
// written under os.tmpdir() (never committed; deleted at the end unless --keep), one epoch of the
// reference model streamed from it (fit(await streamIdx(file)), 1 thread, default shuffle buffer)
// in a fresh child process for its peak RSS, against the in-memory rate: full MNIST as a Dataset,
// the same model and thread, its second epoch. The two kinds of child run in turn, --rounds times.
//
//   npm run build && node bench/stream.js [--rounds N] [--keep] [--write] [--variants N]
//
// --write puts the result between the stream markers of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { REFERENCE, BATCH } from './reference.js';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const ROWS = 28,
  COLS = 28,
  SIZE = ROWS * COLS;

// ---- child: one run, one JSON line ----------------------------------------------------------------
if (argv[0] === '--child') {
  const mode = argv[1];
  const { Autoencoder } = await import('../dist/entries/index.js');
  const { streamIdx, streamMnist } = await import('../dist/entries/mnist.js');
  const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads: 1 });
  let result;
  if (mode === 'memory') {
    const train = await ae.dataset(await streamMnist('train', { labels: false }));
    const history = await ae.fit(train, { epochs: 2, batchSize: BATCH });
    const e = history.epochs[1];
    result = { mode, images: train.count, seconds: e.seconds, samplesPerSec: e.samplesPerSec, loss: e.loss };
  } else {
    const source = await streamIdx(argv[2]);
    const started = performance.now();
    const history = await ae.fit(source, { epochs: 1, batchSize: BATCH });
    const wall = (performance.now() - started) / 1000;
    const e = history.epochs[0];
    result = {
      mode,
      images: source.count,
      seconds: e.seconds,
      wallSeconds: wall,
      samplesPerSec: e.samplesPerSec,
      loss: e.loss,
    };
  }
  await ae.dispose();
  console.log(JSON.stringify({ ...result, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

// ---- the generated file -----------------------------------------------------------------------
const variants = option('--variants', 44);
const rounds = option('--rounds', 1);
const keep = argv.includes('--keep');
const SHIFTS = [];
for (const flip of [false, true])
  for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) SHIFTS.push({ dx, dy, flip });
if (!(variants >= 1 && variants <= SHIFTS.length)) throw new Error(`--variants must be in [1, ${SHIFTS.length}]`);

/** Image i of `src` moved by (dx, dy) (zeros come in) and mirrored left-right when `flip`. */
function variantInto(out, src, count, { dx, dy, flip }) {
  out.fill(0);
  for (let i = 0; i < count; i++) {
    const base = i * SIZE;
    for (let y = 0; y < ROWS; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= ROWS) continue;
      for (let x = 0; x < COLS; x++) {
        const sx0 = x - dx;
        if (sx0 < 0 || sx0 >= COLS) continue;
        const sx = flip ? COLS - 1 - sx0 : sx0;
        out[base + y * COLS + x] = src[base + sy * COLS + sx];
      }
    }
  }
}

async function generate(path, mnist) {
  const count = mnist.count * variants;
  const bytes = 16 + count * SIZE;
  const free = (() => {
    const s = statfsSync(os.tmpdir());
    return s.bavail * s.bsize;
  })();
  if (free < bytes + 2 ** 30)
    throw new Error(
      `stream bench: ${os.tmpdir()} has ${(free / 1e9).toFixed(1)} GB free; the file needs ${(bytes / 1e9).toFixed(2)} GB and 1 GB to spare`,
    );
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000803);
  view.setUint32(4, count);
  view.setUint32(8, ROWS);
  view.setUint32(12, COLS);
  const out = createWriteStream(`${path}.tmp`);
  out.write(header);
  for (let v = 0; v < variants; v++) {
    const buf = new Uint8Array(mnist.images.length);
    variantInto(buf, mnist.images, mnist.count, SHIFTS[v]);
    if (!out.write(buf)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const { renameSync } = await import('node:fs');
  renameSync(`${path}.tmp`, path);
  return { count, bytes };
}

const child = (mode, path) => {
  const script = fileURLToPath(import.meta.url);
  // Through a small shell, so that the child's maxRSS does not start from this process's.
  const out = spawnSync(
    '/bin/sh',
    ['-c', '"$0" "$@"; exit $?', process.execPath, script, '--child', mode, ...(path ? [path] : [])],
    { encoding: 'utf8', timeout: 3_600_000 },
  );
  if (out.status !== 0) throw new Error(`stream bench child ${mode} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

const path = join(os.tmpdir(), `wasm-autoencoder-stream-mnist-x${variants}.idx`);
const { loadMnist } = await import('../dist/entries/mnist.js');
const expected = 16 + 60000 * variants * SIZE;
let generatedSeconds = null;
if (!existsSync(path) || statSync(path).size !== expected) {
  const t0 = performance.now();
  const mnist = (await loadMnist()).train;
  await generate(path, mnist);
  generatedSeconds = (performance.now() - t0) / 1000;
  console.log(`wrote ${path}: ${(expected / 1e9).toFixed(2)} GB in ${fmt(generatedSeconds, 1)} s`);
}
try {
  const memory = [],
    streamed = [];
  for (let r = 0; r < rounds; r++) {
    memory.push(child('memory'));
    console.log('in memory:', JSON.stringify(memory.at(-1)));
    streamed.push(child('stream', path));
    console.log('streamed: ', JSON.stringify(streamed.at(-1)));
  }
  const memoryRate = median(memory.map((m) => m.samplesPerSec));
  const streamRate = median(streamed.map((s) => s.samplesPerSec));
  const ratio = streamRate / memoryRate;
  const peak = Math.max(...streamed.map((s) => s.maxRssMB));
  const met = peak <= 200 && ratio >= 0.9;
  console.log(
    `streamed ÷ in-memory samples/s: ${fmt(100 * ratio, 1)} %; streamed peak RSS ${fmt(peak, 1)} MB → goal (≤ 200 MB, ≥ 90 %) ${met ? 'met' : 'not met'}`,
  );
  if (argv.includes('--write')) {
    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    const lines = [
      '<!-- stream:start (written by `node bench/stream.js --write`; edit outside these markers) -->',
      `Command: \`node bench/stream.js --rounds ${rounds} --write\` · Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version} · Date: ${new Date().toISOString().slice(0, 10)}`,
      '',
      `A generated IDX file of ${fmt(streamed[0].images)} images (${(expected / 1e9).toFixed(2)} GB: MNIST's training set in ${variants} variants, shifted by up to 2 pixels and mirrored),`,
      'one epoch streamed from disk with `fit(await streamIdx(file), { batchSize: 256 })` (default shuffle buffer, 32 MiB) in a fresh process,',
      "against full MNIST kept as a Dataset (`ae.dataset(await streamMnist('train'))`, its second epoch); the reference model, 1 thread,",
      `simd build; the two in turn, ${rounds} round${rounds === 1 ? '' : 's'}, medians. The streamed epoch's time includes reading the file.`,
      '',
      '| run | images | samples/s | peak RSS MB |',
      '| --- | ---: | ---: | ---: |',
      `| in memory (Dataset) | ${fmt(memory[0].images)} | ${fmt(memoryRate)} | ${fmt(median(memory.map((m) => m.maxRssMB)), 1)} |`,
      `| streamed from disk | ${fmt(streamed[0].images)} | ${fmt(streamRate)} | ${fmt(peak, 1)} |`,
      '',
      `Streamed ÷ in memory: **${fmt(100 * ratio, 1)} %** of the samples/s, peak RSS **${fmt(peak, 1)} MB** (goal: ≥ 90 %, ≤ 200 MB: ${met ? 'met' : 'not met'}).`,
      '<!-- stream:end -->',
    ];
    const doc = new URL('../docs/benchmarks.md', import.meta.url);
    let text = await readFile(doc, 'utf8');
    const re = /<!-- stream:start[\s\S]*?<!-- stream:end -->/;
    text = re.test(text)
      ? text.replace(re, lines.join('\n'))
      : `${text.trimEnd()}\n\n## Streaming a data set larger than memory\n\n${lines.join('\n')}\n`;
    await writeFile(new URL('../docs/benchmarks.md.tmp', import.meta.url), text);
    await rename(new URL('../docs/benchmarks.md.tmp', import.meta.url), doc);
    console.log('wrote docs/benchmarks.md');
  }
} finally {
  if (!keep && existsSync(path)) {
    unlinkSync(path);
    console.log(`deleted ${path}`);
  }
}
