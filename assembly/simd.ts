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
// Only ever called with x ≤ 0 (the BCE loss's e^-|z|, tanh's e^-2|x|); its maximum relative
// error there against Math.exp is measured by test/kernels/exp.test.ts (< 4e-7).
// Written for V8's x64 code: the clamp uses pmin/pmax (one instruction each; f32x4.min/max are
// sequences of eight, for their NaN and signed-zero rules, which a clamp does not need: NaN still
// comes out NaN), and n is rounded by adding 1.5·2^23, which leaves n in the low mantissa bits:
// the same round-to-nearest-even as f32x4.nearest, without i32x4.trunc_sat_f32x4_s's long
// sequence. The results are bit-identical to the nearest/trunc_sat form.
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const magic = f32x4.splat(12582912.0); // 1.5·2^23, bits 0x4B400000
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(shifted, magic);
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
  // bits(shifted) = 0x4B400000 + n; the exponent field of 2^n is n + 127.
  const scale = i32x4.shl(i32x4.add(shifted, i32x4.splat(127 - 0x4B400000)), 23);
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

// max(x, 0) with f32x4.max's bits (-0 → +0, NaN stays NaN) in two instructions: pmax is one
// x64 instruction where V8 expands f32x4.max to eight, and adding +0 turns its -0 into +0.
// @ts-ignore: decorator
@inline export function vrelu(x: v128): v128 {
  const zero = f32x4.splat(0);
  return f32x4.add(f32x4.pmax(x, zero), zero);
}

// σ(x) = 1 / (1 + e^-x), with a cheaper e^-x than vexp's: one-step range reduction (its rounding
// error grows with |n|, where σ(1-σ) makes it vanish) and a degree-4 polynomial fitted for
// relative error on |r| ≤ ln2/2 with its constant term 1 (2.9e-6 there in f32, so |Δσ| ≤
// σ(1-σ)·2.9e-6 plus rounding). Maximum absolute error against the exact σ: measured by
// test/kernels/exp.test.ts (< 1e-6). NaN stays NaN; ±Infinity give 1 and 0.
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const t = f32x4.pmin(f32x4.pmax(f32x4.neg(x), f32x4.splat(-87.0)), f32x4.splat(88.0));
  const magic = f32x4.splat(12582912.0);
  const shifted = f32x4.add(f32x4.mul(t, f32x4.splat(1.44269504088896341)), magic);
  const r = f32x4.sub(t, f32x4.mul(f32x4.sub(shifted, magic), f32x4.splat(0.693147180559945)));
  // 1 + r·q(r): exact at r = 0, so σ(0) = 0.5 exactly.
  let p = f32x4.splat(0.041513841599226);
  p = madd(p, r, f32x4.splat(0.1678747534751892));
  p = madd(p, r, f32x4.splat(0.5000301599502563));
  p = madd(p, r, f32x4.splat(0.9999668598175049));
  p = madd(p, r, one);
  const e = f32x4.mul(p, i32x4.shl(i32x4.add(shifted, i32x4.splat(127 - 0x4B400000)), 23));
  return f32x4.div(one, f32x4.add(one, e));
}

// tanh(x) = sign(x)·(1 - e)/(1 + e), e = e^(-2|x|) ≤ 1: no overflow for any x.
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const e = vexp(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  const one = f32x4.splat(1.0);
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  return v128.or(t, v128.and(x, f32x4.splat(-0.0)));
}

// @ts-ignore: decorator
@inline export function vleaky(x: v128, alpha: v128): v128 {
  return v128.bitselect(x, f32x4.mul(x, alpha), f32x4.gt(x, f32x4.splat(0)));
}

// Activation codes, for every kernel that takes one. Exported by the module as globals;
// test/kernels/codes.test.ts pins src/engine/codes.ts (the TypeScript side's table) to them.
export const ACTIVATION_LINEAR: i32 = 0;
export const ACTIVATION_RELU: i32 = 1;
export const ACTIVATION_LEAKY_RELU: i32 = 2;
export const ACTIVATION_SIGMOID: i32 = 3;
export const ACTIVATION_TANH: i32 = 4;

// Activation by code (alpha: leaky relu's slope). Every kernel that applies one (the
// activations, biasActivation, gemmNN's stores) goes through this, so fusing an activation into
// another pass changes no bit.
// @ts-ignore: decorator
@inline export function vactivate(x: v128, kind: i32, alpha: v128): v128 {
  if (kind == ACTIVATION_RELU) return vrelu(x);
  if (kind == ACTIVATION_LEAKY_RELU) return vleaky(x, alpha);
  if (kind == ACTIVATION_SIGMOID) return vsigmoid(x);
  if (kind == ACTIVATION_TANH) return vtanh(x);
  return x;
}
