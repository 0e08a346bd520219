// Losses with their gradients. Each returns the *sum* of its per-element losses (as f64, so the
// caller can add chunks in a fixed order) and, when dout is non-zero, writes the gradient of
// scale·Σ loss, where the caller passes scale = 1/(elements in the whole batch): the gradient
// of the mean, as Keras computes it.
import { loadPartial, storePartial, vexp, vlog1pUnit, horizontalSum } from './simd';

// MSE: Σ (y - t)²; dout = 2·scale·(y - t), times y(1 - y) when `sigmoidOut` (the gradient taken
// back through an output sigmoid in the same pass: the bits of sigmoidBackward after this).
export function mseLoss(dout: usize, y: usize, t: usize, n: i32, scale: f32, sigmoidOut: i32): f64 {
  const s = f32x4.splat(2 * scale), one = f32x4.splat(1);
  const n4 = n & ~3;
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const yi = v128.load(y + o);
    const d = f32x4.sub(yi, v128.load(t + o));
    acc = f32x4.add(acc, f32x4.mul(d, d));
    if (dout) {
      const g = f32x4.mul(d, s);
      v128.store(dout + o, sigmoidOut ? f32x4.mul(g, f32x4.mul(yi, f32x4.sub(one, yi))) : g);
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    const yi = loadPartial(y + o, n - i);
    const d = f32x4.sub(yi, loadPartial(t + o, n - i));
    acc = f32x4.add(acc, f32x4.mul(d, d));
    if (dout) {
      const g = f32x4.mul(d, s);
      storePartial(dout + o, sigmoidOut ? f32x4.mul(g, f32x4.mul(yi, f32x4.sub(one, yi))) : g, n - i);
    }
  }
  return <f64>horizontalSum(acc);
}

// Binary cross-entropy on logits z, fused with the output sigmoid:
//   loss = max(z, 0) - z·t + ln(1 + e^-|z|)     (never overflows, never takes log of 0)
//   dz   = scale·(σ(z) - t)
// y, when non-zero, receives σ(z) (the model's output). y may equal z.
export function bceSigmoidLoss(dz: usize, y: usize, z: usize, t: usize, n: i32, scale: f32): f64 {
  const s = f32x4.splat(scale), zero = f32x4.splat(0), one = f32x4.splat(1);
  const n4 = (n + 3) & ~3;
  let acc = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const rest = n - i;
    const zi = rest >= 4 ? v128.load(z + o) : loadPartial(z + o, rest);
    const ti = rest >= 4 ? v128.load(t + o) : loadPartial(t + o, rest);
    const e = vexp(f32x4.neg(f32x4.abs(zi)));
    let loss = f32x4.add(f32x4.sub(f32x4.max(zi, zero), f32x4.mul(zi, ti)), vlog1pUnit(e));
    // σ(z) from the same e: 1/(1+e) for z ≥ 0, e/(1+e) for z < 0.
    const inv = f32x4.div(one, f32x4.add(one, e));
    const sig = v128.bitselect(inv, f32x4.mul(e, inv), f32x4.ge(zi, zero));
    if (rest < 4) loss = v128.and(loss, partialMask(rest));
    acc = f32x4.add(acc, loss);
    const g = f32x4.mul(f32x4.sub(sig, ti), s);
    if (rest >= 4) {
      if (y) v128.store(y + o, sig);
      if (dz) v128.store(dz + o, g);
    } else {
      if (y) storePartial(y + o, sig, rest);
      if (dz) storePartial(dz + o, g, rest);
    }
  }
  return <f64>horizontalSum(acc);
}

// All-ones in the first `count` lanes (1..3).
// @ts-ignore: decorator
@inline function partialMask(count: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(count));
}

// Per-row sum of squared errors: out[r] = Σ_c (y[r][c] - t[r][c])². For evaluate() and
// anomaly scores: one figure per image.
export function rowSquaredError(out: usize, y: usize, t: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * rowBytes;
    store<f32>(out + (<usize>r << 2), <f32>mseLoss(0, y + o, t + o, cols, 0, 0));
  }
}
