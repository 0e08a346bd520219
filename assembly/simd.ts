// Shared vector helpers. Everything here is inlined into the kernels that use it.

// Multiply-add: fused in the relaxed build, separate mul and add in the plain one.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Loads the first `count` (1..3) floats at `ptr` into a vector, zeros elsewhere. Tails of
// element-wise kernels go through the same vector code as the body, so a value does not depend
// on where it sits in the array.
// @ts-ignore: decorator
@inline export function loadPartial(ptr: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

// @ts-ignore: decorator
@inline export function storePartial(ptr: usize, v: v128, count: i32): void {
  store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

// @ts-ignore: decorator
@inline export function horizontalSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// e^x for four lanes. Range reduction x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 Taylor
// polynomial for e^r, and 2^n built in the exponent bits. Inputs are clamped to [-87, 88] so
// 2^n stays a normal float: below e^-87 the result is 1.6e-38, above e^88 it is 1.7e38.
// Measured maximum relative error against Math.exp: see test/kernels/exp.test.ts (< 4e-7).
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  // Cody–Waite: ln2 split in a part exact in few bits and the rest.
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.428606765330187045e-6)));
  let p = f32x4.splat(1.0 / 720.0);
  p = madd(p, r, f32x4.splat(1.0 / 120.0));
  p = madd(p, r, f32x4.splat(1.0 / 24.0));
  p = madd(p, r, f32x4.splat(1.0 / 6.0));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1.0));
  p = madd(p, r, f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// ln(1 + e) for e in [0, 1], as 2·atanh(s) with s = e / (2 + e) ≤ 1/3: the odd series in s
// converges fast enough that seven terms leave a truncation error below 2e-8.
// @ts-ignore: decorator
@inline export function vlog1pUnit(e: v128): v128 {
  const s = f32x4.div(e, f32x4.add(e, f32x4.splat(2.0)));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(1.0 / 13.0);
  p = madd(p, s2, f32x4.splat(1.0 / 11.0));
  p = madd(p, s2, f32x4.splat(1.0 / 9.0));
  p = madd(p, s2, f32x4.splat(1.0 / 7.0));
  p = madd(p, s2, f32x4.splat(1.0 / 5.0));
  p = madd(p, s2, f32x4.splat(1.0 / 3.0));
  p = madd(p, s2, f32x4.splat(1.0));
  return f32x4.mul(f32x4.add(s, s), p);
}

// 1 / (1 + e^-x)
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}
