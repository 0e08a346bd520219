// One case: the plan for (seed, index), its bytes, the call, the oracle's verdict, the time.
import fc from 'fast-check';
import { wrap, simplerPlans } from './mutate.js';
import { wrong } from './oracle.js';
import { describeInput } from './describe.js';

/** The largest input the harness makes: a larger one is a bug of the harness, not of the library. */
export const MAX_INPUT_BYTES = 64 << 20;

/** Longest a call may take before it counts as a hang. */
export const HANG_MS = 2000;

/** Phases the watchdog sees (shared memory between the worker and the process that watches it). */
export const PHASE = { idle: 0, call: 1, oracle: 2, minimizing: 3 };

/** A 32-bit seed for case `index` of run `seed` (splitmix-style), so any case can be re-made alone. */
export function caseSeed(seed, index) {
  let z = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export function planFor(arb, seed, index) {
  return fc.sample(arb, { seed: caseSeed(seed, index) | 0, numRuns: 1 })[0];
}

const now = () => performance.timeOrigin + performance.now();

/** A hang's class: what the input claims (describe.js), else the op names of its plan. */
export function hangClass(plan, bytes) {
  return describeInput(bytes) ?? (plan ? opsSignature(plan) : 'plan unknown');
}

/** The op names of a plan, to name a hang's class (a hang leaves no message to group by). */
export function opsSignature(plan) {
  const names = new Set();
  for (const op of plan.doc) {
    names.add(
      op.op === 'path'
        ? `${op.path}/${op.edit.action}`
        : op.op + (op.action ? `/${op.action}` : op.edit?.kind ? `/${op.edit.kind}` : ''),
    );
  }
  for (const op of plan.bytes) names.add(`bytes:${op.op}`);
  return [...names].sort().join(', ') || 'unmutated seed';
}

/**
 * Runs one plan: returns { verdict, klass, detail, ms, bytes }. `phase(p)` is told when the call
 * and the oracle start, so that a watchdog can tell a hanging call from a slow check.
 */
export async function runPlan(target, ctx, plan, { phase = () => {}, bytes: given, before } = {}) {
  let bytes = given;
  try {
    bytes ??= target.build(plan, ctx);
    if (bytes.length > MAX_INPUT_BYTES)
      throw new Error(
        `the plan built ${bytes.length} bytes, more than the ${MAX_INPUT_BYTES} the harness allows itself`,
      );
  } catch (error) {
    return {
      verdict: 'crash',
      klass: `FUZZ HARNESS BUG (building the input): ${error?.message}`,
      detail: error?.stack,
      ms: 0,
      bytes: new Uint8Array(0),
    };
  }
  before?.(bytes);
  const input = wrap(bytes, plan.wrap);
  let outcome;
  phase(PHASE.call);
  const started = performance.now();
  try {
    outcome = { value: await target.run(input, ctx, plan) };
  } catch (thrown) {
    outcome = { thrown };
  }
  const ms = performance.now() - started;
  phase(PHASE.oracle);
  let verdict;
  try {
    verdict = await target.oracle(outcome, bytes, ctx, plan);
  } catch (error) {
    verdict = wrong(
      `the oracle could not check the result: ${String(error?.message ?? error).split(':')[0]}`,
      error?.stack ?? String(error),
    );
  } finally {
    try {
      await outcome.value?.dispose?.();
    } catch {
      /* disposing a half-made result is best effort */
    }
  }
  phase(PHASE.idle);
  if (ms > HANG_MS) {
    const how = 'thrown' in outcome ? `then threw ${outcome.thrown?.constructor?.name}` : `then ${verdict.verdict}`;
    verdict = {
      verdict: 'hang',
      klass: `hang: ${hangClass(plan, bytes)}`,
      detail: `${ms.toFixed(0)} ms, ${how}: ${verdict.klass ?? ''}`,
    };
  }
  return { ...verdict, ms, bytes };
}

/**
 * The smallest plan (fewest ops, plain copy, checksums as they fall where possible) that still
 * fails with the same class; at most `budget` runs.
 */
export async function minimizePlan(target, ctx, plan, klass, { budget = 60, phase } = {}) {
  let best = plan,
    runs = 0,
    progress = true;
  while (progress && runs < budget) {
    progress = false;
    for (const candidate of simplerPlans(best)) {
      if (++runs > budget) break;
      let r;
      try {
        r = await runPlan(target, ctx, candidate, { phase });
      } catch {
        continue;
      }
      if (r.klass === klass) {
        best = candidate;
        progress = true;
        break;
      }
    }
  }
  phase?.(PHASE.idle);
  return best;
}

export const timestamp = now;
