// Test harness for the WebAssembly kernels: compiles one build, instantiates it over a fresh
// memory, and hands out arrays in that memory from a bump allocator. Every allocation is
// surrounded by guard bytes; `checkGuards()` (also run by `reset()`) throws when a kernel wrote
// outside the arrays it was given, which is how the tests catch tails of odd sizes that overrun.
import { readFileSync } from 'node:fs';
import * as v8 from 'node:v8';
import type { Kernels } from '../../src/runtime/wasm.js';

// Node 20 validates relaxed SIMD only behind this flag. It has to be set before any module that
// uses relaxed SIMD is validated or compiled, so it runs when this file is first imported.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

export type BuildName = 'simd' | 'relaxed';

/** 2^-24: the unit roundoff of f32 (half an ulp of 1). */
export const U32 = 2 ** -24;

const bytesCache = new Map<BuildName, Uint8Array<ArrayBuffer>>();
const moduleCache = new Map<BuildName, WebAssembly.Module>();

export function wasmBytes(build: BuildName): Uint8Array<ArrayBuffer> {
  let bytes = bytesCache.get(build);
  if (!bytes) {
    bytes = new Uint8Array(readFileSync(new URL(`../../build/kernels-${build}.wasm`, import.meta.url)));
    bytesCache.set(build, bytes);
  }
  return bytes;
}

export function compileBuild(build: BuildName): WebAssembly.Module {
  let module = moduleCache.get(build);
  if (!module) {
    module = new WebAssembly.Module(wasmBytes(build));
    moduleCache.set(build, module);
  }
  return module;
}

let relaxedStatus: { ok: boolean; reason: string } | undefined;

/** Whether this process can run the relaxed build, and if not, why. */
export function relaxedSupport(): { ok: boolean; reason: string } {
  if (!relaxedStatus) {
    try {
      const ok = WebAssembly.validate(wasmBytes('relaxed'));
      relaxedStatus = ok
        ? { ok, reason: 'build/kernels-relaxed.wasm validates' }
        : {
            ok,
            reason: `WebAssembly.validate rejects build/kernels-relaxed.wasm on Node ${process.version} even with --experimental-wasm-relaxed-simd`,
          };
    } catch (err) {
      relaxedStatus = { ok: false, reason: `cannot read build/kernels-relaxed.wasm: ${(err as Error).message}` };
    }
  }
  return relaxedStatus;
}

/** The builds to test: always 'simd', and 'relaxed' when this runtime accepts it. */
export function buildsToTest(): BuildName[] {
  const relaxed = relaxedSupport();
  if (!relaxed.ok) {
    console.warn(`kernel tests: testing only the 'simd' build; the 'relaxed' build is NOT tested: ${relaxed.reason}`);
    return ['simd'];
  }
  return ['simd', 'relaxed'];
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;

const PAGE = 65536;
const ALIGN = 64;
const GUARD = 64;
const GUARD_BYTE = 0xa5;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

interface Allocation {
  start: number;
  ptr: number;
  end: number;
  top: number;
}

export class KernelHarness {
  readonly build: BuildName;
  readonly memory: WebAssembly.Memory;
  readonly k: Kernels;
  /** First byte the allocator hands out (heapBase() rounded up to 64). */
  readonly base: number;
  private top: number;
  private allocations: Allocation[] = [];
  private low: Uint8Array;

  constructor(build: BuildName, initialPages = 64) {
    this.build = build;
    this.memory = new WebAssembly.Memory({ initial: initialPages });
    const instance = new WebAssembly.Instance(compileBuild(build), {
      env: {
        memory: this.memory,
        abort: () => {
          throw new Error('kernel aborted');
        },
      },
    });
    this.k = instance.exports as unknown as Kernels;
    this.base = roundUp(this.k.heapBase(), ALIGN);
    this.top = this.base;
    // What the compiler placed below the heap: kernels must never change it.
    this.low = new Uint8Array(this.memory.buffer, 0, this.base).slice();
  }

  /** Reserves `bytes` (64-aligned) with guard bytes on both sides; the data starts zeroed. */
  alloc(bytes: number): number {
    const start = this.top;
    const ptr = start + GUARD;
    const end = ptr + bytes;
    const top = roundUp(end + GUARD, ALIGN);
    if (top > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((top - this.memory.buffer.byteLength) / PAGE));
    }
    const mem = new Uint8Array(this.memory.buffer);
    mem.fill(GUARD_BYTE, start, ptr);
    mem.fill(0, ptr, end);
    mem.fill(GUARD_BYTE, end, top);
    this.allocations.push({ start, ptr, end, top });
    this.top = top;
    return ptr;
  }

  allocF32(n: number): number {
    return this.alloc(4 * n);
  }
  allocU32(n: number): number {
    return this.alloc(4 * n);
  }
  allocU8(n: number): number {
    return this.alloc(n);
  }

  /** Allocates and copies `data` in. */
  putF32(data: ArrayLike<number>): number {
    const p = this.allocF32(data.length);
    this.writeF32(p, data);
    return p;
  }
  putU32(data: ArrayLike<number>): number {
    const p = this.allocU32(data.length);
    this.f32Bits(p, data.length).set(data);
    return p;
  }
  putU8(data: ArrayLike<number>): number {
    const p = this.allocU8(data.length);
    this.u8(p, data.length).set(data);
    return p;
  }

  /** Allocates `n` floats uniform in [lo, hi) (rounded to f32); returns the pointer and a host copy. */
  randomF32(n: number, rng: Rng, lo = -1, hi = 1): { ptr: number; data: Float32Array } {
    const data = randomF32(n, rng, lo, hi);
    return { ptr: this.putF32(data), data };
  }

  randomU8(n: number, rng: Rng): { ptr: number; data: Uint8Array } {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.floor(rng() * 256);
    return { ptr: this.putU8(data), data };
  }

  /** Live views; recreate after any allocation (the memory may have grown). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  f32Bits(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, n);
  }
  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  readF32(ptr: number, n: number): Float32Array {
    return this.f32(ptr, n).slice();
  }
  readU32Bits(ptr: number, n: number): Uint32Array {
    return this.f32Bits(ptr, n).slice();
  }
  writeF32(ptr: number, data: ArrayLike<number>): void {
    this.f32(ptr, data.length).set(data);
  }

  /** A copy of every byte from 0 to the allocator's top, to assert that a call wrote nothing. */
  snapshot(): Uint8Array {
    return new Uint8Array(this.memory.buffer, 0, this.top).slice();
  }

  /** Throws when a guard byte around any allocation, or anything below the heap, changed. */
  checkGuards(): void {
    const mem = new Uint8Array(this.memory.buffer);
    for (let i = 0; i < this.low.length; i++) {
      if (mem[i] !== this.low[i]) throw new Error(`${this.build}: byte ${i} below heapBase changed`);
    }
    for (const [n, a] of this.allocations.entries()) {
      for (const [from, to, side] of [
        [a.start, a.ptr, 'before'],
        [a.end, a.top, 'after'],
      ] as const) {
        for (let i = from; i < to; i++) {
          if (mem[i] !== GUARD_BYTE) {
            throw new Error(
              `${this.build}: guard ${side} allocation #${n} (data [${a.ptr}, ${a.end})) overwritten at byte ${i}`,
            );
          }
        }
      }
    }
  }

  /** Checks the guards (throwing if damaged) and frees everything, even when it throws. */
  reset(): void {
    try {
      this.checkGuards();
    } finally {
      this.allocations = [];
      this.top = this.base;
      new Uint8Array(this.memory.buffer).set(this.low);
    }
  }
}

export function randomF32(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/**
 * Asserts |got[i] - ref[i]| ≤ tol[i] for every i (NaN fails), and reports the worst offender
 * rather than a diff of thousands of numbers.
 */
export function expectClose(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: number | ArrayLike<number> | ((i: number) => number),
  what = 'values',
): void {
  if (got.length !== ref.length) throw new Error(`${what}: length ${got.length} != ${ref.length}`);
  const bound = typeof tol === 'number' ? () => tol : typeof tol === 'function' ? tol : (i: number) => tol[i];
  let worst = -1,
    worstRatio = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    const b = bound(i);
    if (!(err <= b)) {
      const ratio = Number.isNaN(err) ? Infinity : err / b;
      if (worst < 0 || ratio > worstRatio) {
        worst = i;
        worstRatio = ratio;
      }
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: [${worst}] got ${got[worst]}, expected ${ref[worst]} ± ${bound(worst)} (error ${Math.abs(got[worst] - ref[worst])})`,
    );
  }
}

/** Asserts got[i] === ref[i] as numbers (so -0 equals 0; NaN equals NaN). */
export function expectExact(got: ArrayLike<number>, ref: ArrayLike<number>, what = 'values'): void {
  if (got.length !== ref.length) throw new Error(`${what}: length ${got.length} != ${ref.length}`);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== ref[i] && !(Number.isNaN(got[i]) && Number.isNaN(ref[i]))) {
      throw new Error(`${what}: [${i}] got ${got[i]}, expected exactly ${ref[i]}`);
    }
  }
}

/** Asserts identical bit patterns (for copies and in-place vs out-of-place). */
export function expectSameBits(got: Float32Array, ref: Float32Array, what = 'values'): void {
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
  expectExact(a, b, what);
}

/** f32 fused multiply-add a·b + c with one rounding, exact for f32 inputs. */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: 24 + 24 bits fit in a double
  const s = p + c;
  // TwoSum: s + e == p + c exactly.
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  const r = Math.fround(s);
  if (e === 0 || r === s) return r;
  // Rounding s to f32 is wrong only when s is exactly halfway between two floats; then the
  // sign of e says on which side the exact value lies.
  const other = nextF32Toward(r, s);
  if (s - r !== other - s) return r;
  return e > 0 === other > r ? other : r;
}

function nextF32Toward(r: number, target: number): number {
  const f = new Float32Array([r]);
  const bits = new Int32Array(f.buffer);
  const away = target > r === r >= 0;
  if (r === 0) return target > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
  bits[0] += away ? 1 : -1;
  return f[0];
}
