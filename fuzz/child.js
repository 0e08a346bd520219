// One target's run, in a process of its own (so that its peak RSS is its own): a worker thread runs
// the cases, this thread watches it. A call that runs past the hang limit gets the worker
// terminated, the case counted as a hang, and a new worker started after it; a worker that dies
// (out of memory, a fatal error) counts as a crash of the case it was on.
import { Worker } from 'node:worker_threads';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HANG_MS, PHASE, hangClass, timestamp } from './cases.js';
import { describePlan } from './mutate.js';

/** How long the oracle (reloads, saves, reference decodes) and a minimization step may take. */
const ORACLE_MS = 20_000;
const MINIMIZE_MS = 5_000;
const EXAMPLES_PER_CLASS = 3;
/** Room for the plan and input of the case in flight (larger inputs are not kept). */
const IN_FLIGHT_BYTES = 8 << 20;

const config = JSON.parse(process.argv[2]);
const { target, seed, cases, outDir, minimize } = config;
const hangMs = config.hangMs ?? HANG_MS;

const counts = { cases: 0, accepted: 0, rejected: 0, crash: 0, hang: 0, wrong: 0 };
const classes = new Map();
let slowest = { ms: 0, i: -1 };
/** The case that raised the peak RSS the most, and the last one that raised it. */
let rssCase = { i: -1, addedKB: 0 },
  lastPeak = { i: -1, peakKB: 0 };
const done = new Set();
const killed = new Set();
const started = performance.now();

function record(item) {
  if (done.has(item.i)) return;
  done.add(item.i);
  counts.cases++;
  counts[item.verdict]++;
  if (item.ms > slowest.ms) slowest = { ms: item.ms, i: item.i };
  if (item.peakKB > lastPeak.peakKB) {
    if (lastPeak.i >= 0 && item.peakKB - lastPeak.peakKB > rssCase.addedKB)
      rssCase = { i: item.i, addedKB: item.peakKB - lastPeak.peakKB };
    lastPeak = { i: item.i, peakKB: item.peakKB };
  }
  if (!item.klass) return;
  const c = classes.get(item.klass) ?? { verdict: item.verdict, klass: item.klass, count: 0, examples: [] };
  classes.set(item.klass, c);
  c.count++;
  if (item.plan && c.examples.length < EXAMPLES_PER_CLASS) {
    const file = item.bytes ? join(outDir, `${target}-case${item.i}.bin`) : undefined;
    if (file) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(file, item.bytes);
    }
    c.examples.push({
      case: item.i,
      plan: item.plan,
      description: describePlan(item.plan),
      detail: String(item.detail ?? '').slice(0, 2000),
      file,
      wrap: item.plan.wrap,
    });
  }
}

function recordMinimized({ i, plan, bytes }) {
  for (const c of classes.values()) {
    const ex = c.examples.find((e) => e.case === i);
    if (!ex) continue;
    const file = join(outDir, `${target}-case${i}-min.bin`);
    writeFileSync(file, bytes);
    Object.assign(ex, { minimized: { plan, description: describePlan(plan), file, wrap: plan.wrap } });
  }
}

function readInFlight(words, inFlight) {
  const planLength = Atomics.load(words, 2),
    bytesLength = Atomics.load(words, 3);
  let plan;
  try {
    plan = JSON.parse(new TextDecoder().decode(inFlight.slice(0, planLength)));
  } catch {
    return {};
  }
  return { plan, bytes: bytesLength >= 0 ? inFlight.slice(planLength, planLength + bytesLength) : undefined };
}

/** Runs cases [from, cases) in one worker; resolves with where to go on (or undefined when done). */
function runWorker(from) {
  const shared = new SharedArrayBuffer(24 + IN_FLIGHT_BYTES);
  const words = new Int32Array(shared, 0, 4),
    since = new Float64Array(shared, 16, 1),
    inFlight = new Uint8Array(shared, 24);
  Atomics.store(words, 0, -1);
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: {
      targetName: target,
      seed,
      from,
      to: cases,
      skip: [...killed],
      shared,
      minimize,
      examplesPerClass: EXAMPLES_PER_CLASS,
    },
    resourceLimits: { maxOldGenerationSizeMb: 1024 },
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  let lastDone = from - 1;
  return new Promise((resolve) => {
    let settled = false;
    const settle = async (next, terminate) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      if (terminate) await worker.terminate();
      resolve(next);
    };
    worker.on('message', (m) => {
      if (m.type === 'results')
        for (const item of m.items) {
          record(item);
          lastDone = Math.max(lastDone, item.i);
        }
      else if (m.type === 'minimized') recordMinimized(m);
      else if (m.type === 'finished') settle(undefined, false);
    });
    worker.on('error', (error) => {
      const i = Atomics.load(words, 0);
      if (i < 0) {
        record({ i: -1, verdict: 'crash', klass: `target setup failed: ${error?.message}`, ms: 0 });
        settle(undefined, false);
        return;
      }
      killed.add(i);
      record({
        i,
        verdict: 'crash',
        klass: `worker died: ${error?.code ?? error?.name}: ${String(error?.message).slice(0, 100)}`,
        ms: timestamp() - since[0],
      });
      settle(lastDone + 1, false);
    });
    worker.on('exit', () => settle(lastDone + 1 < cases ? lastDone + 1 : undefined, false));
    const watch = setInterval(() => {
      const phase = Atomics.load(words, 1),
        i = Atomics.load(words, 0),
        elapsed = timestamp() - since[0];
      if (phase === PHASE.call && elapsed > hangMs) {
        killed.add(i);
        const { plan, bytes } = readInFlight(words, inFlight);
        record({
          i,
          verdict: 'hang',
          klass: `hang: ${hangClass(plan, bytes)}`,
          ms: elapsed,
          plan,
          bytes,
          detail: `killed after ${elapsed.toFixed(0)} ms`,
          peakKB: process.resourceUsage().maxRSS,
        });
        settle(lastDone + 1, true);
      } else if (phase === PHASE.oracle && elapsed > ORACLE_MS) {
        killed.add(i);
        record({ i, verdict: 'hang', klass: `hang: oracle killed after ${ORACLE_MS} ms`, ms: elapsed });
        settle(lastDone + 1, true);
      } else if (phase === PHASE.minimizing && elapsed > MINIMIZE_MS) {
        settle(Math.max(lastDone, i) + 1, true);
      }
    }, 20);
  });
}

// A line every 15 s on long runs, so that a 100,000-case run shows it is alive.
const progress = setInterval(() => {
  console.log(
    `  ${target}: ${counts.cases}/${cases} cases, ${counts.crash} crashes, ${counts.hang} hangs, ${counts.wrong} wrong, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}, 15_000);
let next = 0;
while (next !== undefined && next < cases) next = await runWorker(next);
clearInterval(progress);

process.send({
  type: 'summary',
  summary: {
    target,
    seed,
    counts,
    slowest,
    rssCase,
    seconds: (performance.now() - started) / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    classes: [...classes.values()].sort((a, b) => b.count - a.count),
  },
});
