// A protobuf writer for the few wire types ONNX needs: varints (int32, int64, enums), fixed32
// floats, length-delimited strings, bytes, packed repeated fields and nested messages. A message
// is a list of byte chunks and its length, so a nested message (and a large weight tensor inside
// it) is copied once, by finish(), however deep it sits.

const VARINT = 0,
  LENGTH_DELIMITED = 2,
  FIXED32 = 5;
const utf8 = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  /** Small fields gather here until a chunk must be appended after them. */
  private pending: number[] = [];
  private chunkBytes = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.chunkBytes + this.pending.length;
  }

  /** A varint field (int32, int64, uint64, bool, enum). Negative values take ten bytes, as int64. */
  int(field: number, value: number): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    this.fixed32(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.append([value], value.length);
    return this;
  }

  message(field: number, value: ProtoWriter): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    value.flush();
    this.append(value.chunks, value.chunkBytes);
    return this;
  }

  /** A packed repeated varint field; nothing for an empty list. */
  packedInts(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const body = new ProtoWriter();
    for (const v of values) body.varint(v);
    this.tag(field, LENGTH_DELIMITED);
    this.varint(body.length);
    this.pending.push(...body.pending);
    return this;
  }

  /** A packed repeated float field; nothing for an empty list. */
  packedFloats(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    this.tag(field, LENGTH_DELIMITED);
    this.varint(4 * values.length);
    for (const v of values) this.fixed32(v);
    return this;
  }

  /** The message's bytes, in one buffer. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.chunkBytes);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf: ${value} is not an integer a varint can hold exactly`);
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 9; i++) {
        this.pending.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      this.pending.push(Number(v));
      return;
    }
    while (value >= 0x80) {
      this.pending.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.pending.push(value);
  }

  private fixed32(value: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.pending.push(...bytes);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Uint8Array.from(this.pending);
    this.pending = [];
    this.chunks.push(bytes);
    this.chunkBytes += bytes.length;
  }

  private append(chunks: readonly Uint8Array[], bytes: number): void {
    this.flush();
    this.chunks.push(...chunks);
    this.chunkBytes += bytes;
  }
}
