/** The chunks, `total` bytes in all, joined into one array. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A file's bytes as a Uint8Array view (no copy) of any ArrayBufferView or ArrayBuffer; anything
 *  else comes back as it is, for the caller's check to name. */
export function bytesOf<T>(source: T): Uint8Array | T {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return source;
}
