// One epoch of a stream of image chunks, shuffled through a bounded buffer that lives in the
// model's memory (the dataset region), as tf.data's shuffle does it. Rows are written once, into a
// free slot; while the buffer is not full a row waits there; once it is, each arriving row sends a
// uniformly drawn waiting row out and takes its place; at the end of the stream the rows still
// waiting go out in a Fisher–Yates order. The rows sent out form segments of whole batches, which
// the caller trains on in place (their slots are the segment's order) before the slots are free
// again. Every draw comes from the model's shuffle PRNG and depends only on the stream, so the
// batches are the same for any thread count; with a buffer at least as large as the stream, the
// order is exactly the permutation an in-memory fit draws (Prng.shuffle of 0…n-1).
import type { Images, ImagesInput } from './inputs.js';
import type { Prng } from '../util/prng.js';

/** A buffer of this many bytes of rows unless fit's shuffleBuffer says otherwise. */
const DEFAULT_SHUFFLE_BUFFER_BYTES = 32 * 2 ** 20;
/** Rows trained per segment (rounded to whole batches): the workers meet the caller once per
 *  segment, and the caller reads the next chunks between segments. */
const SEGMENT_ROWS = 8192;

export interface StreamPlan {
  /** Rows the shuffle buffer holds (0 without shuffling). */
  bufferRows: number;
  /** Rows per segment: a whole number of batches. */
  segmentRows: number;
}

/** The plan for `batch`-row steps with a buffer of `bufferRows` (or the default for rows of
 *  `rowBytes` bytes); the dataset region then holds bufferRows + segmentRows rows. */
export function streamPlan(batch: number, shuffle: boolean, rowBytes: number, bufferRows?: number): StreamPlan {
  const segmentRows = batch * Math.max(1, Math.floor(SEGMENT_ROWS / batch));
  if (!shuffle) return { bufferRows: 0, segmentRows };
  return {
    bufferRows: bufferRows ?? Math.max(batch, Math.floor(DEFAULT_SHUFFLE_BUFFER_BYTES / rowBytes)),
    segmentRows,
  };
}

export interface StreamEpochHooks {
  /** The next chunk of the stream. */
  next(): Promise<IteratorResult<ImagesInput>>;
  /** Chunk `k`'s rows, checked. */
  rows(chunk: ImagesInput, k: number): { data: Images; count: number; labels?: Uint8Array };
  /** Writes row `row` of `data` (and its label) into slot `slot` of the dataset region. */
  write(slot: number, data: Images, row: number, labels?: Uint8Array): void;
  /** Trains on the slots of `order`, in that order; resolves false to end the epoch there. */
  train(order: Uint32Array): Promise<boolean>;
}

/** Reads the stream to its end (or until `train` says stop) and returns the rows read. */
export async function streamEpoch(
  plan: StreamPlan,
  shuffle: boolean,
  prng: Prng,
  hooks: StreamEpochHooks,
): Promise<number> {
  const S = plan.bufferRows,
    segmentRows = plan.segmentRows;
  const slots = S + segmentRows;
  // Free slots as a stack, popped 0, 1, 2, … at first.
  const free = new Uint32Array(slots);
  for (let i = 0; i < slots; i++) free[i] = slots - 1 - i;
  let top = slots;
  const buffer = new Uint32Array(S);
  let filled = 0;
  const segment = new Uint32Array(segmentRows);
  let length = 0;
  let going = true;
  const flush = async (): Promise<void> => {
    going = await hooks.train(segment.subarray(0, length));
    for (let i = length - 1; i >= 0; i--) free[top++] = segment[i];
    length = 0;
  };
  let read = 0;
  for (let k = 0; going; k++) {
    const r = await hooks.next();
    if (r.done) break;
    const { data, count, labels } = hooks.rows(r.value, k);
    let i = 0;
    for (; i < count && going; i++) {
      const slot = free[--top];
      hooks.write(slot, data, i, labels);
      read++;
      if (!shuffle) {
        segment[length++] = slot;
      } else if (filled < S) {
        buffer[filled++] = slot;
        continue;
      } else {
        const j = prng.nextInt(S);
        segment[length++] = buffer[j];
        buffer[j] = slot;
      }
      if (length === segmentRows) {
        // Written rows are in place: the chunk's arrays go back before training (a stream that
        // reuses them reads the next chunk into them meanwhile).
        if (i === count - 1) releaseChunk(r.value);
        await flush();
      }
    }
    releaseChunk(r.value);
  }
  if (!going) return read;
  const rest = buffer.subarray(0, filled);
  prng.shuffle(rest);
  for (let i = 0; i < filled && going; i++) {
    segment[length++] = rest[i];
    if (length === segmentRows) await flush();
  }
  if (going && length > 0) await flush();
  return read;
}

/** Hands a chunk's arrays back to its stream when it asks for them (streamIdx's chunks do). */
export function releaseChunk(chunk: unknown): void {
  const release = (chunk as { release?: unknown } | null)?.release;
  if (typeof release === 'function') release.call(chunk);
}
