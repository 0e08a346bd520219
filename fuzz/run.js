// `npm run fuzz`: drives the parsers and loaders with mutated and crafted inputs (targets in
// fuzz/targets/), one process per target, and reports per target the cases, accepted, rejected,
// crashes, hangs, silent wrong results, the slowest case and the peak RSS. Exits 1 on any crash,
// hang or wrong result, or a peak RSS over the cap; prints how to reproduce each failure class.
//
//   npm run fuzz                                        every target, 300 cases each, a random seed
//   npm run fuzz -- --target load --cases 100000 --seed 1
//   npm run fuzz -- --target load --seed 1 --case 1234  one case again, with its plan and stack
//   npm run fuzz -- --target load --replay FILE [--wrap buffer-offset] [--seed-index K]
//   options: --out DIR (failing inputs), --json FILE (summary), --no-minimize,
//            --hang-ms 2000, --rss-cap-mb 300
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGETS, targetNamed } from './targets/index.js';
import { planFor, runPlan, HANG_MS } from './cases.js';
import { describePlan, planJson, WRAPS } from './mutate.js';

const USAGE =
  'usage: npm run fuzz -- [--target NAME|all] [--cases N] [--seed S] [--case I | --replay FILE [--wrap W] [--seed-index K]] [--out DIR] [--json FILE] [--no-minimize] [--hang-ms MS] [--rss-cap-mb MB]';

function parseArgs(argv) {
  const o = {
    target: 'all',
    cases: 300,
    seed: undefined,
    minimize: true,
    hangMs: HANG_MS,
    rssCapMB: 300,
    wrap: 'copy',
    seedIndex: 0,
  };
  const int = (name, v, min) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min)
      throw new Error(`fuzz: ${name} must be an integer ≥ ${min}, got ${v}\n${USAGE}`);
    return n;
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k],
      value = () => {
        if (k + 1 >= argv.length) throw new Error(`fuzz: ${a} needs a value\n${USAGE}`);
        return argv[++k];
      };
    switch (a) {
      case '--target':
        o.target = value();
        break;
      case '--cases':
        o.cases = int(a, value(), 1);
        break;
      case '--seed':
        o.seed = int(a, value(), 0) >>> 0;
        break;
      case '--case':
        o.case = int(a, value(), 0);
        break;
      case '--replay':
        o.replay = value();
        break;
      case '--wrap':
        o.wrap = value();
        if (!WRAPS.includes(o.wrap)) throw new Error(`fuzz: --wrap must be one of ${WRAPS.join(', ')}`);
        break;
      case '--seed-index':
        o.seedIndex = int(a, value(), 0);
        break;
      case '--out':
        o.out = value();
        break;
      case '--json':
        o.json = value();
        break;
      case '--no-minimize':
        o.minimize = false;
        break;
      case '--hang-ms':
        o.hangMs = int(a, value(), 1);
        break;
      case '--rss-cap-mb':
        o.rssCapMB = int(a, value(), 1);
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`fuzz: unknown argument ${a}\n${USAGE}`);
    }
  }
  if (o.target !== 'all') targetNamed(o.target);
  if ((o.case !== undefined || o.replay) && o.target === 'all')
    throw new Error('fuzz: --case and --replay need one --target');
  if (o.case !== undefined && o.seed === undefined) throw new Error('fuzz: --case needs the --seed of its run');
  o.seed ??= (Math.random() * 2 ** 32) >>> 0;
  o.out ??= join(tmpdir(), `wasm-autoencoder-fuzz-seed${o.seed}`);
  return o;
}

/** One case or one file, in this process, told in full. */
async function runOne(o) {
  const target = targetNamed(o.target);
  const ctx = await target.setup();
  let plan, bytes;
  if (o.replay) {
    plan = { seed: o.seedIndex, doc: [], bytes: [], fix: false, wrap: o.wrap };
    bytes = new Uint8Array(readFileSync(o.replay));
  } else {
    plan = planFor(target.mutate(ctx), o.seed, o.case);
  }
  const before = process.resourceUsage().maxRSS;
  const r = await runPlan(target, ctx, plan, { bytes });
  const after = process.resourceUsage().maxRSS;
  await target.teardown?.(ctx);
  console.log(
    o.replay
      ? `replay of ${o.replay} (${r.bytes.length} bytes, passed as ${plan.wrap})`
      : `case ${o.case} of seed ${o.seed}: ${describePlan(plan)}`,
  );
  if (!o.replay) console.log(`plan: ${planJson(plan)}`);
  console.log(
    `verdict: ${r.verdict}${r.klass ? ` — ${r.klass}` : ''} (${r.ms.toFixed(1)} ms; peak RSS ${(after / 1024).toFixed(0)} MB, +${((after - before) / 1024).toFixed(0)} MB in this case)`,
  );
  if (r.detail) console.log(r.detail);
  if (!o.replay) {
    const file = join(o.out, `${o.target}-case${o.case}.bin`);
    writeFileSync(file, r.bytes, { flag: 'w' });
    console.log(`bytes: ${file}`);
  }
  return r.verdict === 'accepted' || r.verdict === 'rejected' ? 0 : 1;
}

function runTarget(name, o) {
  return new Promise((resolve, reject) => {
    const child = fork(
      new URL('./child.js', import.meta.url),
      [
        JSON.stringify({
          target: name,
          seed: o.seed,
          cases: o.cases,
          outDir: o.out,
          minimize: o.minimize,
          hangMs: o.hangMs,
        }),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    let summary;
    child.on('message', (m) => {
      if (m.type === 'summary') summary = m.summary;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (summary) resolve(summary);
      else
        resolve({
          target: name,
          seed: o.seed,
          died: `the target's process ended with ${signal ?? `code ${code}`} before reporting`,
          counts: { cases: 0, accepted: 0, rejected: 0, crash: 1, hang: 0, wrong: 0 },
          slowest: { ms: 0, i: -1 },
          peakRssMB: NaN,
          classes: [],
        });
    });
  });
}

const pad = (s, n) => String(s).padStart(n);

function printTable(summaries, o) {
  const head = [
    'target',
    'cases',
    'accepted',
    'rejected',
    'crashes',
    'hangs',
    'wrong',
    'slowest ms',
    'peak RSS MB',
    'seconds',
  ];
  const rows = summaries.map((s) => [
    s.target,
    s.counts.cases,
    s.counts.accepted,
    s.counts.rejected,
    s.counts.crash,
    s.counts.hang,
    s.counts.wrong,
    `${s.slowest.ms.toFixed(1)}${s.slowest.i >= 0 ? ` (#${s.slowest.i})` : ''}`,
    Number.isFinite(s.peakRssMB) ? s.peakRssMB.toFixed(0) : '?',
    s.seconds?.toFixed(1) ?? '?',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  console.log(head.map((h, c) => pad(h, widths[c])).join('  '));
  for (const r of rows) console.log(r.map((v, c) => pad(v, widths[c])).join('  '));
  console.log(`(seed ${o.seed}; hang = a call over ${o.hangMs} ms; RSS cap ${o.rssCapMB} MB)`);
}

function printFailures(summaries, o) {
  for (const s of summaries) {
    if (s.died) console.log(`\n[${s.target}] ${s.died}`);
    if (s.peakRssMB > o.rssCapMB) {
      console.log(
        `\n[${s.target}] RSS OVER CAP: peak RSS ${s.peakRssMB.toFixed(0)} MB is over the cap of ${o.rssCapMB} MB`,
      );
      if (s.rssCase?.i >= 0)
        console.log(
          `  the largest rise came with case ${s.rssCase.i} (+${(s.rssCase.addedKB / 1024).toFixed(0)} MB): npm run fuzz -- --target ${s.target} --seed ${s.seed} --case ${s.rssCase.i}`,
        );
    }
    for (const c of s.classes) {
      console.log(`\n[${s.target}] ${c.verdict.toUpperCase()} ×${c.count}: ${c.klass}`);
      for (const ex of c.examples.slice(0, 1)) {
        console.log(`  case ${ex.case}: ${ex.description}`);
        if (ex.minimized) console.log(`  minimized: ${ex.minimized.description}`);
        if (ex.detail) console.log(`  ${ex.detail.split('\n').slice(0, 4).join('\n  ')}`);
        console.log(`  again:  npm run fuzz -- --target ${s.target} --seed ${s.seed} --case ${ex.case}`);
        const file = ex.minimized?.file ?? ex.file;
        const wrap = ex.minimized?.wrap ?? ex.wrap;
        const seedIndex = (ex.minimized?.plan ?? ex.plan)?.seed ?? 0;
        if (file)
          console.log(
            `  bytes:  npm run fuzz -- --target ${s.target} --replay ${file}${wrap !== 'copy' ? ` --wrap ${wrap}` : ''}${s.target === 'decompress' ? ` --seed-index ${seedIndex}` : ''}`,
          );
      }
    }
  }
}

let o;
try {
  o = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(error.message);
  process.exit(2);
}
if (o.case !== undefined || o.replay) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(o.out, { recursive: true });
  process.exit(await runOne(o));
}
const names = o.target === 'all' ? TARGETS.map((t) => t.name) : [o.target];
console.log(`fuzzing ${names.join(', ')}: ${o.cases} cases each, seed ${o.seed}; failing inputs go to ${o.out}`);
const summaries = [];
for (const name of names) {
  const s = await runTarget(name, o);
  summaries.push(s);
  console.log(
    `  ${name}: ${s.counts.cases} cases in ${s.seconds?.toFixed(1) ?? '?'} s, ${s.counts.crash} crashes, ${s.counts.hang} hangs, ${s.counts.wrong} wrong`,
  );
}
console.log('');
printTable(summaries, o);
printFailures(summaries, o);
if (o.json)
  writeFileSync(
    o.json,
    JSON.stringify({ seed: o.seed, cases: o.cases, hangMs: o.hangMs, rssCapMB: o.rssCapMB, summaries }, null, 1),
  );
const failed = summaries.some(
  (s) => s.died || s.counts.crash || s.counts.hang || s.counts.wrong || !(s.peakRssMB <= o.rssCapMB),
);
process.exit(failed ? 1 : 0);
