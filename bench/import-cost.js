// `node bench/import-cost.js [entry]`: what importing an entry costs in a fresh Node process (the
// main entry, dist/entries/index.js, by default): the median over 15 processes of the time the import
// takes and of the process's RSS after it. Pass another tree's entry to compare two commits in
// one run (each tree built with `npx tsc -p tsconfig.json`).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const entries = process.argv.length > 2 ? process.argv.slice(2) : ['dist/entries/index.js'];
const probe = `const t = performance.now(); await import(process.argv[1]); console.log(JSON.stringify({ ms: performance.now() - t, rss: process.memoryUsage().rss }));`;
const samples = new Map(entries.map((e) => [e, []]));
for (let i = 0; i < 15; i++) {
  for (const e of entries) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe, pathToFileURL(resolve(e)).href], {
      encoding: 'utf8',
    });
    samples.get(e).push(JSON.parse(out));
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const [e, runs] of samples) {
  console.log(
    `${e}: import ${median(runs.map((r) => r.ms)).toFixed(1)} ms, RSS after ${(median(runs.map((r) => r.rss)) / 2 ** 20).toFixed(1)} MB (medians of 15 fresh processes, interleaved)`,
  );
}
