// The safetensors format (Hugging Face's): u64 little-endian header length N, N bytes of UTF-8
// JSON { name: { dtype, shape, data_offsets: [begin, end] }, ..., "__metadata__": { string: string } },
// then the tensors' bytes, little-endian, offsets counted from the end of the header. This reader
// and writer handle F32 only, and read a file as hostile: every size is checked before use.

export interface SafetensorsTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
}

/** Largest header a file may claim (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

const FN = 'fromSafetensors';
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The file of `tensors` in their order, without gaps. */
export function encodeSafetensors(c: SafetensorsContents): Uint8Array {
  if (!littleEndian) throw new Error('toSafetensors: big-endian hosts are not supported');
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of c.tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  header.__metadata__ = c.metadata;
  // Spaces pad the header so the data starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, jsonBytes.length, true);
  view.setUint32(4, 0, true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.length;
  for (const t of c.tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Every tensor of the file (F32 only), in file order, and its metadata. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (!(bytes instanceof Uint8Array))
    throw new Error(`${FN}: expected a Uint8Array holding a safetensors file, got ${typeof bytes}`);
  if (!littleEndian) throw new Error(`${FN}: big-endian hosts are not supported`);
  if (bytes.length < 8)
    throw new Error(`${FN}: the file is truncated: ${bytes.length} bytes, a safetensors file has at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The u64 as two u32 halves: any high bit set is far beyond the limit, and nothing wraps.
  const low = view.getUint32(0, true),
    high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    throw new Error(
      `${FN}: the header length must be at most ${MAX_HEADER_BYTES} bytes, the file says ${(BigInt(high) << 32n) | BigInt(low)}`,
    );
  }
  if (8 + low > bytes.length)
    throw new Error(
      `${FN}: the file is truncated: its header claims ${low} bytes, only ${bytes.length - 8} follow the length`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + low)));
  } catch (cause) {
    throw new Error(`${FN}: the header is not valid UTF-8 JSON (${String(cause)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error(
      `${FN}: the header must be a JSON object, got ${Array.isArray(header) ? 'an array' : typeof header}`,
    );
  const dataAt = 8 + low,
    dataBytes = bytes.length - dataAt;
  const entries = Object.entries(header as Record<string, unknown>);
  const metadata = metadataOf((header as Record<string, unknown>).__metadata__);
  const found = entries
    .filter(([name]) => name !== '__metadata__')
    .map(([name, value]) => entryOf(name, value, dataBytes));
  // In order of their data: back to back from 0 to the end of the file.
  found.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const t of found) {
    if (t.begin !== expected) {
      throw new Error(
        `${FN}: tensor '${t.name}' must start at byte ${expected} of the data (tensors back to back, no overlap or gap), its data_offsets say ${t.begin}`,
      );
    }
    expected = t.end;
  }
  if (expected !== dataBytes)
    throw new Error(`${FN}: the tensors hold ${expected} bytes of data, the file has ${dataBytes} after the header`);
  const tensors = found.map((t) => {
    const count = (t.end - t.begin) / 4;
    const at = dataAt + t.begin;
    // A view where aligned; else a copy through bytes (the caller's buffer may be at any offset).
    let data: Float32Array;
    if ((bytes.byteOffset + at) % 4 === 0) data = new Float32Array(bytes.buffer, bytes.byteOffset + at, count);
    else {
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(bytes.subarray(at, at + t.end - t.begin));
    }
    return { name: t.name, shape: t.shape, data };
  });
  return { tensors, metadata };
}

function metadataOf(m: unknown): Record<string, string> {
  if (m === undefined) return {};
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    throw new Error(
      `${FN}: __metadata__ must be an object of strings, got ${Array.isArray(m) ? 'an array' : m === null ? 'null' : typeof m}`,
    );
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string')
      throw new Error(`${FN}: __metadata__ values must be strings, '${k.slice(0, 40)}' is ${typeof v}`);
  }
  return m as Record<string, string>;
}

function entryOf(
  name: string,
  value: unknown,
  dataBytes: number,
): { name: string; shape: number[]; begin: number; end: number } {
  const shown = `tensor '${name.slice(0, 60)}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${FN}: ${shown} must be an object with dtype, shape and data_offsets`);
  const v = value as Record<string, unknown>;
  if (v.dtype !== 'F32')
    throw new Error(`${FN}: ${shown} must have dtype F32, got ${JSON.stringify(v.dtype)?.slice(0, 40)}`);
  const shape = v.shape;
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(
      `${FN}: ${shown} must have a shape of at most 8 non-negative integers, got ${JSON.stringify(shape)?.slice(0, 80)}`,
    );
  }
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new Error(
      `${FN}: ${shown} must have data_offsets [begin, end] of non-negative integers, got ${JSON.stringify(offsets)?.slice(0, 80)}`,
    );
  }
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataBytes)
    throw new Error(`${FN}: ${shown} has data_offsets [${begin}, ${end}], the data has ${dataBytes} bytes`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (count * 4 !== end - begin)
    throw new Error(
      `${FN}: ${shown} of shape [${shape.join(', ')}] needs ${count * 4} bytes, its data_offsets span ${end - begin}`,
    );
  return { name, shape: shape as number[], begin, end };
}
