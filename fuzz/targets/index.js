// The targets `npm run fuzz` drives. Each is { name, fn, setup(), seeds(ctx), mutate(ctx),
// build(plan, ctx), run(input, ctx, plan), oracle(outcome, bytes, ctx, plan), teardown?(ctx) }:
//
// - setup() makes what the target needs once per worker (models, seed files) and returns ctx;
// - seeds(ctx) lists the valid inputs mutations start from ({ label, bytes, ... });
// - mutate(ctx) is a fast-check arbitrary of plans (JSON: seed index, document ops, byte ops,
//   whether checksums are recomputed, how the bytes are passed), mutate.js's planArb for most;
// - build(plan, ctx) makes the plan's bytes (mutate.js's buildPlan over the target's format);
// - run(input, ctx, plan) calls the function under test; a result with dispose() is disposed
//   after the oracle;
// - oracle(outcome, bytes, ctx, plan) judges { value } or { thrown } (oracle.js's verdicts).
//
// A new target adds one file here and one line in this table (safetensors.js: a JSON header behind
// a length prefix; tfjs.js: a function that takes an object, fed from an envelope of bytes).
import { loadTarget } from './load.js';
import { idxTarget } from './idx.js';
import { decompressTarget } from './decompress.js';
import { imageTarget } from './image.js';
import { cliFileTarget } from './cliFile.js';
import { cliCodesTarget } from './cliCodes.js';
import { safetensorsTarget } from './safetensors.js';
import { tfjsTarget } from './tfjs.js';
import { loadQuantizedTarget } from './loadQuantized.js';

export const TARGETS = [
  loadTarget,
  idxTarget,
  decompressTarget,
  imageTarget,
  cliFileTarget,
  cliCodesTarget,
  safetensorsTarget,
  tfjsTarget,
  loadQuantizedTarget,
];

export function targetNamed(name) {
  const target = TARGETS.find((t) => t.name === name);
  if (!target)
    throw new Error(`fuzz: unknown target '${name}'; targets are ${TARGETS.map((t) => t.name).join(', ')}, all`);
  return target;
}
