// Target `load-quantized`: Autoencoder.loadQuantized(bytes) on quantized model files
// (src/io/quantizedFile.ts): magic 'WAAQ', u16 version, u16 flags, u32 header length, JSON header
// (the float model's config), scales and biases (f32), int8 weights, CRC-32 trailer. Byte-level
// ops only (the config's own checks are the `load` target's); the CRC is recomputed on most plans
// so that mutations reach the checks behind it. Oracle: an Error from loadQuantized, or a model
// whose reconstructions are finite and, for an unmutated seed, the seed model's bits.
import { Autoencoder } from '../../dist/entries/index.js';
import { buildPlan, fixCrc, planArb } from '../mutate.js';
import { accepted, judgeThrown, wrong, allFinite, sameBits, sameBytes, probeImages } from '../oracle.js';

const FN = 'Autoencoder.loadQuantized';
const FIELDS = [
  { at: 4, width: 2, le: true },
  { at: 6, width: 2, le: true },
  { at: 8, width: 4, le: true },
  { at: -4, width: 4, le: true },
];
const MODELS = [
  { inputShape: [6, 6, 1], encoder: [5], latent: 3, seed: 1 },
  {
    inputShape: [8, 8, 1],
    encoder: [{ type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 }],
    latent: 3,
    decoder: 'mirror',
    seed: 2,
  },
  { inputShape: [5, 5, 2], encoder: [7], latent: 2, variational: true, seed: 3 },
];
const FORMAT = {
  parse: () => {
    throw new Error('no document ops');
  },
  encode: () => undefined,
  applyDocOp: () => undefined,
  fix: (bytes) => fixCrc(bytes),
};

async function setup() {
  const seeds = [];
  for (const options of MODELS) {
    const ae = await Autoencoder.create({ ...options, threads: 1 });
    const q = await ae.quantize();
    const size = q.inputSize;
    seeds.push({
      label: JSON.stringify(options).slice(0, 60),
      bytes: q.save(),
      size,
      expected: q.reconstruct(probeImages(size)),
    });
    q.dispose();
    await ae.dispose();
  }
  return { seeds };
}

export const loadQuantizedTarget = {
  name: 'load-quantized',
  fn: FN,
  setup,
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) => planArb({ seedCount: ctx.seeds.length, docOp: null, fields: FIELDS }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, FORMAT),
  run: (input) => Autoencoder.loadQuantized(input),
  oracle(outcome, bytes, ctx) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, FN);
    const q = outcome.value;
    const out = q.reconstruct(probeImages(q.inputSize));
    if (!allFinite(out)) return wrong('silent wrong model: non-finite reconstructions', '');
    const seed = ctx.seeds.find((s) => sameBytes(s.bytes, bytes));
    if (seed && !sameBits(out, seed.expected))
      return wrong('silent wrong model: an unmutated seed reconstructs other bits', seed.label);
    return accepted();
  },
};
