// Code files as `encode` writes them and `decode` reads them. The binary form is the library's
// code stream (src/io/codeStream.ts, through ae.compress({ bits: 32 }) and ae.decompress): 'WAEZ',
// versioned, CRC-checked, tied to its model, f32 codes kept exactly. The JSON form is this file's:
//
//   { "latent": k, "codes": [[k numbers], ...], "labels": [n integers] }   ("labels": conditional models)
//
// Each f32 is written as the JavaScript number it converts to exactly, so JSON round-trips bit
// for bit too; it carries no model id, so any model with codes of k values decodes it.
import { CliError } from './errors.js';

export interface Codes {
  count: number;
  latent: number;
  /** count × latent values. */
  values: Float32Array;
  labels?: Uint8Array;
}

export function encodeCodesJson(codes: Codes): string {
  const { count, latent, values } = codes;
  const rows: string[] = [];
  for (let r = 0; r < count; r++)
    rows.push(`  [${Array.from(values.subarray(r * latent, (r + 1) * latent)).join(', ')}]`);
  const labels = codes.labels ? `,\n"labels": [${Array.from(codes.labels).join(', ')}]` : '';
  return `{ "latent": ${latent}, "codes": [\n${rows.join(',\n')}\n]${labels} }\n`;
}

/** Whether a code file's bytes are the JSON form (a '{' after any white space). */
export function isJsonCodes(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b;
}

/** The JSON form, checked whole before the values are allocated. Errors name `path`. */
export function decodeCodesJson(bytes: Uint8Array, path: string): Codes {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CliError(`${path} is not valid JSON (${(error as Error).message})`);
  }
  const bad = (what: string): CliError =>
    new CliError(`${path}: ${what}; a JSON code file is { "latent": k, "codes": [[k numbers], ...] }`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the top level is not an object');
  const { latent, codes, labels } = doc as { latent?: unknown; codes?: unknown; labels?: unknown };
  if (typeof latent !== 'number' || !Number.isInteger(latent) || latent < 1)
    throw bad(`"latent" must be a positive integer, got ${JSON.stringify(latent) ?? 'nothing'}`);
  if (!Array.isArray(codes) || codes.length === 0) throw bad('"codes" must be a non-empty array');
  // Every row's length before the values are allocated: "latent" is only a claim, and
  // { "latent": 2^40, "codes": [[0]] } asked for a 4 TiB array before the row was looked at.
  for (let r = 0; r < codes.length; r++) {
    const row: unknown = codes[r];
    if (!Array.isArray(row) || row.length !== latent) {
      throw bad(
        `codes[${r}] must be an array of ${latent} numbers, got ${Array.isArray(row) ? `${row.length} values` : JSON.stringify(row)}`,
      );
    }
  }
  if (labels !== undefined && (!Array.isArray(labels) || labels.length !== codes.length)) {
    throw bad(`"labels" must be an array of ${codes.length} integers (one per code)`);
  }
  const values = new Float32Array(codes.length * latent);
  for (let r = 0; r < codes.length; r++) {
    const row = codes[r] as unknown[];
    for (let j = 0; j < latent; j++) {
      const v: unknown = row[j];
      // Finite as an f32 too: 1e39 is a finite double that becomes Infinity in a Float32Array.
      if (typeof v !== 'number' || !Number.isFinite(Math.fround(v)))
        throw bad(`codes[${r}][${j}] must be a finite number within the f32 range, got ${JSON.stringify(v)}`);
      values[r * latent + j] = v;
    }
  }
  let labelBytes: Uint8Array | undefined;
  if (Array.isArray(labels)) {
    labelBytes = new Uint8Array(labels.length);
    labels.forEach((l: unknown, i) => {
      if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > 255)
        throw bad(`labels[${i}] must be an integer in [0, 255], got ${JSON.stringify(l)}`);
      labelBytes![i] = l;
    });
  }
  return { count: codes.length, latent, values, labels: labelBytes };
}
