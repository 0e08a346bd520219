// Target `load`: Autoencoder.load(bytes) on model files (src/io/modelFile.ts): magic, u16 version,
// u16 flags, u32 header length, JSON header, padding, f32 parameters, optional optimizer state,
// CRC-32 trailer. Structure-aware ops edit the JSON header, the parameters and the optimizer
// state, then the header length, padding and CRC are recomputed so that they reach the loader's
// checks past the checksum.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Autoencoder } from '../../dist/entries/index.js';
import { normalizeOptions } from '../../dist/model/options.js';
import { layerPlan } from '../../dist/model/layerPlan.js';
import { buildNetwork } from '../../dist/engine/network.js';
import { buildPlan, fixCrc, planArb, BOUNDARY_INTS } from '../mutate.js';
import {
  accepted,
  judgeThrown,
  wrong,
  allFinite,
  sameBits,
  sameBytes,
  deepEqual,
  firstDifference,
  probeImages,
} from '../oracle.js';

const FN = 'Autoencoder.load';
/** Values per image (ae.inputSize also counts a conditional model's label inputs). */
const imageSizeOf = (ae) => ae.config.inputShape[0] * ae.config.inputShape[1] * ae.config.inputShape[2];
const RUNTIME = { threads: 1 };

// ---- the file format, tolerant of anything a mutation leaves -----------------------------------

/** The parts of a model file, without judging them. Undefined where the bytes are no model file. */
export function inspectModelFile(bytes) {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true),
    flags = view.getUint16(6, true),
    headerLength = view.getUint32(8, true);
  if (12 + headerLength + 4 > bytes.length) return undefined;
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    return undefined;
  }
  const paramsAt = (12 + headerLength + 3) & ~3;
  const P = Number.isSafeInteger(header?.paramCount) ? header.paramCount * 4 : -1;
  const withOpt = (flags & 1) !== 0;
  if (P < 0 || bytes.length !== paramsAt + P * (withOpt ? 3 : 1) + 4) return { version, flags, header };
  const floats = (at) => {
    const b = bytes.slice(at, at + P);
    return { bytes: b, values: new Float32Array(b.buffer) };
  };
  return {
    version,
    flags,
    header,
    params: floats(paramsAt),
    optimizer: withOpt ? [floats(paramsAt + P), floats(paramsAt + 2 * P)] : undefined,
  };
}

/** A seed's document: header object, parameters and optimizer state as f32 arrays. */
function parseDoc(bytes) {
  const f = inspectModelFile(bytes);
  return {
    magic: bytes.slice(0, 4),
    version: f.version,
    flags: undefined,
    header: f.header,
    params: f.params.values.slice(),
    optimizer: f.optimizer ? f.optimizer.map((o) => o.values.slice()) : undefined,
    indent: undefined,
    reorder: false,
    textEdits: [],
  };
}

function encodeDoc(doc) {
  let header = doc.header;
  if (doc.reorder && header && typeof header === 'object') header = reorderKeys(header);
  let text = JSON.stringify(header, null, doc.indent);
  if (text === undefined) text = '';
  let json = new TextEncoder().encode(text);
  for (const edit of doc.textEdits) json = editText(json, edit);
  const paramsAt = (12 + json.length + 3) & ~3;
  const P = doc.params.length * 4;
  const total = paramsAt + P * (doc.optimizer ? 3 : 1) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(doc.magic, 0);
  view.setUint16(4, doc.version, true);
  view.setUint16(6, doc.flags ?? (doc.optimizer ? 1 : 0), true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(new Uint8Array(doc.params.buffer, doc.params.byteOffset, P), paramsAt);
  if (doc.optimizer) {
    out.set(new Uint8Array(doc.optimizer[0].buffer, doc.optimizer[0].byteOffset, P), paramsAt + P);
    out.set(new Uint8Array(doc.optimizer[1].buffer, doc.optimizer[1].byteOffset, P), paramsAt + 2 * P);
  }
  return fixCrc(out);
}

function reorderKeys(v) {
  if (Array.isArray(v)) return v.map(reorderKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.keys(v)
      .reverse()
      .map((k) => [k, reorderKeys(v[k])]),
  );
}

function editText(json, edit) {
  const text = new TextDecoder().decode(json);
  const enc = (s) => new TextEncoder().encode(s);
  switch (edit) {
    case 'bom':
      return enc(`\ufeff${text}`);
    case 'trailingGarbage':
      return enc(`${text}}`);
    case 'trailingSpaces':
      return enc(`${text}   \n`);
    case 'nanLiteral':
      return enc(text.replace(/(-?\d+(\.\d+)?(e[+-]?\d+)?)/i, 'NaN'));
    case 'empty':
      return new Uint8Array(0);
    case 'invalidUtf8': {
      const out = json.slice();
      if (out.length > 2) out[2] = 0xff;
      return out;
    }
    case 'duplicateKey':
      return enc(text.replace(/}\s*$/, `,"paramCount":1}`));
    case 'nul':
      return enc(`${text}\u0000`);
    default:
      throw new Error(`fuzz: unknown header text edit ${edit}`);
  }
}

// ---- structure-aware ops ----------------------------------------------------------------------

const SPECIAL_NUMBERS = [
  ...BOUNDARY_INTS,
  -1,
  -(2 ** 31),
  -(2 ** 53),
  0.5,
  -0.5,
  1e308,
  -1e308,
  5e-324,
  -0,
  65536,
  65537,
  4096,
  4097,
  7,
  8,
  256,
  257,
];
const OTHER_TYPES = ['x', '', null, true, false, [], {}, [0], { a: 1 }, '3', [[]], 'relu'];
const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, -0, 1e-45, -1, -1e-30, 1e30];
const PATHS = [
  'config',
  'config.inputShape',
  'config.inputShape.0',
  'config.inputShape.2',
  'config.encoder',
  'config.encoder.0',
  'config.latent',
  'config.decoder',
  'config.decoder.0',
  'config.activations',
  'config.activations.0',
  'config.latentActivation',
  'config.output',
  'config.leakyReluAlpha',
  'config.loss',
  'config.optimizer',
  'config.optimizer.type',
  'config.optimizer.learningRate',
  'config.optimizer.beta1',
  'config.optimizer.beta2',
  'config.optimizer.epsilon',
  'config.optimizer.weightDecay',
  'config.optimizer.momentum',
  'config.optimizer.nesterov',
  'config.seed',
  'config.variational',
  'config.beta',
  'config.classes',
  'config.encoder.0.filters',
  'config.encoder.0.kernelSize',
  'config.encoder.0.strides',
  'config.encoder.0.padding',
  'step',
  'paramCount',
  'shuffleState',
  'shuffleState.0',
  'library',
];
const SHUFFLE_STATES = [
  [0, 0, 0, 0],
  ['a', 'b', 'c', 'd'],
  [1, 2, 3],
  [1, 2, 3, 4, 5],
  [2 ** 32, 0, 0, 1],
  [-1, -1, -1, -1],
  [1.5, 2, 3, 4],
  [null, null, null, null],
  'abcd',
  {},
  null,
];
const STEPS = [-1, -(2 ** 31), 2 ** 53, 2 ** 32, 0.5, '3', null, 1e308, -0, 0, 1];

const jsonAction = fc.oneof(
  fc.record({ action: fc.constant('number'), value: fc.constantFrom(...SPECIAL_NUMBERS) }),
  fc.record({ action: fc.constant('type'), value: fc.constantFrom(...OTHER_TYPES) }),
  fc.record({ action: fc.constant('drop') }),
  fc.record({
    action: fc.constant('addKey'),
    key: fc.constantFrom('extra', 'dropout', '__proto__', 'constructor', 'activation'),
    value: fc.constantFrom(1, 'x', null, true),
  }),
  fc.record({
    action: fc.constant('hugeArray'),
    length: fc.constantFrom(2, 5, 300, 65536, 200000),
    value: fc.constantFrom(1, 65536, 4096, 'relu'),
  }),
  fc.record({ action: fc.constant('repeatArray'), length: fc.constantFrom(2, 5, 300, 65536) }),
  fc.record({ action: fc.constant('dupElement') }),
);

const docOp = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('path'), path: fc.constantFrom(...PATHS), edit: jsonAction }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('node'), pick: fc.nat(), edit: jsonAction }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('shuffleState'), value: fc.constantFrom(...SHUFFLE_STATES) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('step'), value: fc.constantFrom(...STEPS), withOptimizer: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('optimizer'),
      action: fc.constantFrom('add', 'drop', 'm', 'v'),
      index: fc.nat(),
      value: fc.constantFrom(...SPECIAL_FLOATS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('param'), index: fc.nat(), value: fc.constantFrom(...SPECIAL_FLOATS) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('version'), value: fc.constantFrom(0, 1, 2, 3, 0xffff) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flags'), value: fc.constantFrom(0, 1, 2, 3, 0x8000, 0xffff) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reformat'), style: fc.constantFrom('pretty', 'reorder') }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('headerText'),
      edit: fc.constantFrom(
        'bom',
        'trailingGarbage',
        'trailingSpaces',
        'nanLiteral',
        'empty',
        'invalidUtf8',
        'duplicateKey',
        'nul',
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('syncParams') }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('resizeParams'), count: fc.constantFrom(0, 1, -1, 4, 1 << 16, 1 << 20) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('bigConfig'),
      inputShape: fc.constantFrom([256, 256, 1], [128, 128, 4], [1, 65536, 1], [64, 64, 3], [16, 16, 1]),
      width: fc.constantFrom(255, 256, 513, 4096, 65536),
    }),
  },
);

/** Every node of a JSON value with its parent and key, depth first. */
function nodesOf(root) {
  const out = [{ parent: undefined, key: undefined, value: root }];
  for (let i = 0; i < out.length; i++) {
    const v = out[i].value;
    if (typeof v === 'object' && v !== null)
      for (const k of Object.keys(v)) out.push({ parent: v, key: k, value: v[k] });
  }
  return out;
}

function nodeAt(root, path) {
  let parent,
    key,
    value = { root };
  for (const k of ['root', ...path.split('.')]) {
    if (typeof value !== 'object' || value === null || !(k in value)) return undefined;
    parent = value;
    key = k;
    value = value[k];
  }
  return { parent, key, value };
}

function editNode(doc, node, edit) {
  if (!node) return;
  const set = (v) => {
    if (node.parent === undefined) doc.header = v;
    else node.parent[node.key] = v;
  };
  switch (edit.action) {
    case 'number':
      set(edit.value);
      break;
    case 'type':
      set(structuredClone(edit.value));
      break;
    case 'drop':
      if (node.parent === undefined) doc.header = undefined;
      else if (Array.isArray(node.parent)) node.parent.splice(Number(node.key), 1);
      else delete node.parent[node.key];
      break;
    case 'addKey': {
      const target =
        typeof node.value === 'object' && node.value !== null && !Array.isArray(node.value) ? node.value : node.parent;
      if (target && !Array.isArray(target))
        Object.defineProperty(target, edit.key, {
          value: edit.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      break;
    }
    case 'hugeArray':
      set(longArray(doc, edit.value, edit.length));
      break;
    case 'repeatArray':
      set(longArray(doc, Array.isArray(node.value) && node.value.length > 0 ? node.value[0] : node.value, edit.length));
      break;
    case 'dupElement':
      if (
        Array.isArray(node.value) &&
        node.value.length > 0 &&
        (JSON.stringify(doc.header) ?? '').length < MAX_CRAFTED_JSON
      )
        node.value.push(structuredClone(node.value.at(-1)));
      break;
    default:
      throw new Error(`fuzz: unknown JSON edit ${edit.action}`);
  }
}

/** The largest JSON the harness writes into a header: a loader that reads a large header slowly
 *  or with much memory is worth knowing, one that parses 30 MB of valid JSON is only doing its job. */
const MAX_CRAFTED_JSON = 1 << 20;

/** `length` copies of `value`, fewer if the header's JSON would pass MAX_CRAFTED_JSON (copies share
 *  one object, so a later copy of a copy multiplies: the whole header is measured every time). */
function longArray(doc, value, length) {
  const each = (JSON.stringify(value) ?? 'null').length + 1;
  const room = MAX_CRAFTED_JSON - (JSON.stringify(doc.header) ?? '').length;
  return new Array(Math.max(0, Math.min(length, Math.floor(room / each)))).fill(value);
}

/** A stored config back into create() options: the mapping the loader makes (model/autoencoder.ts). */
function optionsOf(c) {
  return {
    inputShape: c.inputShape,
    encoder: c.encoder,
    latent: c.latent,
    decoder: c.decoder,
    activation: c.activations,
    latentActivation: c.latentActivation,
    output: c.output,
    leakyReluAlpha: c.leakyReluAlpha,
    loss: c.loss,
    optimizer: c.optimizer,
    seed: c.seed,
    variational: c.variational ? { beta: c.beta } : false,
    conditional: c.classes > 0 ? { classes: c.classes } : undefined,
  };
}

/** The parameter count a config needs, or undefined when it is no valid config. */
function paramCountOf(config) {
  try {
    const c = normalizeOptions(optionsOf(config));
    const { layers, codeLayer } = layerPlan(c);
    return buildNetwork(layers, {
      alpha: c.leakyReluAlpha,
      loss: c.loss,
      codeLayer,
      latent: c.latent,
      variational: c.variational,
      beta: c.beta,
      classes: c.classes,
    }).paramCount;
  } catch {
    return undefined;
  }
}

/** Deterministic small weights, so that a resized model still computes finite outputs. */
function fillWeights(n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 7919) % 2001) - 1000) / 10000;
  return out;
}

function resize(doc, count) {
  const copy = (v, fill) => {
    const out = fill(count);
    out.set(v.subarray(0, count));
    return out;
  };
  doc.params = copy(doc.params, fillWeights);
  if (doc.optimizer)
    doc.optimizer = [
      copy(doc.optimizer[0], (n) => new Float32Array(n)),
      copy(doc.optimizer[1], (n) => new Float32Array(n)),
    ];
  if (doc.header && typeof doc.header === 'object') doc.header.paramCount = count;
}

function applyDocOp(doc, op) {
  const P = doc.params.length;
  switch (op.op) {
    case 'path':
      editNode(doc, nodeAt(doc.header, op.path), op.edit);
      break;
    case 'node': {
      const nodes = nodesOf(doc.header);
      editNode(doc, nodes[op.pick % nodes.length], op.edit);
      break;
    }
    case 'shuffleState':
      if (doc.header && typeof doc.header === 'object') doc.header.shuffleState = structuredClone(op.value);
      break;
    case 'step':
      if (doc.header && typeof doc.header === 'object') doc.header.step = op.value;
      if (op.withOptimizer && !doc.optimizer) doc.optimizer = [new Float32Array(P), new Float32Array(P)];
      break;
    case 'optimizer':
      if (op.action === 'drop') {
        doc.optimizer = undefined;
        break;
      }
      if (!doc.optimizer) doc.optimizer = [new Float32Array(P), new Float32Array(P).fill(1e-8)];
      if (op.action === 'm' && P > 0) doc.optimizer[0][op.index % P] = op.value;
      if (op.action === 'v' && P > 0) doc.optimizer[1][op.index % P] = op.value;
      break;
    case 'param':
      if (P > 0) doc.params[op.index % P] = op.value;
      break;
    case 'version':
      doc.version = op.value;
      break;
    case 'flags':
      doc.flags = op.value;
      break;
    case 'reformat':
      if (op.style === 'pretty') doc.indent = 1;
      else doc.reorder = true;
      break;
    case 'headerText':
      doc.textEdits.push(op.edit);
      break;
    case 'syncParams': {
      const count = doc.header && typeof doc.header === 'object' ? paramCountOf(doc.header.config) : undefined;
      if (count !== undefined && count <= 1 << 20) resize(doc, count);
      break;
    }
    case 'resizeParams':
      resize(doc, Math.max(0, op.count === -1 ? P - 1 : op.count));
      break;
    case 'bigConfig': {
      // A config that passes the option checks but needs many parameters or much memory: the
      // loader should refuse it by the file's parameter count before it plans memory for it.
      const c = doc.header?.config;
      if (!c || typeof c !== 'object' || !Array.isArray(c.encoder) || !Array.isArray(c.decoder)) break;
      c.inputShape = [...op.inputShape];
      const dense = (layers) => layers.map((l) => (typeof l === 'number' ? op.width : l));
      c.encoder = dense(c.encoder);
      c.decoder = dense(c.decoder);
      break;
    }
    default:
      throw new Error(`fuzz: unknown model file op ${op.op}`);
  }
}

const FORMAT = { parse: parseDoc, encode: encodeDoc, applyDocOp, fix: fixCrc };

/** The fixed-offset integer fields: version, flags, header length; the CRC at the end. */
const FIELDS = [
  { at: 4, width: 2, le: true },
  { at: 6, width: 2, le: true },
  { at: 8, width: 4, le: true },
  { at: -4, width: 4, le: true },
];

// ---- seeds: small models of every kind, saved -------------------------------------------------

const SEED_MODELS = [
  { label: 'dense, fresh', options: { inputShape: [4, 4, 1], encoder: [8], latent: 3, seed: 1 } },
  {
    label: 'dense adam, trained, with optimizer state',
    options: { inputShape: [4, 4, 1], encoder: [6, 5], latent: 3, seed: 2 },
    fit: true,
    optimizer: true,
  },
  {
    label: 'dense sgd momentum, trained, without optimizer state',
    options: {
      inputShape: 10,
      encoder: [6],
      latent: 2,
      activation: 'tanh',
      output: 'linear',
      optimizer: { type: 'sgd', momentum: 0.9 },
      seed: 3,
    },
    fit: true,
  },
  {
    label: 'conv, adamw, with optimizer state',
    options: {
      inputShape: [6, 6, 1],
      encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2 }],
      latent: 3,
      optimizer: 'adamw',
      seed: 4,
    },
    fit: true,
    optimizer: true,
  },
  {
    label: 'variational conditional bce',
    options: {
      inputShape: [3, 3, 2],
      encoder: [5],
      latent: 2,
      variational: { beta: 0.5 },
      conditional: { classes: 3 },
      loss: 'bce',
      activation: 'leakyRelu',
      leakyReluAlpha: 0.2,
      seed: 5,
    },
    fit: true,
    optimizer: true,
  },
];

async function seedOf(label, bytes) {
  const ae = await Autoencoder.load(bytes.slice(), RUNTIME);
  try {
    const probe = probeImages(imageSizeOf(ae));
    const labels = ae.config.classes > 0 ? new Uint8Array([0, 1]) : undefined;
    const file = inspectModelFile(bytes);
    return {
      label,
      bytes,
      config: file.header.config,
      paramBytes: file.params.bytes,
      expected: ae.reconstruct(probe, { labels }),
      inputSize: ae.inputSize,
      latentSize: ae.latentSize,
      paramCount: ae.paramCount,
      summary: ae.summary(),
    };
  } finally {
    await ae.dispose();
  }
}

async function setup() {
  const seeds = [];
  for (const m of SEED_MODELS) {
    const ae = await Autoencoder.create({ ...m.options, ...RUNTIME });
    if (m.fit) {
      const images = probeImages(imageSizeOf(ae), 16);
      const labels =
        ae.config.classes > 0 ? Uint8Array.from({ length: 16 }, (_, i) => i % ae.config.classes) : undefined;
      await ae.fit(labels ? { images, labels } : images, { epochs: 2, batchSize: 8 });
    }
    const bytes = ae.save({ optimizer: m.optimizer ?? false });
    await ae.dispose();
    seeds.push(await seedOf(m.label, bytes));
  }
  const fixture = new Uint8Array(readFileSync(new URL('../../test/fixtures/dense-v1.wae', import.meta.url)));
  seeds.push(await seedOf('format version 1 fixture (test/fixtures/dense-v1.wae)', fixture));
  return { seeds };
}

// ---- the oracle -------------------------------------------------------------------------------

const isUint32 = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** What a loaded model must satisfy; returns the list of broken promises (empty when right). */
async function checkLoaded(ae, bytes, ctx) {
  const problems = [];
  const file = inspectModelFile(bytes);
  if (!file?.params)
    return [['accepted bytes the format does not describe', 'the harness cannot parse them as a model file']];
  const { header } = file;
  const probe = probeImages(imageSizeOf(ae));
  const labels = ae.config.classes > 0 ? new Uint8Array([0, 1 % ae.config.classes]) : undefined;
  const out = ae.reconstruct(probe, { labels });
  if (out.length !== probe.length)
    problems.push(['reconstruct gives the wrong length', `${out.length} values for ${probe.length}`]);
  if (!allFinite(file.params.values))
    problems.push(['non-finite parameters accepted', 'the file holds NaN or ±Infinity weights']);
  // The model holds exactly the file's weights: below, save() must give back its parameters byte
  // for byte. (Finite weights near the float range may overflow to non-finite outputs: that is the
  // file's model, faithfully loaded, not a loader's mistake.)

  const withOptimizer = file.optimizer !== undefined;
  if (withOptimizer) {
    const step = header.step;
    if (typeof step !== 'number') problems.push(['non-numeric step accepted', `step ${JSON.stringify(step)}`]);
    else if (step < 0) problems.push(['negative step accepted', `step ${step}`]);
    else if (!Number.isSafeInteger(step)) problems.push(['non-integer or unsafe step accepted', `step ${step}`]);
    const [m, v] = file.optimizer.map((o) => o.values);
    if (!allFinite(m) || !allFinite(v))
      problems.push(['non-finite optimizer state accepted', 'm or v holds NaN or ±Infinity']);
    if (ae.config.optimizer.type !== 'sgd' && v.some((x) => x < 0))
      problems.push(['negative Adam v accepted', `v has ${v.filter((x) => x < 0).length} negative values`]);
  }
  const ss = header.shuffleState;
  if (ss !== undefined && !(Array.isArray(ss) && ss.length === 4 && ss.every(isUint32) && ss.some((x) => x !== 0))) {
    problems.push(['invalid shuffleState accepted', `shuffleState ${JSON.stringify(ss)?.slice(0, 60)}`]);
  }

  // A file save() wrote holds the normalized config, so the model runs on exactly that; any
  // other config was corrupted or written by something else, and is read by guessing.
  const d = firstDifference(header.config, ae.config, 'config');
  if (d) {
    const show = (v) => JSON.stringify(v)?.slice(0, 60);
    const kinds = {
      missing: 'a key missing from the file was defaulted',
      unknown: 'an unknown key in the file was ignored',
      changed: 'a value in the file was read as another',
    };
    problems.push([
      `config not as stored: ${kinds[d.kind]}`,
      `${d.path}${d.kind === 'missing' ? ` → ${show(d.loaded)}` : d.kind === 'unknown' ? ` = ${show(d.stored)}` : `: ${show(d.stored)} → ${show(d.loaded)}`}`,
    ]);
  }

  // The identity promise: same config and parameters as a seed, so the same model.
  const seed = ctx.seeds.find((s) => deepEqual(s.config, header.config) && sameBytes(s.paramBytes, file.params.bytes));
  if (seed) {
    if (
      ae.inputSize !== seed.inputSize ||
      ae.latentSize !== seed.latentSize ||
      ae.paramCount !== seed.paramCount ||
      ae.summary() !== seed.summary
    ) {
      problems.push(['same config and parameters, different shapes', `seed '${seed.label}'`]);
    }
    if (!deepEqual(ae.config.activations, seed.config.activations))
      problems.push(['same config and parameters, different activations', seed.label]);
    if (!sameBits(out, seed.expected))
      problems.push(['same config and parameters, different outputs', `seed '${seed.label}'`]);
  }

  // save() keeps what was loaded, and loading that again gives the same model.
  const again = ae.save({ optimizer: withOptimizer });
  const back = inspectModelFile(again);
  if (!sameBytes(back.params.bytes, file.params.bytes))
    problems.push(['save() after load() changes the parameters', '']);
  if (withOptimizer && !back.optimizer.every((o, i) => sameBytes(o.bytes, file.optimizer[i].bytes)))
    problems.push(['save() after load() changes the optimizer state', '']);
  if (withOptimizer && back.header.step !== header.step)
    problems.push(['save() after load() changes the step', `${header.step} → ${back.header.step}`]);
  let reloaded;
  try {
    reloaded = await Autoencoder.load(again, RUNTIME);
    if (!sameBits(reloaded.reconstruct(probe, { labels }), out))
      problems.push(['load(save()) gives other outputs', '']);
    if (reloaded.steps !== ae.steps)
      problems.push(['load(save()) gives another step count', `${ae.steps} → ${reloaded.steps}`]);
  } catch (error) {
    problems.push([
      `load(save()) of a loaded model throws: ${String(error?.message).split(':')[0]}`,
      String(error?.message),
    ]);
  } finally {
    await reloaded?.dispose();
  }
  return problems;
}

export const loadTarget = {
  name: 'load',
  fn: FN,
  setup,
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) => planArb({ seedCount: ctx.seeds.length, docOp, fields: FIELDS }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, FORMAT),
  async run(input) {
    const ae = await Autoencoder.load(input, RUNTIME);
    return { dispose: () => ae.dispose(), ae };
  },
  async oracle(outcome, bytes, ctx) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, FN);
    try {
      const problems = await checkLoaded(outcome.value.ae, bytes, ctx);
      if (problems.length === 0) return accepted();
      return wrong(
        `silent wrong model: ${problems[0][0]}`,
        problems.map(([k, d]) => `${k}${d ? ` (${d})` : ''}`).join('; '),
      );
    } catch (error) {
      return wrong(
        `loaded model unusable: ${String(error?.message ?? error).split(':')[0]}`,
        error?.stack ?? String(error),
      );
    }
  },
};
