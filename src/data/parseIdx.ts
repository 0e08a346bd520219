// IDX files, plain or gzipped, on any runtime: gzip through fflate's streaming inflater, stopped at
// the size the IDX header declares, with the trailer checked.
import { Gunzip } from 'fflate';
import { crc32 } from '../util/crc32.js';
import { decodeIdx, inflatedIdxBytes, inflatesPastHeader, MAX_IDX_HEADER_BYTES, type IdxArray } from './idx.js';

const GZIP_HEADER_AND_TRAILER = 18;
// Deflate turns one input byte into at most 1032 output bytes (a 258-byte match in 2 bits).
const MAX_DEFLATE_RATIO = 1032;
// Input goes in steps of 4 to 64 KiB, small near the declared size: see gunzipChecked.
const MIN_STEP = 4096;
const MAX_STEP = 65536;
// The largest buffer allocated before the output is there to fill it: see IdxOutput.grow.
const MAX_UP_FRONT = 2 ** 28;

/** Parse an IDX file (the MNIST format), gunzipping it first if it starts with the gzip magic. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  return decodeIdx(bytes, name, gunzipChecked);
}

/**
 * gunzipSync would allocate the size the gzip trailer claims (4 GB from an 18-byte file) and inflate
 * a bomb to the end before anything looks at it. Here the output is read as it comes: its IDX header
 * says how long the file is, and inflating stops at the first byte past that.
 */
function gunzipChecked(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length < GZIP_HEADER_AND_TRAILER) {
    throw new Error(`parseIdx: ${name} is corrupt gzip data (only ${bytes.length} bytes)`);
  }
  const output = new IdxOutput(name, bytes.length * MAX_DEFLATE_RATIO);
  const inflater = new Gunzip((chunk) => output.append(chunk));
  for (let at = 0; at < bytes.length && !output.failure; ) {
    // A step of input inflates to at most 1032 times its size, so a step of room / 1032 bytes
    // cannot run past the declared size; the 4 KiB floor lets a bomb run at most 4 MB past it.
    // Larger steps are faster: each costs fflate a 32 KiB window copy and a buffer.
    const step = Math.min(MAX_STEP, Math.max(MIN_STEP, Math.floor(output.room() / MAX_DEFLATE_RATIO)));
    const end = Math.min(bytes.length, at + step);
    try {
      inflater.push(bytes.subarray(at, end), end === bytes.length);
    } catch (e) {
      throw new Error(`parseIdx: ${name} is corrupt gzip data (${(e as Error).message})`);
    }
    at = end;
  }
  if (output.failure) throw output.failure;

  // fflate does not verify the trailer, so a flipped bit in the payload could
  // otherwise decode silently into wrong numbers.
  const out = output.bytes();
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const expectedCrc = trailer.getUint32(0, true);
  const expectedSize = trailer.getUint32(4, true);
  if (expectedSize !== out.length % 2 ** 32 || expectedCrc !== output.crc) {
    throw new Error(
      `parseIdx: ${name} is corrupt gzip data: trailer expects CRC-32 ${expectedCrc.toString(16)} ` +
        `and ${expectedSize} bytes, got CRC-32 ${output.crc.toString(16)} and ${out.length} bytes`,
    );
  }
  return out;
}

/** The inflated bytes of an IDX file, kept to the size its header declares. */
class IdxOutput {
  /** Set instead of throwing: an exception inside fflate's callback would read as corrupt gzip. */
  failure: Error | undefined;
  /** CRC-32 of the bytes so far. */
  crc = 0;
  private buffer = new Uint8Array(0);
  private length = 0;
  /** The file size the IDX header declares, once the header has been inflated. */
  private declared: number | undefined;

  /** `inflatable` bounds what the compressed input can inflate to, whatever its header says. */
  constructor(
    private readonly name: string,
    private readonly inflatable: number,
  ) {}

  append(chunk: Uint8Array): void {
    if (this.failure || chunk.length === 0) return;
    if (this.declared === undefined) {
      try {
        const start = new Uint8Array(Math.min(MAX_IDX_HEADER_BYTES, this.length + chunk.length));
        start.set(this.buffer.subarray(0, this.length));
        start.set(chunk.subarray(0, start.length - this.length), this.length);
        this.declared = inflatedIdxBytes(start, this.name, 'parseIdx');
      } catch (e) {
        this.failure = e as Error;
        return;
      }
    }
    const end = this.length + chunk.length;
    if (this.declared !== undefined && end > this.declared) {
      this.failure = inflatesPastHeader('parseIdx', this.name, this.declared);
      return;
    }
    if (end > this.buffer.length) this.grow(end);
    this.buffer.set(chunk, this.length);
    this.length = end;
    this.crc = crc32(chunk, this.crc);
  }

  /** How many more bytes the header allows; 0 until it has arrived. */
  room(): number {
    return this.declared === undefined ? 0 : this.declared - this.length;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  // Until the header is complete the output is under 1024 bytes. Then one buffer of the declared
  // size, so that an honest file inflates without copies; but never more up front than the input
  // can inflate to, nor than 256 MiB, so that a header that lies cannot make a large allocation
  // fail. Past that the buffer doubles as real output arrives.
  private grow(end: number): void {
    const size =
      this.declared === undefined
        ? end
        : Math.min(this.declared, Math.max(end, 2 * this.buffer.length, Math.min(this.inflatable, MAX_UP_FRONT)));
    const bigger = new Uint8Array(size);
    bigger.set(this.buffer.subarray(0, this.length));
    this.buffer = bigger;
  }
}
