// Browser threads: the demo page (web/) in Debian's Chromium, cross-origin isolated (threads) against
// not isolated (one thread in the page), the page's own training job (its rendering, progress and
// validation included), the variants interleaved in rounds. Prints each run's best epoch
// (samples/s, from the page's EpochLog) and the longest main-thread task while it trained
// ('longtask' entries between the page's trainingStarted and trainingEnded marks), then per variant
// the best and median over the rounds, and the ratios of the bests to the first variant's.
//
//   npm run build && node bench/browser-threads.js [rounds=4] [n=6000] [epochs=4] [batch=128]
//
// VARIANTS (default 'plain,isolated'): plain (?isolated=0), isolated; 'NAME-isolated' and
// 'NAME-plain' serve another checkout's web/ and dist/ (ROOT_NAME=/path/to/checkout with its own
// node_modules; OLD_ROOT for NAME old), to compare builds in one run.
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const [rounds = 4, n = 6000, epochs = 4, batch = 128] = process.argv.slice(2).map(Number);
const variants = (process.env.VARIANTS ?? 'plain,isolated').split(',');

async function serve(root) {
  const server = await createServer({
    configFile: join(root, 'web/vite.config.ts'),
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  return { server, base: `http://127.0.0.1:${server.httpServer.address().port}` };
}

const servers = { new: await serve(project) };
for (const v of variants) {
  const tree = treeOf(v);
  if (tree === 'new' || servers[tree]) continue;
  const root = process.env[`ROOT_${tree}`] ?? (tree === 'old' ? process.env.OLD_ROOT : undefined);
  if (!root) throw new Error(`variant ${v} needs ROOT_${tree}=/path/to/checkout`);
  servers[tree] = await serve(root);
}
const dir = mkdtempSync(join(tmpdir(), 'wae-bench-chromium-'));
const context = await chromium.launchPersistentContext(dir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});

function treeOf(variant) {
  const at = variant.lastIndexOf('-');
  return at < 0 ? 'new' : variant.slice(0, at);
}

async function run(variant) {
  const isolated = variant.endsWith('isolated');
  const page = await context.newPage();
  await page.addInitScript(() => {
    globalThis.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) globalThis.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const { base } = servers[treeOf(variant)];
  await page.goto(
    `${base}/?${isolated ? '' : 'isolated=0&'}n=${n}&test=500&epochs=${epochs}&batch=${batch}&kernels=simd`,
  );
  await page.waitForFunction(() => globalThis.__demo?.done || globalThis.__demo?.error !== null, null, {
    timeout: 300_000,
  });
  await page.waitForTimeout(100); // long-task entries arrive after the task
  const s = await page.evaluate(() => {
    const d = globalThis.__demo;
    const from = d.trainingStarted ?? -Infinity,
      to = d.trainingEnded ?? Infinity;
    const during = globalThis.__longTasks.filter((t) => t.start + t.duration > from && t.start < to);
    return {
      rates: d.epochs.map((e) => e.samplesPerSec),
      threads: d.threads,
      error: d.error,
      marks: d.trainingStarted != null,
      longest: Math.max(0, ...during.map((t) => t.duration)),
    };
  });
  await page.close();
  if (s.error) throw new Error(`${variant}: ${s.error}`);
  return { ...s, best: Math.max(...s.rates) };
}

const results = Object.fromEntries(variants.map((v) => [v, []]));
for (let r = 0; r < rounds; r++) {
  for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
    const res = await run(v);
    results[v].push(res.best);
    console.log(
      `round ${r + 1} ${v.padEnd(13)} ${res.threads} thread(s): best epoch ${Math.round(res.best)} samples/s ` +
        `(epochs ${res.rates.map(Math.round).join(', ')}); longest task while training ${res.marks ? `${Math.round(res.longest)} ms` : '(page has no marks)'}`,
    );
  }
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const v of variants) {
  const best = Math.max(...results[v]);
  console.log(
    `${v}: best ${Math.round(best)}, median ${Math.round(median(results[v]))} samples/s; ` +
      `best ÷ ${variants[0]}'s best ${(best / Math.max(...results[variants[0]])).toFixed(2)}`,
  );
}
await context.close();
for (const { server } of Object.values(servers)) await server.close();
rmSync(dir, { recursive: true, force: true });
