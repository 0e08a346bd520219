// Target `image`: decodeImage(bytes, { name }), the image entry's reader of PNG and JPEG bytes
// (src/image/decode.ts; fast-png and jpeg-js underneath), which the command line uses for its
// image files. Its errors are Errors whose message starts with "decodeImage: " and the name.
// Structure-aware ops edit PNG chunks (IHDR fields, IDAT contents
// re-deflated, PLTE/tRNS, chunk order; every chunk CRC recomputed) and JPEG segments (SOF sizes
// and components, tables, restart intervals, the scan).
import fc from 'fast-check';
import { deflateSync, inflateSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { decodeImage } from '../../dist/entries/image.js';
import { crc32 } from '../../dist/util/crc32.js';
import { buildPlan, planArb, BOUNDARY_INTS, writeUint } from '../mutate.js';
import { accepted, judgeThrown, wrong, sameBytes } from '../oracle.js';

const PATH = 'fuzz-input.img';
/** The largest raw image data the harness crafts for a consistent PNG (bigger sizes only set IHDR):
 *  a valid image that takes long only because it is large is no finding. */
const MAX_CRAFTED_RAW = 1 << 20;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (s) => new TextEncoder().encode(s);
const typeOf = (bytes) => String.fromCharCode(...bytes);

// ---- PNG --------------------------------------------------------------------------------------

function parsePng(bytes) {
  const chunks = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at, false);
    if (at + 12 + length > bytes.length) break;
    chunks.push({ type: typeOf(bytes.subarray(at + 4, at + 8)), data: bytes.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return { kind: 'png', chunks };
}

function encodePngDoc(doc) {
  const total = 8 + doc.chunks.reduce((n, c) => n + 12 + c.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(PNG_SIGNATURE);
  let at = 8;
  for (const c of doc.chunks) {
    view.setUint32(at, c.lengthField ?? c.data.length, false);
    out.set(ascii(c.type), at + 4);
    out.set(c.data, at + 8);
    view.setUint32(at + 8 + c.data.length, crc32(out.subarray(at + 4, at + 8 + c.data.length)), false);
    at += 12 + c.data.length;
  }
  return out;
}

/** Every chunk's CRC recomputed where the length fields still walk the file. */
function fixPngCrcs(bytes) {
  if (!(bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b))) return bytes;
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length; ) {
    const length = view.getUint32(at, false);
    if (at + 12 + length > out.length) break;
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)), false);
    at += 12 + length;
  }
  return out;
}

const IHDR_FIELDS = {
  width: [0, 4],
  height: [4, 4],
  depth: [8, 1],
  colorType: [9, 1],
  compression: [10, 1],
  filter: [11, 1],
  interlace: [12, 1],
};
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function ihdrOf(doc) {
  const c = doc.chunks.find((x) => x.type === 'IHDR');
  if (!c || c.data.length < 13) return undefined;
  const v = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  return {
    chunk: c,
    width: v.getUint32(0, false),
    height: v.getUint32(4, false),
    depth: c.data[8],
    colorType: c.data[9],
  };
}

function idatData(doc) {
  const parts = doc.chunks.filter((c) => c.type === 'IDAT').map((c) => c.data);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function replaceIdat(doc, compressed) {
  const first = doc.chunks.findIndex((c) => c.type === 'IDAT');
  doc.chunks = doc.chunks.filter((c) => c.type !== 'IDAT');
  doc.chunks.splice(first < 0 ? Math.max(0, doc.chunks.length - 1) : first, 0, { type: 'IDAT', data: compressed });
}

function applyPngOp(doc, op) {
  switch (op.op) {
    case 'ihdr': {
      const h = ihdrOf(doc);
      if (!h) break;
      const [at, width] = IHDR_FIELDS[op.field];
      writeUint(h.chunk.data, at, width, op.value, false);
      break;
    }
    case 'size': {
      // IHDR dims and an IDAT of exactly the raw bytes they need (zeros), when that stays small.
      const h = ihdrOf(doc);
      if (!h) break;
      writeUint(h.chunk.data, 0, 4, op.width, false);
      writeUint(h.chunk.data, 4, 4, op.height, false);
      const bitsPerPixel = (CHANNELS[h.colorType] ?? 1) * h.depth;
      const raw = op.height * (1 + Math.ceil((op.width * bitsPerPixel) / 8));
      if (raw <= MAX_CRAFTED_RAW) replaceIdat(doc, new Uint8Array(deflateSync(new Uint8Array(raw))));
      break;
    }
    case 'raw': {
      let raw;
      try {
        raw = new Uint8Array(inflateSync(idatData(doc)));
      } catch {
        break;
      }
      if (op.action === 'filter' && raw.length > 0) raw[(op.at >>> 0) % raw.length] = op.value;
      if (op.action === 'truncate') raw = raw.slice(0, Math.floor(raw.length / 2));
      if (op.action === 'extend') {
        const longer = new Uint8Array(raw.length + op.value);
        longer.set(raw);
        raw = longer;
      }
      replaceIdat(doc, new Uint8Array(deflateSync(raw)));
      break;
    }
    case 'bomb':
      replaceIdat(doc, new Uint8Array(deflateSync(new Uint8Array(op.value))));
      break;
    case 'splitIdat': {
      const data = idatData(doc),
        half = data.length >> 1;
      replaceIdat(doc, data.slice(0, half));
      const at = doc.chunks.findIndex((c) => c.type === 'IDAT');
      doc.chunks.splice(at + 1, 0, { type: 'IDAT', data: data.slice(half) });
      break;
    }
    case 'chunk': {
      const n = doc.chunks.length;
      if (n === 0) break;
      const i = op.index % n;
      if (op.action === 'duplicate')
        doc.chunks.splice(i, 0, { type: doc.chunks[i].type, data: doc.chunks[i].data.slice() });
      if (op.action === 'drop') doc.chunks.splice(i, 1);
      if (op.action === 'swap' && n > 1)
        [doc.chunks[i], doc.chunks[(i + 1) % n]] = [doc.chunks[(i + 1) % n], doc.chunks[i]];
      if (op.action === 'unknownCritical') doc.chunks.splice(i, 0, { type: 'abCD', data: new Uint8Array(4) });
      if (op.action === 'unknownAncillary') doc.chunks.splice(i, 0, { type: 'abcd', data: new Uint8Array(4) });
      if (op.action === 'lengthField') doc.chunks[i].lengthField = op.value >>> 0;
      break;
    }
    case 'palette': {
      const at = doc.chunks.findIndex((c) => c.type === 'PLTE');
      const plte = { type: 'PLTE', data: Uint8Array.from({ length: 3 * op.entries }, (_, k) => k & 0xff) };
      if (op.entries < 0) {
        if (at >= 0) doc.chunks.splice(at, 1);
      } else if (at >= 0) doc.chunks[at] = plte;
      else doc.chunks.splice(1, 0, plte);
      break;
    }
    case 'transparency': {
      const at = doc.chunks.findIndex((c) => c.type === 'IDAT');
      doc.chunks.splice(Math.max(1, at), 0, { type: 'tRNS', data: new Uint8Array(op.length).fill(0x80) });
      break;
    }
    default:
      throw new Error(`fuzz: unknown PNG op ${op.op}`);
  }
}

export const pngOp = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('ihdr'),
      field: fc.constantFrom(...Object.keys(IHDR_FIELDS)),
      value: fc.constantFrom(...BOUNDARY_INTS, 2, 3, 4, 5, 6, 7, 8, 16, 255, 65535),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('size'),
      width: fc.constantFrom(1, 3, 255, 256, 4096, 65535, 2 ** 31 - 1),
      height: fc.constantFrom(1, 2, 256, 4096, 65535, 2 ** 31 - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('raw'),
      action: fc.constantFrom('filter', 'truncate', 'extend'),
      at: fc.nat(),
      value: fc.constantFrom(0, 4, 5, 255, 1000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bomb'), value: fc.constantFrom(1 << 16, 1 << 20, 1 << 23) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('splitIdat') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('chunk'),
      action: fc.constantFrom('duplicate', 'drop', 'swap', 'unknownCritical', 'unknownAncillary', 'lengthField'),
      index: fc.nat(),
      value: fc.constantFrom(...BOUNDARY_INTS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('palette'), entries: fc.constantFrom(-1, 0, 1, 2, 256, 257) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('transparency'), length: fc.constantFrom(0, 1, 2, 6, 300) }) },
);

// ---- JPEG -------------------------------------------------------------------------------------

/** Marker segments up to the first SOS, then the rest (scan data and EOI) as one tail. */
function parseJpeg(bytes) {
  const segments = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    segments.push({ marker, data: bytes.slice(at + 4, at + 2 + length) });
    at += 2 + length;
    if (marker === 0xda) break;
  }
  return { kind: 'jpeg', segments, tail: bytes.slice(at) };
}

function encodeJpegDoc(doc) {
  const parts = [Uint8Array.of(0xff, 0xd8)];
  for (const s of doc.segments) {
    const length = s.lengthField ?? s.data.length + 2;
    parts.push(Uint8Array.of(0xff, s.marker, (length >> 8) & 0xff, length & 0xff), s.data);
  }
  parts.push(doc.tail);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const SOF_FIELDS = { precision: [0, 1], height: [1, 2], width: [3, 2], components: [5, 1] };

function applyJpegOp(doc, op) {
  const sof = doc.segments.find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  switch (op.op) {
    case 'sof':
      if (sof) {
        const [at, w] = SOF_FIELDS[op.field];
        writeUint(sof.data, at, w, op.value, false);
      }
      break;
    case 'sofKind':
      if (sof) sof.marker = op.value;
      break;
    case 'component':
      if (sof && sof.data.length > 6) {
        const k = 6 + 3 * (op.index % Math.max(1, Math.floor((sof.data.length - 6) / 3))) + op.byte;
        if (k < sof.data.length) sof.data[k] = op.value;
      }
      break;
    case 'quant':
      for (const s of doc.segments.filter((x) => x.marker === 0xdb)) s.data.fill(op.value, 1);
      break;
    case 'huffman': {
      const dht = doc.segments.filter((x) => x.marker === 0xc4)[op.index % 4];
      if (dht && dht.data.length > 17) dht.data.fill(op.value, 1, 17);
      break;
    }
    case 'restart':
      doc.segments.splice(Math.max(0, doc.segments.length - 1), 0, {
        marker: 0xdd,
        data: Uint8Array.of(op.value >> 8, op.value & 0xff),
      });
      break;
    case 'segment': {
      const n = doc.segments.length;
      if (n === 0) break;
      const i = op.index % n;
      if (op.action === 'duplicate')
        doc.segments.splice(i, 0, { marker: doc.segments[i].marker, data: doc.segments[i].data.slice() });
      if (op.action === 'drop') doc.segments.splice(i, 1);
      if (op.action === 'swap' && n > 1)
        [doc.segments[i], doc.segments[(i + 1) % n]] = [doc.segments[(i + 1) % n], doc.segments[i]];
      if (op.action === 'lengthField') doc.segments[i].lengthField = op.value & 0xffff;
      break;
    }
    case 'scan': {
      if (op.action === 'truncate') doc.tail = doc.tail.slice(0, doc.tail.length >> 1);
      if (op.action === 'noEoi') doc.tail = doc.tail.slice(0, Math.max(0, doc.tail.length - 2));
      if (op.action === 'zeros') doc.tail = new Uint8Array(doc.tail.length);
      if (op.action === 'markers') {
        const t = doc.tail.slice();
        for (let k = 0; k + 1 < t.length - 2; k += 7) {
          t[k] = 0xff;
          t[k + 1] = 0xd0 + (k & 7);
        }
        doc.tail = t;
      }
      break;
    }
    default:
      throw new Error(`fuzz: unknown JPEG op ${op.op}`);
  }
}

export const jpegOp = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('sof'),
      field: fc.constantFrom(...Object.keys(SOF_FIELDS)),
      value: fc.constantFrom(0, 1, 2, 3, 4, 8, 12, 16, 255, 4096, 10000, 65535),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('sofKind'), value: fc.constantFrom(0xc0, 0xc1, 0xc2, 0xc3, 0xc9) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('component'),
      index: fc.nat(),
      byte: fc.nat({ max: 2 }),
      value: fc.constantFrom(0, 1, 2, 3, 0x11, 0x22, 0x44, 0xff),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('quant'), value: fc.constantFrom(0, 1, 255) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('huffman'), index: fc.nat(), value: fc.constantFrom(0, 1, 16, 255) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart'), value: fc.constantFrom(0, 1, 2, 65535) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('segment'),
      action: fc.constantFrom('duplicate', 'drop', 'swap', 'lengthField'),
      index: fc.nat(),
      value: fc.constantFrom(0, 1, 2, 3, 65535),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('scan'), action: fc.constantFrom('truncate', 'noEoi', 'zeros', 'markers') }),
  },
);

// ---- seeds, format dispatch and the oracle ----------------------------------------------------

function pixels(n, f = (i) => (i * 37 + 5) & 0xff) {
  return Uint8Array.from({ length: n }, (_, i) => f(i));
}

export function imageSeeds() {
  const seeds = [];
  const png = (label, image, expected) => seeds.push({ label: `PNG ${label}`, bytes: encodePng(image), expected });
  const w = 5,
    h = 3,
    n = w * h;
  const grey = pixels(n),
    rgb = pixels(3 * n),
    rgba = pixels(4 * n),
    ga = pixels(2 * n);
  png('grey 8-bit', { width: w, height: h, data: grey, channels: 1, depth: 8 }, { channels: 1, data: grey });
  png('RGB 8-bit', { width: w, height: h, data: rgb, channels: 3, depth: 8 }, { channels: 3, data: rgb });
  png(
    'RGBA 8-bit',
    { width: w, height: h, data: rgba, channels: 4, depth: 8 },
    { channels: 3, data: rgba.filter((_, i) => i % 4 !== 3) },
  );
  png(
    'grey+alpha 8-bit',
    { width: w, height: h, data: ga, channels: 2, depth: 8 },
    { channels: 1, data: ga.filter((_, i) => i % 2 === 0) },
  );
  const grey16 = Uint16Array.from({ length: n }, (_, i) => i * 4000);
  png(
    'grey 16-bit',
    { width: w, height: h, data: grey16, channels: 1, depth: 16 },
    { channels: 1, data: Uint8Array.from(grey16, (v) => Math.round(v / 257)) },
  );
  // 1-bit grey: rows packed MSB first, each row starting on a byte.
  const bits = Uint8Array.from({ length: h }, (_, y) => [0b10100000, 0b01011000, 0b11111000][y]);
  png(
    'grey 1-bit',
    { width: w, height: h, data: bits, channels: 1, depth: 1 },
    {
      channels: 1,
      data: Uint8Array.from({ length: n }, (_, i) => ((bits[Math.floor(i / w)] >> (7 - (i % w))) & 1) * 255),
    },
  );
  const palette = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [9, 9, 9],
  ];
  const indices = pixels(n, (i) => i % 4);
  png(
    'palette 8-bit',
    { width: w, height: h, data: indices, channels: 1, depth: 8, palette },
    { channels: 3, data: Uint8Array.from([...indices].flatMap((k) => palette[k])) },
  );
  for (const [label, width, height] of [
    ['JPEG 8×8 colour', 8, 8],
    ['JPEG 17×5 colour', 17, 5],
  ]) {
    const data = pixels(4 * width * height);
    seeds.push({ label, bytes: new Uint8Array(jpeg.encode({ data, width, height }, 90).data) });
  }
  for (const s of seeds) s.kind = s.label.startsWith('PNG') ? 'png' : 'jpeg';
  return seeds;
}

export const imageFormat = {
  parse: (bytes, seed) => (seed.kind === 'png' ? parsePng(bytes) : parseJpeg(bytes)),
  encode: (doc) => (doc.kind === 'png' ? encodePngDoc(doc) : encodeJpegDoc(doc)),
  applyDocOp: (doc, op) => (doc.kind === 'png' ? applyPngOp(doc, op) : applyJpegOp(doc, op)),
  fix: fixPngCrcs,
};

export const IMAGE_FIELDS = [
  { at: 16, width: 4, le: false },
  { at: 20, width: 4, le: false },
  { at: 24, width: 1, le: false },
  { at: 25, width: 1, le: false },
  { at: 8, width: 4, le: false },
];

export const imageTarget = {
  name: 'image',
  fn: 'decodeImage',
  async setup() {
    return { seeds: imageSeeds() };
  },
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) =>
    planArb({
      seedCount: ctx.seeds.length,
      docOp: (seed) => (ctx.seeds[seed].kind === 'png' ? pngOp : jpegOp),
      fields: IMAGE_FIELDS,
    }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, imageFormat),
  run: (input) => decodeImage(input, { name: PATH }),
  oracle(outcome, bytes, ctx) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, `decodeImage: ${PATH}`);
    const { width, height, channels, data } = outcome.value;
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0))
      return wrong('silent wrong image: width or height not a positive integer', `${width}×${height}`);
    if (channels !== 1 && channels !== 3) return wrong('silent wrong image: channels not 1 or 3', String(channels));
    if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
      return wrong(
        'silent wrong image: data is not width × height × channels bytes',
        `${data?.length} for ${width}×${height}×${channels}`,
      );
    }
    const seed = ctx.seeds.find((s) => s.expected && sameBytes(s.bytes, bytes));
    if (seed && (channels !== seed.expected.channels || !sameBytes(data, seed.expected.data))) {
      return wrong('silent wrong image: an unmutated seed decodes to other pixels', seed.label);
    }
    return accepted();
  },
};
