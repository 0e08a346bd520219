// Target `cli-codes`: decodeCodesJson(bytes, path), the command line's reader of JSON code files
// (src/cli/codes.ts; `decode --codes codes.json`). Document ops set "latent" to boundary values,
// cut, grow or replace rows, write tokens that are not finite f32 numbers (1e39, 1e400, strings,
// null), and add "labels" of the wrong length or with values outside a byte; the byte ops of every
// target run on the text. Errors are CliErrors whose message starts with the path.
import fc from 'fast-check';
import { decodeCodesJson } from '../../dist/cli/codes.js';
import { buildPlan, planArb, BOUNDARY_INTS } from '../mutate.js';
import { accepted, judgeThrown, wrong } from '../oracle.js';

const PATH = 'codes.json';

/** A document value written as it stands in the text (a token JSON.stringify cannot make). */
const raw = (token) => ({ raw: token });

function serialize(v) {
  if (v && typeof v === 'object' && 'raw' in v && Object.keys(v).length === 1) return v.raw;
  if (Array.isArray(v)) return `[${v.map(serialize).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${serialize(x)}`)
      .join(', ')} }`;
  return JSON.stringify(v);
}

function seedDoc(count, latent, labels) {
  const codes = Array.from({ length: count }, (_, r) =>
    Array.from({ length: latent }, (_, j) => Math.fround(Math.sin(r * 7 + j) * 3)),
  );
  return labels ? { latent, codes, labels: Array.from({ length: count }, (_, r) => r % 10) } : { latent, codes };
}

const SEEDS = [
  [1, 1, false],
  [3, 4, false],
  [5, 2, true],
  [2, 16, true],
].map(([count, latent, labels]) => {
  const doc = seedDoc(count, latent, labels);
  return {
    label: `${count} codes of ${latent}${labels ? ', labels' : ''}`,
    bytes: new TextEncoder().encode(serialize(doc)),
    doc,
  };
});

const TOKENS = ['1e39', '-1e39', '1e400', '3.4e38', '-0', '1e-50', '"0.5"', 'null', 'true', '[]', '{}', '0.1'];
const LATENTS = [...BOUNDARY_INTS, -1, 1.5, 2, 3, 4, 16, 1099511627776, 2 ** 32 + 1];

const docOp = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('latent'),
      value: fc.oneof(fc.constantFrom(...LATENTS), fc.constantFrom(raw('"2"'), raw('null'), raw('1e400'))),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('value'), row: fc.nat(), col: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('row'),
      row: fc.nat(),
      change: fc.constantFrom('cut', 'grow', 'number', 'drop', 'copy'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('labels'),
      change: fc.constantFrom('none', 'short', 'long', 'byte', 'big', 'negative', 'fraction', 'string', 'object'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('codes'), change: fc.constantFrom('empty', 'object', 'many', 'missing') }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('top'), change: fc.constantFrom('array', 'number', 'extra') }) },
);

function applyDocOp(doc, op) {
  const rows = Array.isArray(doc.codes) ? doc.codes : [];
  const at = (n) => (rows.length ? n % rows.length : 0);
  switch (op.op) {
    case 'latent':
      doc.latent = op.value;
      break;
    case 'value':
      if (Array.isArray(rows[at(op.row)]) && rows[at(op.row)].length)
        rows[at(op.row)][op.col % rows[at(op.row)].length] = raw(op.token);
      break;
    case 'row': {
      const k = at(op.row);
      if (!rows.length) break;
      if (op.change === 'cut' && Array.isArray(rows[k])) rows[k] = rows[k].slice(0, -1);
      if (op.change === 'grow' && Array.isArray(rows[k])) rows[k] = [...rows[k], 0.25];
      if (op.change === 'number') rows[k] = 0.5;
      if (op.change === 'drop') rows.splice(k, 1);
      if (op.change === 'copy') rows.push(rows[k]);
      break;
    }
    case 'labels': {
      const n = rows.length;
      const make = {
        none: undefined,
        short: Array(Math.max(0, n - 1)).fill(1),
        long: Array(n + 1).fill(1),
        byte: Array(n).fill(255),
        big: Array(n).fill(256),
        negative: Array(n).fill(-1),
        fraction: Array(n).fill(1.5),
        string: Array(n).fill('3'),
        object: { 0: 1 },
      }[op.change];
      if (make === undefined) delete doc.labels;
      else doc.labels = make;
      break;
    }
    case 'codes': {
      if (op.change === 'empty') doc.codes = [];
      if (op.change === 'object') doc.codes = { 0: [1] };
      if (op.change === 'many' && rows.length) doc.codes = Array.from({ length: 2000 }, () => rows[0]);
      if (op.change === 'missing') delete doc.codes;
      break;
    }
    case 'top':
      if (op.change === 'array') doc.__top = raw('[1, 2]');
      if (op.change === 'number') doc.__top = raw('42');
      if (op.change === 'extra') doc.extra = 'ignored';
      break;
    default:
      throw new Error(`fuzz: unknown cli-codes op ${op.op}`);
  }
}

const FORMAT = {
  parse: (_bytes, seed) => structuredClone(seed.doc),
  encode: (doc) => new TextEncoder().encode(doc.__top ? doc.__top.raw : serialize(doc)),
  applyDocOp,
};

/** What a valid file holds, judged from the text apart from the reader: null if it is not valid. */
function expected(bytes) {
  let doc;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const { latent, codes, labels } = doc;
  if (!Number.isInteger(latent) || latent < 1 || !Array.isArray(codes) || codes.length === 0) return null;
  const values = [];
  for (const row of codes) {
    if (!Array.isArray(row) || row.length !== latent) return null;
    for (const v of row) {
      if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) return null;
      values.push(Math.fround(v));
    }
  }
  if (
    labels !== undefined &&
    (!Array.isArray(labels) ||
      labels.length !== codes.length ||
      !labels.every((l) => Number.isInteger(l) && l >= 0 && l <= 255))
  )
    return null;
  return { count: codes.length, latent, values, labels };
}

export const cliCodesTarget = {
  name: 'cli-codes',
  fn: 'decodeCodesJson',
  async setup() {
    return {};
  },
  seeds: () => SEEDS,
  mutate: () => planArb({ seedCount: SEEDS.length, docOp, fields: [] }),
  build: (plan) => buildPlan(plan, SEEDS, FORMAT),
  run: (input) => decodeCodesJson(input, PATH),
  oracle(outcome, bytes) {
    const want = expected(bytes);
    if ('thrown' in outcome) {
      if (want !== null)
        return wrong('refused a valid JSON code file', String(outcome.thrown?.message ?? outcome.thrown).slice(0, 200));
      return judgeThrown(outcome.thrown, PATH, ['CliError']);
    }
    if (want === null) return wrong('silent wrong result: accepted a file that is not a valid JSON code file', '');
    const { count, latent, values, labels } = outcome.value;
    if (count !== want.count || latent !== want.latent)
      return wrong(
        'silent wrong result: count or latent differ from the file',
        `${count}×${latent} for ${want.count}×${want.latent}`,
      );
    if (
      !(values instanceof Float32Array) ||
      values.length !== want.values.length ||
      values.some((v, i) => !Object.is(v, want.values[i]))
    ) {
      return wrong('silent wrong result: values differ from the file', '');
    }
    if (
      (labels === undefined) !== (want.labels === undefined) ||
      (labels && Array.from(labels).some((l, i) => l !== want.labels[i]))
    ) {
      return wrong('silent wrong result: labels differ from the file', '');
    }
    return accepted();
  },
};
