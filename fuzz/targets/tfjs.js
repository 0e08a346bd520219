// Target `tfjs`: fromTfjs(artifacts, { encoderLayers }) on TensorFlow.js layers artifacts
// (src/io/fromTfjs.ts, src/io/tfjsWeights.ts). fromTfjs takes an object, not bytes, so a case's bytes
// are an envelope that byte-level mutations reach in both parts:
//
//   u32 LE n | n bytes of JSON { modelTopology, weightSpecs, encoderLayers } | the weight bytes
//
// run() unpacks it tolerantly: n is clamped to the bytes there are; JSON that does not parse (or is
// no object) is passed as the modelTopology itself (a string), with the weightSpecs and
// encoderLayers missing, so fromTfjs is called for every case. The weight bytes go in as an
// ArrayBuffer (as toTfjs gives them), or as a Uint8Array view at an offset when the case's wrap is
// not the plain copy. Structure-aware ops edit layer class names and configs (units, filters,
// kernel_size, strides, padding, activation, use_bias, dilation_rate, batch_input_shape …), drop,
// duplicate and swap layers, edit the weightSpecs (shapes, dtypes, names, quantization), truncate
// or extend the weight bytes, and set encoderLayers to boundary values; n is then recomputed.
import fc from 'fast-check';
import { Autoencoder } from '../../dist/entries/index.js';
import { fromTfjs, toTfjs } from '../../dist/entries/tfjs.js';
import { buildPlan, planArb, BOUNDARY_INTS } from '../mutate.js';
import { accepted, judgeThrown, wrong, sameBits, sameBytes, deepEqual, probeImages } from '../oracle.js';

const FN = 'fromTfjs';
const RUNTIME = { threads: 1 };
const imageSizeOf = (ae) => ae.config.inputShape[0] * ae.config.inputShape[1] * ae.config.inputShape[2];
const MAX_CRAFTED = 1 << 20;

// ---- the envelope -------------------------------------------------------------------------------

/** { doc, weights } of a case's bytes, never failing: doc is the parsed JSON, or its text. */
export function unpack(bytes) {
  if (bytes.length < 4) return { doc: undefined, text: '', weights: new Uint8Array(0), weightsAt: bytes.length };
  const n = Math.min(
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true),
    bytes.length - 4,
  );
  const text = new TextDecoder().decode(bytes.subarray(4, 4 + n));
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  return { doc, text, weights: bytes.subarray(4 + n), weightsAt: 4 + n };
}

function pack(doc, weights) {
  const json = new TextEncoder().encode(JSON.stringify(doc) ?? '');
  const out = new Uint8Array(4 + json.length + weights.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(weights, 4 + json.length);
  return out;
}

const parseDoc = (bytes) => {
  const u = unpack(bytes);
  return { doc: structuredClone(u.doc), weights: u.weights.slice() };
};
const encodeDoc = (d) => pack(d.doc, d.weights);

// ---- structure-aware ops ----------------------------------------------------------------------

const layersOf = (d) => (Array.isArray(d.doc?.modelTopology?.config?.layers) ? d.doc.modelTopology.config.layers : []);
const specsOf = (d) => (Array.isArray(d.doc?.weightSpecs) ? d.doc.weightSpecs : []);

const CLASS_NAMES = [
  'Dense',
  'Conv2D',
  'Conv2DTranspose',
  'Flatten',
  'Reshape',
  'LeakyReLU',
  'InputLayer',
  'Activation',
  'Dropout',
  'BatchNormalization',
  'DepthwiseConv2D',
  'dense',
  '',
  null,
  7,
  'Sequential',
  '__proto__',
];
const NUMS = [...BOUNDARY_INTS, -1, 0.5, 2, 3, 65536, 1e308, -0];
const CONFIG_VALUES = {
  units: NUMS,
  filters: NUMS,
  kernel_size: [...NUMS, [1, 1], [3, 3], [2, 3], [3], [0, 0], [2 ** 31, 2 ** 31], '3'],
  strides: [...NUMS, [1, 1], [2, 2], [1, 2], [3, 3], [0, 0]],
  padding: ['same', 'valid', 'causal', 'SAME', '', null, 1],
  activation: ['relu', 'sigmoid', 'tanh', 'linear', 'elu', 'softmax', 'leakyRelu', 'leaky_relu', '', null, 1],
  use_bias: [true, false, null, 'true', 1],
  dilation_rate: [1, 2, [1, 1], [2, 2], [1], null, 0],
  batch_input_shape: [
    [null, 4, 4, 1],
    [null, 16],
    [null, 8, 8, 3],
    [null, 10, 10, 2],
    [null, 0],
    [null, 2 ** 31],
    [null, 65536, 65536, 3],
    [4, 4, 1],
    null,
    [],
    [null, -1],
  ],
  target_shape: [[4, 4, 1], [16], [8, 8, 3], [2 ** 31], [0, 0, 0], null, [], [-1, 4, 4]],
  alpha: [0, 0.2, 0.3, -1, 1, NaN, null, 1e308, '0.2'],
  data_format: ['channels_last', 'channels_first', null, ''],
  groups: [1, 2, 0],
  output_padding: [null, [1, 1], 0],
  kernel_regularizer: [null, { class_name: 'L2', config: { l2: 0.01 } }],
  name: ['code', 'x', '', null, 'encoder_dense_1', '__proto__'],
  dtype: ['float32', 'float16', 'int32', null],
};
const KEYS = Object.keys(CONFIG_VALUES);
const SPEC_SHAPES = [
  [],
  [0],
  [1],
  [3, 8],
  [8, 3],
  [16, 8],
  [2 ** 31],
  [2 ** 16, 2 ** 16],
  [-1],
  [0.5],
  [1, 1, 1, 1, 1],
  null,
  ['8'],
  8,
];
const SPEC_DTYPES = ['float32', 'float16', 'int32', 'uint8', 'bool', 'string', 'complex64', '', null, 1];
const SPEC_NAMES = ['code/kernel', 'code/bias', 'x/kernel', '', 'kernel', null, 1, 'encoder_dense_1/kernel'];
const ENCODER_LAYERS = [...BOUNDARY_INTS, -1, 2, 3, 4, 0.5, 1.5, -0, 'x', '2', null, true, [2], 'drop', 1e308];
const FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, -0, 1e-45];

const docOp = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('className'), pick: fc.nat(), value: fc.constantFrom(...CLASS_NAMES) }),
  },
  {
    weight: 6,
    arbitrary: fc.nat({ max: KEYS.length - 1 }).chain((k) =>
      fc.record({
        op: fc.constant('layerConfig'),
        pick: fc.nat(),
        key: fc.constant(KEYS[k]),
        value: fc.constantFrom(...CONFIG_VALUES[KEYS[k]]),
        drop: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      }),
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('layers'),
      pick: fc.nat(),
      other: fc.nat(),
      kind: fc.constantFrom('drop', 'duplicate', 'swap', 'noConfig', 'notObject', 'empty'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('spec'),
      pick: fc.nat(),
      field: fc.constantFrom('shape', 'dtype', 'name', 'quantization', 'drop'),
      shape: fc.constantFrom(...SPEC_SHAPES),
      dtype: fc.constantFrom(...SPEC_DTYPES),
      name: fc.constantFrom(...SPEC_NAMES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('specs'),
      pick: fc.nat(),
      other: fc.nat(),
      kind: fc.constantFrom('drop', 'duplicate', 'swap', 'swapShapes', 'notArray', 'empty'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('weights'),
      kind: fc.constantFrom('truncate4', 'truncate1', 'empty', 'extend4', 'extend1', 'float'),
      index: fc.nat(),
      value: fc.constantFrom(...FLOATS),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('encoderLayers'), value: fc.constantFrom(...ENCODER_LAYERS) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('topology'),
      kind: fc.constantFrom('className', 'noConfig', 'layersNotArray', 'modelConfig', 'null', 'string'),
      value: fc.constantFrom('Sequential', 'Model', 'Functional', '', null),
    }),
  },
);

function applyDocOp(d, op) {
  if (typeof d.doc !== 'object' || d.doc === null) d.doc = {};
  const layers = layersOf(d),
    specs = specsOf(d);
  const layer = layers.length ? layers[op.pick % layers.length] : undefined;
  const layerObj = typeof layer === 'object' && layer !== null;
  switch (op.op) {
    case 'className':
      if (layerObj) layer.class_name = op.value;
      break;
    case 'layerConfig': {
      if (!layerObj) break;
      if (typeof layer.config !== 'object' || layer.config === null) layer.config = {};
      if (op.drop) delete layer.config[op.key];
      else layer.config[op.key] = structuredClone(op.value);
      break;
    }
    case 'layers': {
      if (!layers.length && op.kind !== 'empty') break;
      const i = op.pick % layers.length,
        j = op.other % layers.length;
      if (op.kind === 'drop') layers.splice(i, 1);
      else if (op.kind === 'duplicate') layers.splice(i, 0, structuredClone(layers[i]));
      else if (op.kind === 'swap') [layers[i], layers[j]] = [layers[j], layers[i]];
      else if (op.kind === 'noConfig' && layerObj) delete layer.config;
      else if (op.kind === 'notObject') layers[i] = 'Dense';
      else if (op.kind === 'empty' && d.doc.modelTopology?.config) d.doc.modelTopology.config.layers = [];
      break;
    }
    case 'spec': {
      if (!specs.length) break;
      const s = specs[op.pick % specs.length];
      if (op.field === 'drop') {
        specs.splice(op.pick % specs.length, 1);
        break;
      }
      if (typeof s !== 'object' || s === null) break;
      if (op.field === 'quantization') s.quantization = { dtype: 'uint8', scale: 1, min: 0 };
      else s[op.field] = structuredClone(op[op.field]);
      break;
    }
    case 'specs': {
      if (op.kind === 'notArray') {
        d.doc.weightSpecs = { 0: specs[0] };
        break;
      }
      if (op.kind === 'empty') {
        d.doc.weightSpecs = [];
        break;
      }
      if (!specs.length) break;
      const i = op.pick % specs.length,
        j = op.other % specs.length;
      if (op.kind === 'drop') specs.splice(i, 1);
      else if (op.kind === 'duplicate') specs.splice(i, 0, structuredClone(specs[i]));
      else if (op.kind === 'swap') [specs[i], specs[j]] = [specs[j], specs[i]];
      else if (op.kind === 'swapShapes' && specs[i]?.shape && specs[j]?.shape)
        [specs[i].shape, specs[j].shape] = [specs[j].shape, specs[i].shape];
      break;
    }
    case 'weights': {
      const W = d.weights.length;
      if (op.kind === 'truncate4') d.weights = d.weights.slice(0, Math.max(0, W - 4));
      else if (op.kind === 'truncate1') d.weights = d.weights.slice(0, Math.max(0, W - 1));
      else if (op.kind === 'empty') d.weights = new Uint8Array(0);
      else if (op.kind === 'extend4') d.weights = new Uint8Array([...d.weights, 0, 0, 0x80, 0x3f]);
      else if (op.kind === 'extend1') d.weights = new Uint8Array([...d.weights, 0]);
      else if (op.kind === 'float' && W >= 4)
        new DataView(d.weights.buffer, d.weights.byteOffset).setFloat32(
          4 * (op.index % Math.floor(W / 4)),
          op.value,
          true,
        );
      break;
    }
    case 'encoderLayers':
      if (op.value === 'drop') delete d.doc.encoderLayers;
      else d.doc.encoderLayers = structuredClone(op.value);
      break;
    case 'topology': {
      const t = d.doc.modelTopology;
      if (op.kind === 'null') d.doc.modelTopology = null;
      else if (op.kind === 'string') d.doc.modelTopology = JSON.stringify(t) ?? '';
      else if (typeof t !== 'object' || t === null) break;
      else if (op.kind === 'className') t.class_name = op.value;
      else if (op.kind === 'noConfig') delete t.config;
      else if (op.kind === 'layersNotArray' && t.config) t.config.layers = op.value;
      else if (op.kind === 'modelConfig') d.doc.modelTopology = { class_name: 'Model', model_config: t };
      break;
    }
    default:
      throw new Error(`fuzz: unknown tfjs op ${op.op}`);
  }
  if ((JSON.stringify(d.doc) ?? '').length > MAX_CRAFTED) d.doc = {};
}

const FORMAT = { parse: parseDoc, encode: encodeDoc, applyDocOp };
const FIELDS = [{ at: 0, width: 4, le: true }];

// ---- seeds -------------------------------------------------------------------------------------

const MODELS = [
  { label: 'dense', options: { inputShape: [4, 4, 1], encoder: [8], latent: 3, seed: 21 } },
  { label: 'flat dense', options: { inputShape: 30, encoder: [16], latent: 3, seed: 22 } },
  {
    label: 'conv same/valid',
    options: {
      inputShape: [10, 10, 2],
      latent: 6,
      seed: 23,
      encoder: [
        { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
        { type: 'conv2d', filters: 5, kernelSize: 2, strides: 1, padding: 'valid' },
      ],
    },
  },
  {
    label: 'dense leakyRelu/tanh',
    options: {
      inputShape: [8, 8, 1],
      encoder: [24, 12],
      latent: 4,
      activation: ['leakyRelu', 'tanh', 'relu', 'leakyRelu'],
      leakyReluAlpha: 0.2,
      seed: 24,
    },
  },
];

async function setup() {
  const seeds = [];
  for (const m of MODELS) {
    const ae = await Autoencoder.create({ ...m.options, ...RUNTIME });
    const a = toTfjs(ae, { part: 'autoencoder' });
    const doc = {
      modelTopology: a.modelTopology,
      weightSpecs: a.weightSpecs,
      encoderLayers: ae.config.encoder.length + 1,
    };
    const weights = new Uint8Array(a.weightData);
    const probe = probeImages(imageSizeOf(ae), 2);
    seeds.push({
      label: `toTfjs: ${m.label}`,
      bytes: pack(doc, weights),
      doc: JSON.parse(JSON.stringify(doc)),
      weights,
      probe,
      expected: ae.reconstruct(probe),
    });
    await ae.dispose();
  }
  return { seeds };
}

function artifactsOf(input, plan) {
  const { doc, text, weights } = unpack(input);
  const weightData = plan.wrap === 'copy' ? weights.slice().buffer : weights;
  if (typeof doc !== 'object' || doc === null)
    return {
      artifacts: { modelTopology: text, weightSpecs: undefined, weightData },
      options: { encoderLayers: undefined, ...RUNTIME },
    };
  return {
    artifacts: { modelTopology: doc.modelTopology, weightSpecs: doc.weightSpecs, weightData },
    options: { encoderLayers: doc.encoderLayers, ...RUNTIME },
  };
}

export const tfjsTarget = {
  name: 'tfjs',
  fn: FN,
  setup,
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) => planArb({ seedCount: ctx.seeds.length, docOp, fields: FIELDS }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, FORMAT),
  run: (input, _ctx, plan) => {
    const { artifacts, options } = artifactsOf(input, plan);
    return fromTfjs(artifacts, options);
  },
  oracle(outcome, bytes, ctx) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, `${FN}:`);
    const ae = outcome.value;
    try {
      const probe = probeImages(imageSizeOf(ae), 2);
      const out = ae.reconstruct(probe);
      if (!(out instanceof Float32Array) || out.length !== probe.length)
        return wrong('loaded model: reconstruct gives the wrong length', `${out?.length} for ${probe.length}`);
      // A seed's envelope, unmutated (equal as JSON, the weights byte for byte): the seed model's outputs.
      const { doc, weights } = unpack(bytes);
      for (const s of ctx.seeds) {
        if (!sameBytes(weights, s.weights) || !deepEqual(doc, s.doc)) continue;
        if (s.probe.length !== probe.length || !sameBits(out, s.expected))
          return wrong("unmutated seed, outputs differ from the seed model's", s.label);
      }
      return accepted();
    } catch (error) {
      return wrong(
        `loaded model unusable: ${String(error?.message ?? error).split(':')[0]}`,
        error?.stack ?? String(error),
      );
    }
  },
};
