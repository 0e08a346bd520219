// Target `idx`: parseIdx(bytes) on IDX files (src/data/parseIdx.ts, src/data/idx.ts), plain and
// gzipped. Structure-aware ops edit the type code, the rank and the dims (boundary values), the
// data length, then re-gzip the mutated file; gzip-level ops craft trailers that claim huge or
// wrong sizes and CRCs, header flags (FEXTRA, FNAME) and truncated members.
import fc from 'fast-check';
import { gzipSync, gunzipSync, inflateRawSync } from 'node:zlib';
import { gunzipSync as gunzipFflate } from 'fflate';
import { parseIdx } from '../../dist/entries/idx.js';
import { crc32 } from '../../dist/util/crc32.js';
import { buildPlan, planArb, BOUNDARY_INTS, writeUint } from '../mutate.js';
import { accepted, judgeThrown, wrong, sameBits } from '../oracle.js';

const FN = 'parseIdx';
const TYPES = {
  8: ['u8', 1, Uint8Array],
  9: ['i8', 1, Int8Array],
  11: ['i16', 2, Int16Array],
  12: ['i32', 4, Int32Array],
  13: ['f32', 4, Float32Array],
  14: ['f64', 8, Float64Array],
};

/** An independent decoder of plain IDX bytes: what parseIdx must agree with. Undefined if invalid. */
function referenceDecode(buf) {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || !TYPES[buf[2]] || buf[3] === 0) return undefined;
  const [type, size, Ctor] = TYPES[buf[2]];
  const rank = buf[3],
    head = 4 + 4 * rank;
  if (buf.length < head) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length - head !== count * size) return undefined;
  const data = new Ctor(count);
  const get = { u8: 'getUint8', i8: 'getInt8', i16: 'getInt16', i32: 'getInt32', f32: 'getFloat32', f64: 'getFloat64' }[
    type
  ];
  for (let i = 0; i < count; i++) data[i] = view[get](head + i * size, false);
  return { dims, type, data };
}

function encodeIdx(doc) {
  const head = 4 + 4 * doc.dims.length;
  const out = new Uint8Array(head + doc.data.length);
  out[2] = doc.typeCode;
  out[3] = doc.rank ?? doc.dims.length;
  doc.dims.forEach((d, i) => {
    writeUint(out, 4 + 4 * i, 4, d, false);
  });
  out.set(doc.data, head);
  if (doc.magic) out.set(doc.magic, 0);
  return out;
}

const gzip = (bytes) => new Uint8Array(gzipSync(bytes, { level: 6 }));
const isGzip = (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

function parseDoc(bytes) {
  const gz = isGzip(bytes);
  const raw = gz ? new Uint8Array(gunzipSync(bytes)) : bytes;
  const rank = raw[3];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    gzip: gz,
    typeCode: raw[2],
    rank: undefined,
    magic: undefined,
    dims: Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false)),
    data: raw.slice(4 + 4 * rank),
    gzipEdits: [],
  };
}

/** The gzip member edited after compression: trailer sizes and CRCs, header flags, truncation. */
function editGzip(gz, edit) {
  const out = gz.slice();
  const n = out.length;
  switch (edit.kind) {
    case 'isize':
      writeUint(out, n - 4, 4, edit.value, true);
      return out;
    case 'crc':
      writeUint(out, n - 8, 4, edit.value, true);
      return out;
    case 'flags':
      out[3] = edit.value;
      return out;
    case 'method':
      out[2] = edit.value;
      return out;
    case 'dropTrailer':
      return out.slice(0, Math.max(0, n - 8));
    case 'secondMember': {
      const joined = new Uint8Array(2 * n);
      joined.set(out);
      joined.set(out, n);
      return joined;
    }
    case 'trailingZeros': {
      const longer = new Uint8Array(n + 16);
      longer.set(out);
      return longer;
    }
    case 'bomb': {
      // A valid member of mostly zeros whose IDX header claims far fewer bytes: how much does
      // parseIdx inflate before it looks at the header?
      const raw = new Uint8Array(edit.value);
      raw.set([0, 0, 8, 1, 0, 0, 0, 1]);
      return gzip(raw);
    }
    default:
      throw new Error(`fuzz: unknown gzip edit ${edit.kind}`);
  }
}

/** The first gzip member's content (header fields skipped as RFC 1952 says), or undefined. */
function firstMember(gz) {
  const flags = gz[3];
  let at = 10;
  if (flags & 4) at += 2 + (gz[10] | (gz[11] << 8));
  for (const bit of [8, 16])
    if (flags & bit) {
      while (at < gz.length && gz[at] !== 0) at++;
      at++;
    }
  if (flags & 2) at += 2;
  try {
    return new Uint8Array(inflateRawSync(gz.subarray(at)));
  } catch {
    return undefined;
  }
}

function encodeDoc(doc) {
  let bytes = encodeIdx(doc);
  if (doc.gzip) {
    bytes = gzip(bytes);
    for (const edit of doc.gzipEdits) bytes = editGzip(bytes, edit);
  }
  return bytes;
}

const DIMS = [...BOUNDARY_INTS, 2, 3, 28, 0x10000, 0x7fffff];
export const idxDocOp = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('dim'), index: fc.nat({ max: 4 }), value: fc.constantFrom(...DIMS) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('type'),
      value: fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x0a, 0xff),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rank'), value: fc.constantFrom(0, 1, 2, 4, 255) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('magic'),
      value: fc.constantFrom([0, 1], [1, 0], [0x1f, 0x8b], [0xff, 0xff]),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('data'), change: fc.constantFrom(-8, -1, 1, 7, 4096) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dimsMatchData'), dims: fc.constantFrom(1, 2, 3, 4) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('gzip'), on: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('gzipEdit'),
      edit: fc.oneof(
        fc.record({
          kind: fc.constantFrom('isize', 'crc'),
          value: fc.constantFrom(...BOUNDARY_INTS, 2 ** 31 + 5, 1 << 28),
        }),
        fc.record({
          kind: fc.constant('flags'),
          value: fc.constantFrom(0x01, 0x02, 0x04, 0x08, 0x10, 0x1e, 0xe0, 0xff),
        }),
        fc.record({ kind: fc.constant('method'), value: fc.constantFrom(0, 7, 9) }),
        fc.record({ kind: fc.constantFrom('dropTrailer', 'secondMember', 'trailingZeros') }),
        fc.record({ kind: fc.constant('bomb'), value: fc.constantFrom(1 << 16, 1 << 20, 1 << 22) }),
      ),
    }),
  },
);

function applyDocOp(doc, op) {
  switch (op.op) {
    case 'dim':
      if (doc.dims.length > 0) doc.dims[op.index % doc.dims.length] = op.value;
      break;
    case 'type':
      doc.typeCode = op.value;
      break;
    case 'rank':
      doc.rank = op.value;
      break;
    case 'magic':
      doc.magic = Uint8Array.from(op.value);
      break;
    case 'data': {
      const n = Math.max(0, doc.data.length + op.change);
      const data = new Uint8Array(n);
      data.set(doc.data.subarray(0, n));
      doc.data = data;
      break;
    }
    case 'dimsMatchData': {
      // Dims whose product is the data's element count (the file stays consistent).
      const size = TYPES[doc.typeCode]?.[1] ?? 1;
      const count = Math.floor(doc.data.length / size);
      doc.data = doc.data.subarray(0, count * size);
      doc.dims = [count, ...new Array(op.dims - 1).fill(1)];
      break;
    }
    case 'gzip':
      doc.gzip = op.on;
      break;
    case 'gzipEdit':
      doc.gzip = true;
      doc.gzipEdits.push(op.edit);
      break;
    default:
      throw new Error(`fuzz: unknown IDX op ${op.op}`);
  }
}

export function idxSeeds() {
  const idx = (typeCode, dims, values) => {
    const [, size] = TYPES[typeCode];
    const count = dims.reduce((a, b) => a * b, 1);
    const head = 4 + 4 * dims.length;
    const out = new Uint8Array(head + count * size);
    const view = new DataView(out.buffer);
    out[2] = typeCode;
    out[3] = dims.length;
    dims.forEach((d, i) => {
      view.setUint32(4 + 4 * i, d, false);
    });
    for (let i = 0; i < count; i++) {
      const v = values(i),
        at = head + i * size;
      switch (typeCode) {
        case 0x08:
          view.setUint8(at, v & 0xff);
          break;
        case 0x09:
          view.setInt8(at, v);
          break;
        case 0x0b:
          view.setInt16(at, v, false);
          break;
        case 0x0c:
          view.setInt32(at, v, false);
          break;
        case 0x0d:
          view.setFloat32(at, v, false);
          break;
        case 0x0e:
          view.setFloat64(at, v, false);
          break;
      }
    }
    return out;
  };
  const plain = [
    ['u8 images [3, 4, 4]', idx(0x08, [3, 4, 4], (i) => (i * 37) % 256)],
    ['u8 labels [10]', idx(0x08, [10], (i) => i % 10)],
    ['u8 RGB images [2, 3, 3, 3]', idx(0x08, [2, 3, 3, 3], (i) => i * 5)],
    ['i8 [5]', idx(0x09, [5], (i) => i - 3)],
    ['i16 [2, 3]', idx(0x0b, [2, 3], (i) => i * 1000 - 2500)],
    ['i32 [4]', idx(0x0c, [4], (i) => (i - 2) * 1e9)],
    ['f32 [2, 2]', idx(0x0d, [2, 2], (i) => i / 3)],
    ['f64 [3]', idx(0x0e, [3], (i) => Math.PI * i)],
    ['u8 empty [0, 28, 28]', idx(0x08, [0, 28, 28], () => 0)],
  ];
  return [
    ...plain.map(([label, bytes]) => ({ label, bytes })),
    ...plain.map(([label, bytes]) => ({ label: `${label}, gzipped`, bytes: gzip(bytes) })),
  ];
}

/** gzip's own fields: CRC and ISIZE at the end, flags and method in the header. */
export const IDX_FIELDS = [
  { at: -4, width: 4, le: true },
  { at: -8, width: 4, le: true },
  { at: 4, width: 4, le: false },
  { at: 8, width: 4, le: false },
  { at: 3, width: 1, le: true },
];

/** After byte ops on a gzip member: the trailer made to match what node:zlib inflates from it, so
 *  that a corrupted deflate stream reaches fflate's output and the comparison with zlib. */
function fixTrailer(bytes) {
  if (!isGzip(bytes) || bytes.length < 18) return bytes;
  const content = firstMember(bytes);
  if (!content) return bytes;
  const out = bytes.slice();
  writeUint(out, out.length - 8, 4, crc32(content), true);
  writeUint(out, out.length - 4, 4, content.length, true);
  return out;
}

export const idxFormat = { parse: parseDoc, encode: encodeDoc, applyDocOp, fix: fixTrailer };

export const idxTarget = {
  name: 'idx',
  fn: FN,
  async setup() {
    return { seeds: idxSeeds() };
  },
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) => planArb({ seedCount: ctx.seeds.length, docOp: idxDocOp, fields: IDX_FIELDS }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, idxFormat),
  run: (input) => parseIdx(input),
  oracle(outcome, bytes) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, FN);
    const { dims, type, data } = outcome.value;
    const count = Array.isArray(dims) ? dims.reduce((a, b) => a * b, 1) : NaN;
    if (!Array.isArray(dims) || dims.length === 0 || data?.length !== count) {
      return wrong(
        'silent wrong result: data length is not the product of the dims',
        `dims [${dims}], ${data?.length} values`,
      );
    }
    // Accepted bytes decode, under an independent decoder (node:zlib), to the same array.
    let plain = bytes;
    if (isGzip(bytes)) {
      // Where zlib refuses what fflate inflates (fflate is lenient, e.g. it does not check a stored
      // block's NLEN), the trailer's CRC-32, which parseIdx checked, vouches for fflate's output.
      plain = firstMember(bytes) ?? gunzipFflate(bytes);
      let all;
      try {
        all = new Uint8Array(gunzipSync(bytes));
      } catch {
        all = plain;
      }
      if (all.length !== plain.length)
        return wrong(
          'silent wrong result: gzip members after the first are ignored',
          `${plain.length} of ${all.length} bytes read`,
        );
    }
    const ref = referenceDecode(plain);
    if (!ref) return wrong('silent wrong result: accepted bytes that are no IDX file', `dims [${dims}] ${type}`);
    if (ref.type !== type || ref.dims.join() !== dims.join() || !sameBits(ref.data, data)) {
      return wrong('silent wrong result: values differ from an independent decoder', `dims [${dims}] ${type}`);
    }
    return accepted();
  },
};
