// Data sets kept in a model's memory: `ae.dataset(images)` checks and copies the rows once (bytes
// stay bytes), and every later fit on the handle trains straight from there, with one thread or
// several, paying nothing per call. They live in the store, a zone of the model's memory right
// after the transposed weights (engine/layout.ts), one entry after another; disposing a handle
// moves the later entries down, so the zone never has holes.
import type { DataKind, Engine } from '../engine/engine.js';
import { MAX_MEMORY_BYTES } from '../engine/layout.js';
import { alignUp } from '../runtime/memory.js';
import { argError } from '../util/errors.js';
import { imagesOf, labelsOf, type Images, type ImagesInput } from './inputs.js';
import { releaseChunk } from './stream.js';

/** Float pixels a data set holds: fit's targets, the output's range. */
const PIXELS: [number, number] = [0, 1];

/** A source of images in chunks, read once per pass: each chunk a Uint8Array or Float32Array of
 *  whole rows, or an object with such `images` (and `labels` for conditional models). A source
 *  may say how many images a pass gives (`count`; streamIdx's sources do). */
export type ImageChunks = AsyncIterable<ImagesInput> & { readonly count?: number };

export interface StoredRows {
  /** Byte offsets in the memory: the rows, then the labels (conditional models). */
  images: number;
  labels: number;
  bytes: number;
  count: number;
  kind: DataKind;
}

/** A handle on images kept in one model's memory (from `Autoencoder.dataset`). Pass it to that
 *  model's `fit` as the data or as `validation`; `dispose()` gives its room back to the model. */
export class Dataset {
  /** Images held. */
  readonly count: number;
  /** How they are held: 'u8' (bytes, 1 per value) or 'f32' (4 bytes per value). */
  readonly kind: DataKind;
  /** Values per image. */
  readonly imageSize: number;
  readonly #store: DataStore;
  readonly #entry: StoredRows;

  /** @internal Made by Autoencoder.dataset. */
  constructor(store: DataStore, entry: StoredRows, imageSize: number) {
    this.#store = store;
    this.#entry = entry;
    this.count = entry.count;
    this.kind = entry.kind;
    this.imageSize = imageSize;
  }

  /** Whether dispose() was called, or the model was disposed. */
  get disposed(): boolean {
    return !this.#store.holds(this.#entry);
  }

  /** Frees the images' room in the model's memory for later data sets (a WebAssembly memory
   *  never shrinks: the model's dispose() releases it). Not while the model trains; a second
   *  call does nothing. */
  dispose(): void {
    this.#store.remove(this.#entry, 'Dataset.dispose');
  }

  /** @internal The entry, checked to belong to `store` and to be alive. */
  static entryOf(data: Dataset, store: DataStore, fn: string, arg: string): StoredRows {
    if (data.#store !== store)
      throw new Error(`${fn}: ${arg} is a Dataset of another model; make one with this model's dataset()`);
    if (!store.holds(data.#entry)) throw new Error(`${fn}: ${arg} is a disposed Dataset`);
    return data.#entry;
  }
}

/** What the store needs of its model. */
export interface StoreHost {
  /** The engine; throws once the model is disposed. */
  engine(): Engine;
  /** Throws (naming fn) while the model is training. */
  assertIdle(fn: string): void;
}

export class DataStore {
  private entries: StoredRows[] = [];
  private bytes = 0;
  /** A dataset() from chunks in progress: fit and other dataset() calls wait for it. */
  building = false;
  private readonly host: StoreHost;

  constructor(host: StoreHost) {
    this.host = host;
  }

  holds(entry: StoredRows): boolean {
    return this.entries.includes(entry);
  }

  /** Bytes of the store zone, for every plan of the model's memory. */
  get storeBytes(): number {
    return this.bytes;
  }

  /** Forgets every entry (the model is disposed). */
  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }

  /** A view of an entry's images and labels in the memory: re-take it after anything that may
   *  grow the memory. */
  view(entry: StoredRows, engine: Engine, from = 0, to = entry.count): { data: Images; labels?: Uint8Array } {
    const size = engine.spec.imageSize;
    const { arena } = engine;
    const data =
      entry.kind === 'u8'
        ? arena.u8.subarray(entry.images + from * size, entry.images + to * size)
        : arena.f32.subarray((entry.images >> 2) + from * size, (entry.images >> 2) + to * size);
    return {
      data,
      labels: engine.spec.classes > 0 ? arena.u8.subarray(entry.labels + from, entry.labels + to) : undefined,
    };
  }

  /** Checked images kept in the memory. */
  async add(fn: string, data: ImagesInput | ImageChunks, labels: Uint8Array | undefined): Promise<StoredRows> {
    this.host.assertIdle(fn);
    if (this.building)
      throw new Error(`${fn}: another dataset() of this model is still reading its chunks; await it first`);
    const engine = this.host.engine();
    if (isChunks(data)) {
      if (labels !== undefined)
        throw new Error(`${fn}: labels come with each chunk of a stream ({ images, labels }), not as an option`);
      return this.addChunks(fn, data);
    }
    const size = engine.spec.imageSize;
    const { data: rows, count } = imagesOf(data, fn, 'data', size, PIXELS);
    const given = labelsOf(data, count, engine.spec.classes, fn, 'data', labels);
    const entry = this.allocate(fn, count, rows instanceof Uint8Array ? 'u8' : 'f32');
    this.write(entry, 0, rows, given);
    return entry;
  }

  private async addChunks(fn: string, source: ImageChunks): Promise<StoredRows> {
    const count = source.count;
    if (!(typeof count === 'number' && Number.isInteger(count) && count > 0)) {
      throw argError(
        fn,
        'data.count',
        'a positive integer: a stream read into a Dataset must say how many images it gives (streamIdx does)',
        count,
      );
    }
    const engine = this.host.engine();
    const size = engine.spec.imageSize,
      classes = engine.spec.classes;
    this.building = true;
    const iterator = source[Symbol.asyncIterator]();
    let entry: StoredRows | null = null;
    let done = false;
    try {
      let at = 0;
      for (let k = 0; ; k++) {
        const r = await iterator.next();
        if (r.done) {
          done = true;
          break;
        }
        const arg = `data (chunk ${k})`;
        const { data: rows, count: n } = imagesOf(r.value, fn, arg, size, PIXELS);
        const chunkLabels = labelsOf(r.value, n, classes, fn, arg);
        const kind: DataKind = rows instanceof Uint8Array ? 'u8' : 'f32';
        entry ??= this.allocate(fn, count, kind);
        if (kind !== entry.kind)
          throw new Error(
            `${fn}: ${arg} holds ${kind === 'u8' ? 'bytes' : 'floats'}, the first chunk ${entry.kind === 'u8' ? 'bytes' : 'floats'}; a stream holds one kind`,
          );
        if (at + n > count)
          throw new Error(`${fn}: data gives more than the ${count} images its count says (${at + n} by chunk ${k})`);
        if (!this.holds(entry)) throw new Error(`${fn}: the model was disposed while its data set was read`);
        this.write(entry, at, rows, chunkLabels);
        releaseChunk(r.value);
        at += n;
      }
      if (at !== count) throw new Error(`${fn}: data gave ${at} images, its count says ${count}`);
      return entry!;
    } catch (error) {
      if (entry && this.holds(entry)) this.remove(entry, fn, true);
      throw error;
    } finally {
      this.building = false;
      if (!done) await iterator.return?.();
    }
  }

  private allocate(fn: string, count: number, kind: DataKind): StoredRows {
    const engine = this.host.engine();
    const size = engine.spec.imageSize;
    const imageBytes = alignUp(count * size * (kind === 'u8' ? 1 : 4));
    const bytes = imageBytes + alignUp(engine.spec.classes > 0 ? count : 0);
    // Plain doubles, exact far past the limit, so the check cannot wrap (layout.end counts the store).
    if (bytes + engine.layout.end > MAX_MEMORY_BYTES) {
      throw new Error(
        `${fn}: ${count} images of ${size} ${kind === 'u8' ? 'bytes' : 'floats'} need ${Math.ceil(bytes / 2 ** 20)} MiB, ` +
          `more than the model's memory has left of the ${MAX_MEMORY_BYTES / 2 ** 20} MiB it may use; give fit() the images as a stream instead`,
      );
    }
    const at = this.zoneStart(engine) + this.bytes;
    const entry: StoredRows = { images: at, labels: at + imageBytes, bytes, count, kind };
    this.replan(engine, this.bytes + bytes, fn);
    this.entries.push(entry);
    this.bytes += bytes;
    return entry;
  }

  private zoneStart(engine: Engine): number {
    return engine.layout.at.store;
  }

  private write(entry: StoredRows, at: number, rows: Images, labels: Uint8Array | undefined): void {
    const engine = this.host.engine();
    const size = engine.spec.imageSize,
      { arena } = engine;
    if (rows instanceof Uint8Array) arena.u8.set(rows, entry.images + at * size);
    else arena.f32.set(rows, (entry.images >> 2) + at * size);
    if (labels) arena.u8.set(labels, entry.labels + at);
  }

  /** Removes an entry, moving the later ones down. */
  remove(entry: StoredRows, fn: string, force = false): void {
    const i = this.entries.indexOf(entry);
    if (i < 0) return;
    if (!force) this.host.assertIdle(fn);
    const engine = this.host.engine();
    const { u8 } = engine.arena;
    const end = this.zoneStart(engine) + this.bytes;
    const from = entry.images + entry.bytes;
    u8.copyWithin(entry.images, from, end);
    for (const later of this.entries.slice(i + 1)) {
      later.images -= entry.bytes;
      later.labels -= entry.bytes;
    }
    this.entries.splice(i, 1);
    this.bytes -= entry.bytes;
    this.replan(engine, this.bytes, fn);
  }

  /** The memory re-planned for a store of `bytes` (what a fit stored before is dropped). */
  private replan(engine: Engine, bytes: number, fn: string): void {
    engine.plan({ ...engine.layout, storeBytes: bytes, stored: undefined, datasetRows: 0 }, fn);
  }
}

export function isChunks(data: unknown): data is ImageChunks {
  return (
    typeof data === 'object' &&
    data !== null &&
    !ArrayBuffer.isView(data) &&
    typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}
