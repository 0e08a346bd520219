// Counter-based randomness for the kernels: a 32-bit integer hash of (seed, row, column). Each
// value depends only on where it is used, never on which thread computed it or in which order,
// so training with noise (noise.ts, variational.ts) stays bit-identical for any thread count.

// @ts-ignore: decorator
@inline function hash32(x: u32): u32 {
  // "lowbias32" (Chris Wellons): full avalanche, two multiplies.
  x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16;
  return x;
}

// @ts-ignore: decorator
@inline export function key(seed: u32, row: u32, col: u32): u32 {
  return hash32(seed ^ hash32(row * 0x9e3779b9 + col));
}

// Two uniforms in [0, 1) from one hash: its high and low 16 bits.
// @ts-ignore: decorator
@inline export function hiUniform(h: u32): f32 { return <f32>(h >> 16) * (<f32>1 / 65536); }
// @ts-ignore: decorator
@inline export function loUniform(h: u32): f32 { return <f32>(h & 0xffff) * (<f32>1 / 65536); }

// Approximately standard normal: the sum of four uniforms (Irwin–Hall), centred and scaled to
// unit variance. Its tails stop at ±2√3 ≈ 3.46: plenty for noise and for the reparameterization,
// and it needs no log, sqrt or cosine (Box–Muller does).
// @ts-ignore: decorator
@inline export function normal(seed: u32, row: u32, col: u32): f32 {
  const a = key(seed, row, col * 2), b = key(seed, row, col * 2 + 1);
  const s = hiUniform(a) + loUniform(a) + hiUniform(b) + loUniform(b);
  return (s - 2) * <f32>1.7320508075688772;
}
