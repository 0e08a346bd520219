// The worker thread that runs a target's cases [from, to) in order. The process that started it
// (child.js) watches the shared words below and terminates it when a call hangs; results go back
// in batches, so whatever a terminated worker had not sent is simply run again.
import { parentPort, workerData } from 'node:worker_threads';
import { targetNamed } from './targets/index.js';
import { planFor, runPlan, minimizePlan, PHASE, timestamp } from './cases.js';
import { planJson } from './mutate.js';

const { targetName, seed, from, to, skip, shared, minimize, examplesPerClass } = workerData;
const words = new Int32Array(shared, 0, 4); // [case index, phase, plan bytes, input bytes]
const started = new Float64Array(shared, 16, 1); // when the phase began (ms since the epoch)
const inFlight = new Uint8Array(shared, 24); // the case's plan (JSON) and input, for a hang's report

const setPhase = (p) => {
  started[0] = timestamp();
  Atomics.store(words, 1, p);
};
const skipped = new Set(skip);
const target = targetNamed(targetName);
const ctx = await target.setup();
const arb = target.mutate(ctx);
const examples = new Map();

/** Leaves the plan and the bytes where the watchdog can read them if this case never returns. */
function keepInFlight(plan, bytes) {
  const json = new TextEncoder().encode(planJson(plan));
  const fits = json.length + bytes.length <= inFlight.length;
  inFlight.set(json.subarray(0, inFlight.length), 0);
  if (fits) inFlight.set(bytes, json.length);
  Atomics.store(words, 2, Math.min(json.length, inFlight.length));
  Atomics.store(words, 3, fits ? bytes.length : -1);
}

let batch = [],
  lastFlush = performance.now();
const flush = () => {
  if (batch.length) parentPort.postMessage({ type: 'results', items: batch });
  batch = [];
  lastFlush = performance.now();
};

for (let i = from; i < to; i++) {
  if (skipped.has(i)) continue;
  Atomics.store(words, 0, i);
  const plan = planFor(arb, seed, i);
  const r = await runPlan(target, ctx, plan, { phase: setPhase, before: (bytes) => keepInFlight(plan, bytes) });
  // The peak RSS so far: a case that raised it is named in the report.
  const peak = process.resourceUsage().maxRSS;
  const item = { i, verdict: r.verdict, ms: r.ms, peakKB: peak };
  const failed = r.verdict !== 'accepted' && r.verdict !== 'rejected';
  const seen = failed ? (examples.get(r.klass) ?? 0) : 0;
  if (failed) {
    item.klass = r.klass;
    if (seen < examplesPerClass) Object.assign(item, { plan, detail: r.detail, bytes: r.bytes });
    examples.set(r.klass, seen + 1);
  }
  batch.push(item);
  if (failed || performance.now() - lastFlush > 100) flush();
  if (failed && seen === 0 && minimize && r.verdict !== 'hang' && r.ms < 500) {
    const small = await minimizePlan(target, ctx, plan, r.klass, { phase: () => setPhase(PHASE.minimizing) });
    if (small !== plan) parentPort.postMessage({ type: 'minimized', i, plan: small, bytes: target.build(small, ctx) });
  }
}
flush();
await target.teardown?.(ctx);
parentPort.postMessage({ type: 'finished' });
