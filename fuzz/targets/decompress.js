// Target `decompress`: ae.decompress(bytes) on streams from ae.compress(images)
// (src/io/codeStream.ts): magic, version, bits (1-8, or 32: f32 codes without the table), latent,
// count, model id, flags, per-dimension offset and step, packed codes, labels, CRC-32. Structure-aware ops set the header fields to
// boundary values (alone, or with the payload resized to match), write NaN/∞ into the offsets and
// steps, labels out of range, other model ids; the CRC is recomputed so that they reach past it.
import fc from 'fast-check';
import { Autoencoder } from '../../dist/entries/index.js';
import { buildPlan, fixCrc, planArb, BOUNDARY_INTS } from '../mutate.js';
import { accepted, judgeThrown, wrong, allFinite, sameBits, probeImages } from '../oracle.js';

const FN = 'Autoencoder.decompress';
/** Values per image (ae.inputSize also counts a conditional model's label inputs). */
const imageSizeOf = (ae) => ae.config.inputShape[0] * ae.config.inputShape[1] * ae.config.inputShape[2];
const HEADER = 32;
/**
 * A crafted, consistent stream either decompresses to at most this many values, or to more than
 * a typed array can hold (2^32), which must be refused: the harness must not itself need more
 * memory than the cap it checks, nor make the library fill gigabytes.
 */
const MAX_CRAFTED_VALUES = 8 << 20;
const MAX_TYPED_ARRAY = 2 ** 32;
const MAX_CRAFTED_PAYLOAD = 4 << 20;
/** The low `bits` bits of a boundary value (2^53 included), as the field stores it. */
const low = (v, bits) => Number(BigInt(v) & ((1n << BigInt(bits)) - 1n));
const FIELD_BITS = { count: 32, latent: 16, bits: 8, version: 8, flags: 8 };

/** The stream's fields, without judging them; undefined if the layout does not hold together. */
function inspectStream(bytes) {
  if (bytes.length < HEADER + 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = bytes[5],
    latent = view.getUint16(6, true),
    count = view.getUint32(8, true),
    flags = bytes[28];
  const packed = Math.ceil((count * latent * bits) / 8);
  const table = bits === 32 ? 0 : 8 * latent;
  const labelsAt = HEADER + table + packed;
  const withLabels = (flags & 1) !== 0;
  if (bytes.length !== labelsAt + (withLabels ? count : 0) + 4) return undefined;
  const offsets = new Float32Array(table / 8),
    steps = new Float32Array(table / 8);
  for (let j = 0; j < table / 8; j++) {
    offsets[j] = view.getFloat32(HEADER + 4 * j, true);
    steps[j] = view.getFloat32(HEADER + 4 * (latent + j), true);
  }
  return {
    version: bytes[4],
    bits,
    latent,
    count,
    flags,
    modelId: new TextDecoder().decode(bytes.subarray(12, 28)),
    reserved: bytes.slice(29, 32),
    offsets,
    steps,
    payload: bytes.slice(HEADER + table, labelsAt),
    labels: withLabels ? bytes.slice(labelsAt, labelsAt + count) : undefined,
  };
}

/** The codes an independent unpacking gives (value = offset + q·step, rounded to f32). */
function referenceCodes(s) {
  const codes = new Float32Array(s.count * s.latent);
  if (s.bits === 32) {
    const view = new DataView(s.payload.buffer, s.payload.byteOffset, s.payload.byteLength);
    for (let i = 0; i < codes.length; i++) codes[i] = view.getFloat32(4 * i, true);
    return codes;
  }
  let bit = 0;
  for (let i = 0; i < codes.length; i++) {
    let q = 0;
    for (let b = 0; b < s.bits; b++, bit++) q = q * 2 + ((s.payload[bit >> 3] >> (7 - (bit & 7))) & 1);
    const j = i % s.latent;
    codes[i] = s.offsets[j] + q * s.steps[j];
  }
  return codes;
}

function encodeStream(d) {
  const packed = d.payload.length;
  const table = 8 * d.offsets.length;
  const total = HEADER + table + packed + (d.labels ? d.labels.length : 0) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x57, 0x41, 0x45, 0x5a], 0);
  out[4] = d.version;
  out[5] = d.bits;
  view.setUint16(6, d.latent, true);
  view.setUint32(8, d.count, true);
  out.set(new TextEncoder().encode(d.modelId).subarray(0, 16), 12);
  out[28] = d.flags ?? (d.labels ? 1 : 0);
  out.set(d.reserved, 29);
  const L = d.offsets.length;
  for (let j = 0; j < L; j++) {
    view.setFloat32(HEADER + 4 * j, d.offsets[j], true);
    view.setFloat32(HEADER + 4 * (L + j), d.steps[j], true);
  }
  out.set(d.payload, HEADER + table);
  if (d.labels) out.set(d.labels, HEADER + table + packed);
  return fixCrc(out);
}

/** Payload bytes of a deterministic bit pattern. */
function pattern(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 151 + 7) & 0xff;
  return out;
}

function resizeTo(d, { count = d.count, latent = d.latent, bits = d.bits }, imageSize) {
  const packed = Math.ceil((count * latent * bits) / 8);
  const values = count * imageSize;
  if (packed + (d.labels ? count : 0) > MAX_CRAFTED_PAYLOAD || count * latent > MAX_CRAFTED_PAYLOAD * 8) return false;
  if (values > MAX_CRAFTED_VALUES && values <= MAX_TYPED_ARRAY) return false;
  d.count = count;
  d.latent = latent;
  d.bits = bits;
  const grow = (v, n, fill) => {
    const out = new Float32Array(n).fill(fill);
    out.set(v.subarray(0, n));
    return out;
  };
  // f32 codes (bits 32) have no offset/step table.
  d.offsets = grow(d.offsets, bits === 32 ? 0 : latent, 0);
  d.steps = grow(d.steps, bits === 32 ? 0 : latent, 0.01);
  d.payload = pattern(packed);
  if (d.labels) d.labels = new Uint8Array(count);
  return true;
}

const FIELD_VALUES = [...BOUNDARY_INTS, 2, 3, 8, 9, 32, 255, 65535, 1 << 16, 1 << 20, 1 << 23, 1 << 24];
const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, -0, 1e-45, 1e30];

const docOp = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('field'),
      name: fc.constantFrom('bits', 'latent', 'count', 'version', 'flags'),
      value: fc.constantFrom(...FIELD_VALUES),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('consistent'),
      name: fc.constantFrom('count', 'latent', 'bits'),
      value: fc.constantFrom(...FIELD_VALUES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('float'),
      which: fc.constantFrom('offsets', 'steps'),
      index: fc.nat(),
      value: fc.constantFrom(...SPECIAL_FLOATS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('label'), index: fc.nat(), value: fc.constantFrom(0, 1, 2, 3, 9, 255) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('labels'), on: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('modelId'),
      value: fc.constantFrom('other', '0000000000000000', 'zzzzzzzzzzzzzzzz', 'upper'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reserved'), value: fc.constantFrom(1, 0xff) }) },
);

function applyDocOp(d, op, seeds) {
  switch (op.op) {
    case 'field':
      d[op.name] = low(op.value, FIELD_BITS[op.name]);
      break;
    case 'consistent': {
      const value = low(op.value, FIELD_BITS[op.name]);
      if (!resizeTo(d, { [op.name]: value }, seeds.find((s) => s.modelId === d.modelId)?.imageSize ?? 784))
        d[op.name] = value;
      break;
    }
    case 'float':
      if (d[op.which].length > 0) d[op.which][op.index % d[op.which].length] = op.value;
      break;
    case 'label':
      if (d.labels?.length) d.labels[op.index % d.labels.length] = op.value;
      break;
    case 'labels':
      d.labels = op.on ? new Uint8Array(Math.min(d.count, 1 << 16)) : undefined;
      break;
    case 'modelId': {
      const other = seeds.find((s) => s.modelId !== d.modelId);
      d.modelId =
        op.value === 'other'
          ? (other?.modelId ?? d.modelId)
          : op.value === 'upper'
            ? d.modelId.toUpperCase()
            : op.value;
      break;
    }
    case 'reserved':
      d.reserved = new Uint8Array(3).fill(op.value);
      break;
    default:
      throw new Error(`fuzz: unknown stream op ${op.op}`);
  }
}

const FORMAT = { parse: (bytes) => inspectStream(bytes), encode: encodeStream, applyDocOp, fix: fixCrc };
const FIELDS = [
  { at: 5, width: 1, le: true },
  { at: 6, width: 2, le: true },
  { at: 8, width: 4, le: true },
  { at: 28, width: 1, le: true },
  { at: -4, width: 4, le: true },
];

const MODELS = [
  {
    options: { inputShape: [4, 4, 1], encoder: [8], latent: 3, seed: 11 },
    streams: [
      [1, 8],
      [3, 1],
      [5, 4],
      [2, 7],
      [3, 32],
    ],
  },
  {
    options: { inputShape: 6, encoder: [5], latent: 2, variational: true, conditional: { classes: 3 }, seed: 12 },
    streams: [
      [3, 8],
      [1, 2],
      [2, 32],
    ],
  },
  // MNIST-sized images from 2-bit codes: ~1,500 bytes out per byte in, so a small stream can claim
  // more images than memory holds.
  { options: { inputShape: [28, 28, 1], encoder: [8], latent: 2, seed: 13 }, streams: [[4, 1]] },
];

async function setup() {
  const models = [],
    seeds = [];
  for (const m of MODELS) {
    const ae = await Autoencoder.create({ ...m.options, threads: 1 });
    const index = models.push(ae) - 1;
    for (const [count, bits] of m.streams) {
      const images = probeImages(imageSizeOf(ae), count);
      const labels =
        ae.config.classes > 0 ? Uint8Array.from({ length: count }, (_, i) => i % ae.config.classes) : undefined;
      const bytes = ae.compress(labels ? { images, labels } : images, { bits });
      seeds.push({
        label: `model ${index}: ${count} images at ${bits} bits${labels ? ', labels' : ''}`,
        bytes,
        model: index,
        modelId: ae.modelId(),
        imageSize: imageSizeOf(ae),
      });
    }
  }
  return { models, seeds };
}

export const decompressTarget = {
  name: 'decompress',
  fn: FN,
  setup,
  async teardown(ctx) {
    for (const ae of ctx.models) await ae.dispose();
  },
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) => planArb({ seedCount: ctx.seeds.length, docOp, fields: FIELDS }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, FORMAT),
  run: (input, ctx, plan) => ctx.models[ctx.seeds[plan.seed].model].decompress(input),
  oracle(outcome, bytes, ctx, plan) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, FN);
    const ae = ctx.models[ctx.seeds[plan.seed].model];
    const { images, count, labels } = outcome.value;
    const s = inspectStream(bytes);
    if (!s) return wrong('silent wrong result: accepted a stream whose layout does not hold together', '');
    if (s.version !== 1 && s.version !== 2)
      return wrong('silent wrong result: accepted an unknown format version', String(s.version));
    if (s.bits === 32 && s.version !== 2)
      return wrong('silent wrong result: accepted f32 codes in a version 1 stream', '');
    if (!allFinite(referenceCodes(s))) return wrong('silent wrong result: accepted codes that are not finite', '');
    if (count !== s.count)
      return wrong('silent wrong result: count differs from the stream', `${count} for ${s.count}`);
    if (!(images instanceof Float32Array) || images.length !== count * imageSizeOf(ae)) {
      return wrong(
        'silent wrong result: images are not count × imageSize values',
        `${images?.length} for ${count} × ${imageSizeOf(ae)}`,
      );
    }
    if (!allFinite(images)) return wrong('silent wrong result: non-finite images', '');
    if (s.labels && (!(labels instanceof Uint8Array) || !sameBits(labels, s.labels)))
      return wrong('silent wrong result: labels differ from the stream', '');
    const expected = ae.decode(referenceCodes(s), { labels: s.labels });
    if (!sameBits(images, expected))
      return wrong("silent wrong result: images differ from decode() of the stream's codes", '');
    return accepted();
  },
};
