// Target `safetensors`: fromSafetensors(bytes, options) on safetensors files (src/entries/safetensors.ts,
// src/io/safetensors.ts): a u64 LE header length, a JSON header of tensors { dtype, shape,
// data_offsets } and `__metadata__` (our config under 'wasm-autoencoder.config'), then raw f32
// data. Structure-aware ops edit the header (dtypes, shapes, offsets overlapping, past the end,
// with gaps or huge; tensors dropped, duplicated, renamed, added; the config metadata edited,
// removed or garbage) and the data, then the length prefix is recomputed, or set to boundary
// values (2^64−1 included, written as two u32s).
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Autoencoder } from '../../dist/entries/index.js';
import { fromSafetensors, toSafetensors } from '../../dist/entries/safetensors.js';
import { buildPlan, planArb, BOUNDARY_INTS } from '../mutate.js';
import { accepted, judgeThrown, wrong, sameBits, sameBytes, probeImages } from '../oracle.js';

const FN = 'fromSafetensors';
const CONFIG_KEY = 'wasm-autoencoder.config';
const RUNTIME = { threads: 1 };
const imageSizeOf = (ae) => ae.config.inputShape[0] * ae.config.inputShape[1] * ae.config.inputShape[2];
/** The largest header JSON or data the harness writes: a loader that is slow on a large valid file
 *  is only doing its job. */
const MAX_CRAFTED = 1 << 20;

// ---- the file format, tolerant of anything a mutation leaves -----------------------------------

/** { header, data, headerBytes } of a file whose length prefix and JSON hold, else undefined. */
export function inspectSafetensors(bytes) {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(4, true) !== 0) return undefined;
  const n = view.getUint32(0, true);
  if (8 + n > bytes.length) return undefined;
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    return undefined;
  }
  return { header, data: bytes.subarray(8 + n) };
}

/** The tensors of a header as name → { shape, bytes }; undefined where the header does not hold. */
function tensorsOf(file) {
  const h = file.header;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return undefined;
  const out = new Map();
  for (const [name, t] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    const [b, e] = Array.isArray(t?.data_offsets) ? t.data_offsets : [];
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e) || b > e || e > file.data.length) return undefined;
    out.set(name, { dtype: t.dtype, shape: JSON.stringify(t.shape), bytes: file.data.subarray(b, e) });
  }
  return out;
}

const configOf = (header) =>
  typeof header?.__metadata__ === 'object' && header.__metadata__ !== null
    ? header.__metadata__[CONFIG_KEY]
    : undefined;

function sameTensors(a, b) {
  if (!a || !b || a.size !== b.size) return false;
  for (const [name, t] of a) {
    const u = b.get(name);
    if (!u || u.dtype !== t.dtype || u.shape !== t.shape || !sameBytes(u.bytes, t.bytes)) return false;
  }
  return true;
}

function parseDoc(bytes) {
  const f = inspectSafetensors(bytes);
  return { header: structuredClone(f.header), data: f.data.slice(), length: undefined };
}

function encodeDoc(doc) {
  let text = JSON.stringify(doc.header);
  if (text === undefined) text = '';
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + doc.data.length);
  const view = new DataView(out.buffer);
  const [low, high] = doc.length ?? [json.length, 0];
  view.setUint32(0, low >>> 0, true);
  view.setUint32(4, high >>> 0, true);
  out.set(json, 8);
  out.set(doc.data, 8 + json.length);
  return out;
}

// ---- structure-aware ops ----------------------------------------------------------------------

const entries = (doc) =>
  typeof doc.header === 'object' && doc.header !== null && !Array.isArray(doc.header)
    ? Object.keys(doc.header).filter((k) => k !== '__metadata__')
    : [];
const tensorAt = (doc, pick) => {
  const names = entries(doc);
  return names.length ? names[pick % names.length] : undefined;
};

const NUMBERS = [...BOUNDARY_INTS, -1, 0.5, 2 ** 64, 2 ** 64 - 1, 1e308, -0, 3, 4, 7, 8];
const OTHER_TYPES = ['x', '', null, true, [], {}, [0], '3'];
const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I32', 'U8', 'f32', '', null, 0, ['F32']];
const SHAPES = [
  [],
  [0],
  [1],
  [2, 2],
  [3, 4, 5],
  [-1],
  [0.5],
  [2 ** 53],
  [2 ** 32, 2 ** 32],
  [1, 1, 1, 1, 1, 1, 1, 1, 1],
  ['1'],
  null,
  4,
];
const OFFSETS = [
  [0, 0],
  [0, 4],
  [4, 0],
  [-4, 0],
  [0, 2 ** 53],
  [2 ** 64, 2 ** 64],
  [0.5, 4.5],
  [0],
  [0, 4, 8],
  null,
  '0,4',
  [1, 5],
];
const NAMES = [
  '0.weight',
  '0.bias',
  'x',
  '',
  '__metadata__',
  '__proto__',
  'constructor',
  'encoder.0.weight',
  '0.weight ',
  'é',
];
const FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, -0, 1e-45];
const LOWS = [0, 1, 2, 7, 8, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 100_000_000, 100_000_001];
const HIGHS = [0, 1, 2 ** 31, 2 ** 32 - 1];
const CONFIG_PATHS = [
  'inputShape',
  'inputShape.0',
  'encoder',
  'encoder.0',
  'latent',
  'decoder',
  'activations',
  'activations.0',
  'latentActivation',
  'output',
  'leakyReluAlpha',
  'variational',
  'beta',
  'classes',
  'seed',
  'loss',
  'optimizer',
  'encoder.0.filters',
  'encoder.0.kernelSize',
  'encoder.0.strides',
  'encoder.0.padding',
];
const CONFIG_GARBAGE = ['', 'x', '{', '{}', '[]', 'null', '1', '"s"', '{"inputShape":[4,4,1]}'];
const CONFIG_VALUES = [...NUMBERS, ...OTHER_TYPES, 'relu', 'conv2d', 65536, [1, 1, 1], [256, 256, 3]];

const docOp = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('dtype'), pick: fc.nat(), value: fc.constantFrom(...DTYPES) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('shape'),
      pick: fc.nat(),
      value: fc.constantFrom(...SHAPES),
      repack: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('dim'),
      pick: fc.nat(),
      index: fc.nat(),
      value: fc.constantFrom(...NUMBERS),
      repack: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('offsets'), pick: fc.nat(), value: fc.constantFrom(...OFFSETS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('layout'),
      pick: fc.nat(),
      kind: fc.constantFrom('overlap', 'pastEnd', 'gap', 'huge', 'swap', 'shiftAll', 'endOnly'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('tensor'),
      pick: fc.nat(),
      other: fc.nat(),
      kind: fc.constantFrom('drop', 'duplicate', 'rename', 'swapNames', 'add', 'addEmpty', 'dropField', 'extraField'),
      name: fc.constantFrom(...NAMES),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('config'),
      path: fc.constantFrom(...CONFIG_PATHS),
      value: fc.constantFrom(...CONFIG_VALUES),
      drop: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('metadata'),
      kind: fc.constantFrom('removeConfig', 'garbage', 'nonString', 'notObject', 'drop', 'extraKey', 'otherSeed'),
      value: fc.constantFrom(...CONFIG_GARBAGE),
      other: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('length'),
      low: fc.constantFrom(...LOWS),
      high: fc.constantFrom(...HIGHS),
      relative: fc.constantFrom(0, -1, 1, undefined),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('data'),
      kind: fc.constantFrom('float', 'truncate', 'extend', 'empty'),
      index: fc.nat(),
      value: fc.constantFrom(...FLOATS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('header'), value: fc.constantFrom(null, [], 'x', 1, {}) }) },
);

const product = (shape) =>
  Array.isArray(shape) ? shape.reduce((a, d) => a * (typeof d === 'number' ? d : NaN), 1) : NaN;

/** Tensors back to back in header order, each with its shape's bytes (its old data, cut or padded
 *  with a pattern), so that a shape edit reaches the model's shape checks. Skipped when too big. */
function repack(doc) {
  const names = entries(doc);
  const sizes = names.map((n) => product(doc.header[n]?.shape) * 4);
  if (
    sizes.some((s) => !Number.isSafeInteger(s) || s < 0 || s % 4 !== 0) ||
    sizes.reduce((a, b) => a + b, 0) > MAX_CRAFTED
  )
    return;
  const out = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  names.forEach((n, i) => {
    const t = doc.header[n];
    const [b, e] = Array.isArray(t?.data_offsets) ? t.data_offsets : [0, 0];
    const old =
      Number.isSafeInteger(b) && Number.isSafeInteger(e) && b <= e
        ? doc.data.subarray(b, Math.min(e, doc.data.length))
        : new Uint8Array(0);
    const part = new Float32Array(sizes[i] / 4);
    for (let k = 0; k < part.length; k++) part[k] = (((k * 7919) % 2001) - 1000) / 10000;
    const bytes = new Uint8Array(part.buffer);
    bytes.set(old.subarray(0, sizes[i]));
    out.set(bytes, at);
    t.data_offsets = [at, at + sizes[i]];
    at += sizes[i];
  });
  doc.data = out;
}

function setAtPath(root, path, value, drop) {
  const keys = path.split('.');
  let node = root;
  for (const k of keys.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !(k in node)) return;
    node = node[k];
  }
  if (typeof node !== 'object' || node === null) return;
  const last = keys.at(-1);
  if (drop) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    node[last] = structuredClone(value);
  }
}

function ensureMetadata(doc) {
  if (typeof doc.header !== 'object' || doc.header === null || Array.isArray(doc.header)) return undefined;
  const m = doc.header.__metadata__;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    doc.header.__metadata__ = {};
    return doc.header.__metadata__;
  }
  return m;
}

function applyDocOp(doc, op, seeds) {
  const name = tensorAt(doc, op.pick ?? 0);
  const t = name === undefined ? undefined : doc.header[name];
  const isObj = typeof t === 'object' && t !== null;
  switch (op.op) {
    case 'dtype':
      if (isObj) t.dtype = structuredClone(op.value);
      break;
    case 'shape':
      if (isObj) {
        t.shape = structuredClone(op.value);
        if (op.repack) repack(doc);
      }
      break;
    case 'dim':
      if (isObj && Array.isArray(t.shape) && t.shape.length > 0) {
        t.shape[op.index % t.shape.length] = op.value;
        if (op.repack) repack(doc);
      }
      break;
    case 'offsets':
      if (isObj) t.data_offsets = structuredClone(op.value);
      break;
    case 'layout': {
      if (!isObj || !Array.isArray(t.data_offsets)) break;
      const [b, e] = t.data_offsets;
      const names = entries(doc);
      const D = doc.data.length;
      if (op.kind === 'overlap') t.data_offsets = [Math.max(0, b - 4), Math.max(0, e - 4)];
      else if (op.kind === 'pastEnd') t.data_offsets = [b + 4, e + 4];
      else if (op.kind === 'endOnly') t.data_offsets = [b, D + 4];
      else if (op.kind === 'huge') t.data_offsets = [2 ** 53 - 4, 2 ** 53 + (e - b)];
      else if (op.kind === 'gap') {
        // 4 bytes before this tensor, every later tensor shifted: the sizes all hold, a gap stays.
        for (const n of names) {
          const o = doc.header[n]?.data_offsets;
          if (Array.isArray(o) && typeof o[0] === 'number' && o[0] >= b)
            doc.header[n].data_offsets = [o[0] + 4, o[1] + 4];
        }
        const out = new Uint8Array(D + 4);
        out.set(doc.data.subarray(0, Math.min(b, D)), 0);
        out.set(doc.data.subarray(Math.min(b, D)), Math.min(b, D) + 4);
        doc.data = out;
      } else if (op.kind === 'swap') {
        const other = doc.header[names[(names.indexOf(name) + 1) % names.length]];
        if (typeof other === 'object' && other !== null)
          [t.data_offsets, other.data_offsets] = [other.data_offsets, t.data_offsets];
      } else if (op.kind === 'shiftAll') {
        for (const n of names) {
          const o = doc.header[n]?.data_offsets;
          if (Array.isArray(o)) doc.header[n].data_offsets = o.map((v) => (typeof v === 'number' ? v + 4 : v));
        }
        doc.data = new Uint8Array([...new Uint8Array(4), ...doc.data]);
      }
      break;
    }
    case 'tensor': {
      if (typeof doc.header !== 'object' || doc.header === null || Array.isArray(doc.header)) break;
      const names = entries(doc);
      if (op.kind === 'drop' && name !== undefined) delete doc.header[name];
      else if (op.kind === 'duplicate' && isObj) doc.header[`${name}.copy`] = structuredClone(t);
      else if (op.kind === 'rename' && name !== undefined) {
        const v = doc.header[name];
        delete doc.header[name];
        Object.defineProperty(doc.header, op.name, { value: v, enumerable: true, writable: true, configurable: true });
      } else if (op.kind === 'swapNames' && names.length > 1) {
        const other = names[(names.indexOf(name) + 1 + (op.other % (names.length - 1))) % names.length];
        [doc.header[name], doc.header[other]] = [doc.header[other], doc.header[name]];
      } else if (op.kind === 'add' || op.kind === 'addEmpty') {
        const count = op.kind === 'add' ? 3 : 0;
        Object.defineProperty(doc.header, op.name, {
          value: { dtype: 'F32', shape: [count], data_offsets: [doc.data.length, doc.data.length + 4 * count] },
          enumerable: true,
          writable: true,
          configurable: true,
        });
        doc.data = new Uint8Array([...doc.data, ...new Uint8Array(4 * count)]);
      } else if (op.kind === 'dropField' && isObj) delete t[['dtype', 'shape', 'data_offsets'][op.other % 3]];
      else if (op.kind === 'extraField' && isObj) t.extra = 1;
      break;
    }
    case 'config': {
      const m = ensureMetadata(doc);
      if (!m || typeof m[CONFIG_KEY] !== 'string') break;
      let c;
      try {
        c = JSON.parse(m[CONFIG_KEY]);
      } catch {
        break;
      }
      if (typeof c !== 'object' || c === null) break;
      setAtPath(c, op.path, op.value, op.drop);
      m[CONFIG_KEY] = JSON.stringify(c) ?? '';
      break;
    }
    case 'metadata': {
      if (op.kind === 'drop') {
        if (typeof doc.header === 'object' && doc.header !== null) delete doc.header.__metadata__;
        break;
      }
      if (op.kind === 'notObject') {
        if (typeof doc.header === 'object' && doc.header !== null)
          doc.header.__metadata__ = op.value === '' ? null : [op.value];
        break;
      }
      const m = ensureMetadata(doc);
      if (!m) break;
      if (op.kind === 'removeConfig') delete m[CONFIG_KEY];
      else if (op.kind === 'garbage') m[CONFIG_KEY] = op.value;
      else if (op.kind === 'nonString') m[CONFIG_KEY] = { nested: op.value };
      else if (op.kind === 'extraKey') m.extra = op.value;
      else if (op.kind === 'otherSeed') {
        const other = configOf(inspectSafetensors(seeds[op.other % seeds.length].bytes).header);
        if (other === undefined) delete m[CONFIG_KEY];
        else m[CONFIG_KEY] = other;
      }
      break;
    }
    case 'length': {
      const json = (JSON.stringify(doc.header) ?? '').length;
      doc.length = op.relative === undefined ? [op.low, op.high] : [json + op.relative, op.high];
      break;
    }
    case 'data': {
      const D = doc.data.length;
      if (op.kind === 'float' && D >= 4)
        new DataView(doc.data.buffer, doc.data.byteOffset).setFloat32(
          4 * (op.index % Math.floor(D / 4)),
          op.value,
          true,
        );
      else if (op.kind === 'truncate') doc.data = doc.data.slice(0, Math.max(0, D - 4));
      else if (op.kind === 'extend') doc.data = new Uint8Array([...doc.data, 0, 0, 0x80, 0x3f]);
      else if (op.kind === 'empty') doc.data = new Uint8Array(0);
      break;
    }
    case 'header':
      doc.header = structuredClone(op.value);
      break;
    default:
      throw new Error(`fuzz: unknown safetensors op ${op.op}`);
  }
  if ((JSON.stringify(doc.header) ?? '').length > MAX_CRAFTED) doc.header = {};
}

const FORMAT = { parse: parseDoc, encode: encodeDoc, applyDocOp };
/** The length prefix as one u64 and as its two u32 halves. */
const FIELDS = [
  { at: 0, width: 8, le: true },
  { at: 0, width: 4, le: true },
  { at: 4, width: 4, le: true },
];

// ---- seeds -------------------------------------------------------------------------------------

const MODELS = [
  { label: 'dense', options: { inputShape: [4, 4, 1], encoder: [8], latent: 3, seed: 5 } },
  {
    label: 'conv leaky-relu',
    options: {
      inputShape: [8, 8, 3],
      latent: 5,
      seed: 6,
      activation: 'leakyRelu',
      encoder: [
        { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 },
        { type: 'conv2d', filters: 6, kernelSize: 4, strides: 2 },
      ],
    },
  },
  {
    label: 'variational tanh',
    options: {
      inputShape: [6, 6, 2],
      encoder: [10],
      latent: 2,
      variational: { beta: 0.5 },
      seed: 7,
      activation: 'tanh',
    },
  },
];
const FIXTURES = ['dense', 'conv', 'conv-rgb'];

async function setup() {
  const seeds = [];
  const add = async (label, bytes, options) => {
    const ae = await fromSafetensors(bytes, { ...options, ...RUNTIME });
    const probe = probeImages(imageSizeOf(ae), 2);
    const file = inspectSafetensors(bytes);
    seeds.push({
      label,
      bytes,
      options,
      probe,
      expected: ae.reconstruct(probe),
      tensors: tensorsOf(file),
      config: configOf(file.header),
    });
    await ae.dispose();
  };
  for (const m of MODELS) {
    const ae = await Autoencoder.create({ ...m.options, ...RUNTIME });
    await add(`toSafetensors: ${m.label}`, toSafetensors(ae), {});
    await ae.dispose();
  }
  for (const name of FIXTURES) {
    const url = new URL(`../../test/fixtures/pytorch/${name}`, import.meta.url);
    const { options } = JSON.parse(readFileSync(new URL(`${url.href}.json`), 'utf8'));
    await add(`PyTorch fixture ${name}`, new Uint8Array(readFileSync(new URL(`${url.href}.safetensors`))), options);
  }
  return { seeds };
}

export const safetensorsTarget = {
  name: 'safetensors',
  fn: FN,
  setup,
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) => planArb({ seedCount: ctx.seeds.length, docOp, fields: FIELDS }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, FORMAT),
  run: (input, ctx, plan) => fromSafetensors(input, { ...ctx.seeds[plan.seed].options, ...RUNTIME }),
  async oracle(outcome, bytes, ctx, plan) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, `${FN}:`);
    const ae = outcome.value;
    const seed = ctx.seeds[plan.seed];
    let back;
    try {
      const probe = probeImages(imageSizeOf(ae), 2);
      const out = ae.reconstruct(probe);
      if (!(out instanceof Float32Array) || out.length !== probe.length)
        return wrong('loaded model: reconstruct gives the wrong length', `${out?.length} for ${probe.length}`);
      // toSafetensors of it loads again (no options needed: the config is in the metadata) to the same outputs.
      back = await fromSafetensors(toSafetensors(ae), RUNTIME);
      if (!sameBits(back.reconstruct(probe), out))
        return wrong('fromSafetensors(toSafetensors()) gives other outputs', '');
      // The same tensors and config as a seed loaded with the same options: the seed's outputs.
      const file = inspectSafetensors(bytes);
      const tensors = file && tensorsOf(file);
      if (tensors) {
        for (const s of ctx.seeds) {
          if (JSON.stringify(s.options) !== JSON.stringify(seed.options)) continue;
          if (s.config !== configOf(file.header) || !sameTensors(s.tensors, tensors)) continue;
          if (s.probe.length !== probe.length || !sameBits(out, s.expected))
            return wrong('same tensors and config as a seed, different outputs', s.label);
        }
      }
      return accepted();
    } catch (error) {
      return wrong(
        `loaded model unusable: ${String(error?.message ?? error).split(':')[0]}`,
        error?.stack ?? String(error),
      );
    } finally {
      await back?.dispose();
    }
  },
};
