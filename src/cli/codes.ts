// Code files: what `encode` writes and `decode` reads.
//
// Binary (the default), all little-endian, 16-byte header then the codes:
//
//   offset  size  field
//   0       4     magic 'WAEC' (ASCII)
//   4       2     u16 format version (1)
//   6       2     u16 number of dims (2)
//   8       4     u32 count: codes in the file (one per image)
//   12      4     u32 latent: values per code
//   16      4·count·latent   f32 values, code after code (row-major [count, latent])
//
// The file is exactly 16 + 4·count·latent bytes. f32 values are stored as they are, so
// decode(encode(x)) gives the same bits as reconstruct(x).
//
// JSON (--format json): { "latent": k, "codes": [[k numbers], ...] }. Each f32 is written as
// the JavaScript number it converts to exactly, so the JSON form round-trips bit for bit too.
import { CliError } from './errors.js';

export const CODES_MAGIC = 'WAEC';
export const CODES_VERSION = 1;
const HEADER_BYTES = 16;

export interface Codes {
  count: number;
  latent: number;
  /** count × latent values. */
  values: Float32Array;
}

export function encodeCodesBinary(codes: Codes): Uint8Array {
  const { count, latent, values } = codes;
  const out = new Uint8Array(HEADER_BYTES + 4 * count * latent);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = CODES_MAGIC.charCodeAt(i);
  view.setUint16(4, CODES_VERSION, true);
  view.setUint16(6, 2, true);
  view.setUint32(8, count, true);
  view.setUint32(12, latent, true);
  for (let i = 0, p = HEADER_BYTES; i < count * latent; i++, p += 4) view.setFloat32(p, values[i], true);
  return out;
}

export function encodeCodesJson(codes: Codes): string {
  const { count, latent, values } = codes;
  const rows: string[] = [];
  for (let r = 0; r < count; r++) rows.push(`  [${Array.from(values.subarray(r * latent, (r + 1) * latent)).join(', ')}]`);
  return `{ "latent": ${latent}, "codes": [\n${rows.join(',\n')}\n] }\n`;
}

/** Reads either form, told apart by the magic. Errors name `path`. */
export function decodeCodes(bytes: Uint8Array, path: string): Codes {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === CODES_MAGIC) return decodeBinary(bytes, path);
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b /* { */) return decodeJson(bytes, path);
  throw new CliError(`${path} is not a code file: expected the binary format (magic '${CODES_MAGIC}') or JSON ({ "latent": k, "codes": [...] })`);
}

function decodeBinary(bytes: Uint8Array, path: string): Codes {
  if (bytes.length < HEADER_BYTES) throw new CliError(`${path} is truncated: ${bytes.length} bytes, a code file's header has ${HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint16(4, true);
  if (version !== CODES_VERSION) throw new CliError(`${path}: code file version ${version} is not supported (this version reads ${CODES_VERSION})`);
  const rank = view.getUint16(6, true);
  if (rank !== 2) throw new CliError(`${path}: a code file has 2 dims (count, latent), this one says ${rank}`);
  const count = view.getUint32(8, true), latent = view.getUint32(12, true);
  if (count === 0 || latent === 0) throw new CliError(`${path} holds no codes (count ${count}, latent ${latent})`);
  // Checked against the values the file holds before anything is allocated. BigInt: count ×
  // latent × 4 of two u32 claims is exact (no wrap, no rounding) for the message too.
  const held = bytes.length - HEADER_BYTES;
  const claimed = 4n * BigInt(count) * BigInt(latent);
  if (claimed !== BigInt(held)) {
    throw new CliError(`${path} claims ${count} codes of ${latent} values (${claimed} bytes) but holds ${held} bytes of values` +
      (BigInt(held) < claimed ? ' (truncated)' : ''));
  }
  const values = new Float32Array(count * latent);
  for (let i = 0, p = HEADER_BYTES; i < values.length; i++, p += 4) values[i] = view.getFloat32(p, true);
  return { count, latent, values };
}

function decodeJson(bytes: Uint8Array, path: string): Codes {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CliError(`${path} is not valid JSON (${(error as Error).message})`);
  }
  const bad = (what: string): CliError => new CliError(`${path}: ${what}; a JSON code file is { "latent": k, "codes": [[k numbers], ...] }`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the top level is not an object');
  const { latent, codes } = doc as { latent?: unknown; codes?: unknown };
  if (typeof latent !== 'number' || !Number.isInteger(latent) || latent < 1) throw bad(`"latent" must be a positive integer, got ${JSON.stringify(latent) ?? 'nothing'}`);
  if (!Array.isArray(codes) || codes.length === 0) throw bad('"codes" must be a non-empty array');
  // Every row's length before the values are allocated: "latent" is only a claim, and
  // { "latent": 2^40, "codes": [[0]] } asked for a 4 TiB array before the row was looked at.
  for (let r = 0; r < codes.length; r++) {
    const row: unknown = codes[r];
    if (!Array.isArray(row) || row.length !== latent) {
      throw bad(`codes[${r}] must be an array of ${latent} numbers, got ${Array.isArray(row) ? `${row.length} values` : JSON.stringify(row)}`);
    }
  }
  const values = new Float32Array(codes.length * latent);
  for (let r = 0; r < codes.length; r++) {
    const row = codes[r] as unknown[];
    for (let j = 0; j < latent; j++) {
      const v: unknown = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`codes[${r}][${j}] must be a finite number, got ${JSON.stringify(v)}`);
      values[r * latent + j] = v;
    }
  }
  return { count: codes.length, latent, values };
}
