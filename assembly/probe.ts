// Peak arithmetic probe for the benchmarks: twelve independent multiply-add chains and no memory
// traffic. Each chain step is a multiply then an add (plain build, ~6 cycles of latency) or one
// fused multiply-add (relaxed build); twelve chains cover that latency on two vector pipes.
// (Six multiply chains beside six add chains were also tried: V8 scheduled them worse.) peakProbeFlops() says how many flops one iteration does: 12 chains × 4 lanes × 2.
import { madd } from './simd';

export function peakProbeFlops(): i32 {
  return 12 * 4 * 2;
}

export function peakProbe(iterations: i32, seed: f32): f32 {
  const m = f32x4.splat(0.999999), a = f32x4.splat(1e-7);
  let c0 = f32x4.splat(seed), c1 = f32x4.add(c0, a), c2 = f32x4.add(c1, a), c3 = f32x4.add(c2, a);
  let c4 = f32x4.add(c3, a), c5 = f32x4.add(c4, a), c6 = f32x4.add(c5, a), c7 = f32x4.add(c6, a);
  let c8 = f32x4.add(c7, a), c9 = f32x4.add(c8, a), c10 = f32x4.add(c9, a), c11 = f32x4.add(c10, a);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(c0, m, a); c1 = madd(c1, m, a); c2 = madd(c2, m, a); c3 = madd(c3, m, a);
    c4 = madd(c4, m, a); c5 = madd(c5, m, a); c6 = madd(c6, m, a); c7 = madd(c7, m, a);
    c8 = madd(c8, m, a); c9 = madd(c9, m, a); c10 = madd(c10, m, a); c11 = madd(c11, m, a);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)),
                      f32x4.add(f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)),
                                f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))));
  return f32x4.extract_lane(s, 0);
}
