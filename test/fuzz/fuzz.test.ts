// A short fuzz run with a fixed seed (`npm run fuzz` is the long one): every target of fuzz/ for a
// few hundred mutated and crafted inputs against the built package, asserting no crash, no hang,
// no silent wrong result and a peak RSS under the cap. A failure message lists each failure class
// with the command that reproduces it.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TARGETS = [
  'load',
  'idx',
  'decompress',
  'image',
  'cli-file',
  'cli-codes',
  'safetensors',
  'tfjs',
  'load-quantized',
];
const CASES = 200;
const SEED = 1;
const RSS_CAP_MB = 300;

interface FailureClass {
  verdict: string;
  klass: string;
  count: number;
  examples: { case: number; description: string }[];
}
interface TargetSummary {
  target: string;
  died?: string;
  counts: { cases: number; accepted: number; rejected: number; crash: number; hang: number; wrong: number };
  peakRssMB: number;
  classes: FailureClass[];
}

let summaries: TargetSummary[] = [];
let runOutput = '';

function report(s: TargetSummary): string {
  const lines = s.classes.map(
    (c) =>
      `  ${c.verdict} ×${c.count}: ${c.klass}\n    e.g. npm run fuzz -- --target ${s.target} --seed ${SEED} --case ${c.examples[0]?.case} (${c.examples[0]?.description})`,
  );
  return [
    `${s.target}: ${JSON.stringify(s.counts)}, peak RSS ${s.peakRssMB.toFixed(0)} MB`,
    ...lines,
    s.died ?? '',
  ].join('\n');
}

describe(`fuzz: ${CASES} cases per target, seed ${SEED}`, () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-autoencoder-fuzz-test-'));
    const json = join(dir, 'summary.json');
    runOutput = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [
          'fuzz/run.js',
          '--target',
          'all',
          '--cases',
          String(CASES),
          '--seed',
          String(SEED),
          '--json',
          json,
          '--no-minimize',
          '--out',
          join(dir, 'inputs'),
          '--rss-cap-mb',
          String(RSS_CAP_MB),
        ],
        { cwd: root, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 << 20 },
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    try {
      summaries = (JSON.parse(readFileSync(json, 'utf8')) as { summaries: TargetSummary[] }).summaries;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it.each(TARGETS)('%s: no crash, hang or silent wrong result, RSS under the cap', (name) => {
    const s = summaries.find((x) => x.target === name);
    expect(s, `no summary for ${name}; the run printed:\n${runOutput}`).toBeDefined();
    const { counts } = s!;
    expect(counts.cases, report(s!)).toBe(CASES);
    expect({ crashes: counts.crash, hangs: counts.hang, wrong: counts.wrong }, report(s!)).toEqual({
      crashes: 0,
      hangs: 0,
      wrong: 0,
    });
    expect(s!.peakRssMB, report(s!)).toBeLessThanOrEqual(RSS_CAP_MB);
  });
});
