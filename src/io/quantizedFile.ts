// The quantized model file (QuantizedAutoencoder.save): int8 weights, f32 scales and biases.
//
//   0   'WAAQ'                 magic (a float model file is 'WAAE')
//   4   u16 format version     (1)
//   6   u16 flags              (0)
//   8   u32 header length H
//   12  H bytes of UTF-8 JSON  ({ library, config }: the float model's config)
//   ..  zero padding to a multiple of 4
//   ..  per layer, in order: the GEMM's column scales (f32 × N), then the bias (f32 × its length)
//   ..  per layer, in order: the int8 weights of its GEMM, [K × N] row-major (dense and conv2d:
//       W itself; conv2dTranspose: Wᵀ), every value in [-127, 127]
//   ..  zero padding to a multiple of 4
//   end u32 CRC-32 of every byte before it
//
// Every size follows from the config, so the reader checks the file's exact length before it
// reads or allocates anything, and the values (finite scales ≥ 0, finite biases, no -128) after.
// No value imports from modules the main entry has: this file is part of the lazily loaded int8
// chunk, and a module shared with the main entry would split the main bundle (the CRC and error
// helpers come in `h`).
export interface FileHelpers {
  crc32(bytes: Uint8Array): number;
  argError(fn: string, arg: string, expected: string, got: unknown): Error;
  describeValue(v: unknown): string;
}

const QUANTIZED_MAGIC = 'WAAQ';
const VERSION = 1;
const HEADER_KEYS = ['library', 'config'];

/** One layer's tensors: sizes K × N of its GEMM and the length of its bias. */
export interface QuantizedTensors {
  weights: Int8Array;
  scales: Float32Array;
  bias: Float32Array;
}

export interface QuantizedShape {
  K: number;
  N: number;
  biasLength: number;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align4 = (n: number): number => Math.ceil(n / 4) * 4;

export function encodeQuantizedFile(h: FileHelpers, config: unknown, layers: readonly QuantizedTensors[]): Uint8Array {
  if (!littleEndian) throw new Error('model file: big-endian hosts are not supported');
  const json = new TextEncoder().encode(JSON.stringify({ library: 'wasm-autoencoder', config }));
  const floatsAt = align4(12 + json.length);
  const floatBytes = layers.reduce((n, L) => n + 4 * (L.scales.length + L.bias.length), 0);
  const weightsAt = floatsAt + floatBytes;
  const total = align4(weightsAt + layers.reduce((n, L) => n + L.weights.length, 0)) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(QUANTIZED_MAGIC), 0);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let at = floatsAt,
    w = weightsAt;
  for (const L of layers) {
    for (const v of [L.scales, L.bias]) {
      out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
      at += v.byteLength;
    }
    out.set(new Uint8Array(L.weights.buffer, L.weights.byteOffset, L.weights.length), w);
    w += L.weights.length;
  }
  view.setUint32(total - 4, h.crc32(out.subarray(0, total - 4)), true);
  return out;
}

/** The header's config (unchecked: the caller reads it as a stored config) after the framing,
 *  version and CRC are checked. */
export function readQuantizedHeader(
  h: FileHelpers,
  bytes: Uint8Array,
  fn: string,
): { config: unknown; headerLength: number } {
  if (!(bytes instanceof Uint8Array))
    throw h.argError(fn, 'bytes', 'a Uint8Array (or Buffer) holding a quantized model file', bytes);
  if (bytes.length < 16)
    throw new Error(`${fn}: the quantized model file is truncated: ${bytes.length} bytes, one has at least 16`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic === 'WAAE')
    throw new Error(
      `${fn}: this is a float model file; load it with Autoencoder.load (and call quantize() on the model)`,
    );
  if (magic !== QUANTIZED_MAGIC)
    throw new Error(
      `${fn}: not a quantized wasm-autoencoder model file (expected magic '${QUANTIZED_MAGIC}', got '${magic.replace(/[^\x20-\x7e]/g, '?')}')`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== VERSION)
    throw new Error(
      `${fn}: quantized model file format version ${version} is not supported (this library reads version ${VERSION})`,
    );
  const flags = view.getUint16(6, true);
  if (flags !== 0) throw new Error(`${fn}: the quantized model file has unknown flags 0x${flags.toString(16)}`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength + 4 > bytes.length)
    throw new Error(
      `${fn}: the quantized model file is truncated: its header claims ${headerLength} bytes, only ${bytes.length - 16} are there`,
    );
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = h.crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual)
    throw new Error(
      `${fn}: the quantized model file is corrupted or truncated (CRC-32 is ${hex(actual)}, the file says ${hex(stored)})`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)));
  } catch (cause) {
    throw new Error(`${fn}: the quantized model file's header is not valid JSON (${String(cause)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error(`${fn}: the quantized model file's header is not a JSON object`);
  const fields = header as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!HEADER_KEYS.includes(key))
      throw new Error(
        `${fn}: the quantized model file's header has an unknown field '${key.slice(0, 40)}' (known: ${HEADER_KEYS.join(', ')})`,
      );
  }
  if (fields.library !== 'wasm-autoencoder')
    throw new Error(`${fn}: the quantized model file's header lacks the library name 'wasm-autoencoder'`);
  return { config: fields.config, headerLength };
}

/** The tensors of a file whose header gave `shapes` (from its checked config). */
export function readQuantizedTensors(
  h: FileHelpers,
  bytes: Uint8Array,
  headerLength: number,
  shapes: readonly QuantizedShape[],
  fn: string,
): QuantizedTensors[] {
  const floatsAt = align4(12 + headerLength);
  // The shapes come from a network within MAX_PARAMS (2^25), so these sums are exact doubles.
  const floats = shapes.reduce((n, s) => n + s.N + s.biasLength, 0);
  const weights = shapes.reduce((n, s) => n + s.K * s.N, 0);
  const expected = align4(floatsAt + 4 * floats + weights) + 4;
  if (bytes.length !== expected) {
    throw new Error(`${fn}: the quantized model file should be ${expected} bytes for its config, got ${bytes.length}`);
  }
  const copyFloats = (at: number, n: number): Float32Array => {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * n));
    return out;
  };
  let at = floatsAt,
    w = floatsAt + 4 * floats;
  return shapes.map((s, l) => {
    const scales = copyFloats(at, s.N);
    at += 4 * s.N;
    const bias = copyFloats(at, s.biasLength);
    at += 4 * s.biasLength;
    const q = new Int8Array(bytes.buffer.slice(bytes.byteOffset + w, bytes.byteOffset + w + s.K * s.N));
    w += s.K * s.N;
    scales.forEach((v, i) => {
      if (!(v >= 0 && v < Infinity))
        throw new Error(
          `${fn}: layer ${l}'s weight scales must be finite and ≥ 0, got ${h.describeValue(v)} at index ${i}`,
        );
    });
    bias.forEach((v, i) => {
      if (!Number.isFinite(v))
        throw new Error(`${fn}: layer ${l}'s bias must be finite, got ${h.describeValue(v)} at index ${i}`);
    });
    const bad = q.indexOf(-128);
    if (bad >= 0) throw new Error(`${fn}: layer ${l}'s int8 weights must lie in [-127, 127], got -128 at index ${bad}`);
    return { weights: q, scales, bias };
  });
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
