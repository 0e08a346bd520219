// One WebAssembly.Memory, laid out by the caller as named regions (byte offsets), and the typed
// views over it. Views are re-created whenever the memory grows: after memory.grow an old
// view keeps its old length (and, for a non-shared memory, its buffer is detached).

const PAGE = 65536;
const ALIGN = 64;

export const alignUp = (n: number, to = ALIGN): number => Math.ceil(n / to) * to;

/** Lays regions out one after the other from `base`, each aligned to 64 bytes. */
export function planLayout<Name extends string>(
  base: number,
  regions: ReadonlyArray<readonly [Name, number]>,
): { offsets: Record<Name, number>; end: number } {
  const offsets = {} as Record<Name, number>;
  let at = alignUp(base);
  for (const [name, bytes] of regions) {
    offsets[name] = at;
    at = alignUp(at + bytes);
  }
  return { offsets, end: at };
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  f32!: Float32Array;
  f64!: Float64Array;
  u32!: Uint32Array;
  u8!: Uint8Array;
  private viewsOf: ArrayBuffer | SharedArrayBuffer | null = null;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.refresh();
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Grows the memory to hold at least `bytes`. */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch (cause) {
        throw new Error(
          `memory: cannot grow the WebAssembly memory from ${have} to ${have + pages * PAGE} bytes (${String(cause)})`,
        );
      }
    }
    this.refresh();
  }

  /** Re-creates the views if the buffer changed (growth, or another thread grew it). */
  refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.viewsOf && this.u8.byteLength === buffer.byteLength) return;
    this.viewsOf = buffer;
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }
}
