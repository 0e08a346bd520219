// Optimizers over one flat parameter vector (or a slice of it: a thread passes its own range).
// Hyper-parameters that depend on the step (Adam's bias correction) are computed by the caller.
import { loadPartial, storePartial } from './simd';

// SGD as Keras: v = μ·v - lr·g; p += v (Nesterov: p += μ·v - lr·g). With μ = 0 the velocity
// is neither read nor written (its pointer may be 0).
export function sgdStep(params: usize, grads: usize, velocity: usize, n: i32,
                        lr: f32, momentum: f32, nesterov: i32): void {
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum);
  const n4 = (n + 3) & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const rest = n - i;
    const p = rest >= 4 ? v128.load(params + o) : loadPartial(params + o, rest);
    const g = f32x4.mul(vlr, rest >= 4 ? v128.load(grads + o) : loadPartial(grads + o, rest));
    let next: v128;
    if (momentum == 0) {
      next = f32x4.sub(p, g);
    } else {
      let v = rest >= 4 ? v128.load(velocity + o) : loadPartial(velocity + o, rest);
      v = f32x4.sub(f32x4.mul(vmu, v), g);
      if (rest >= 4) v128.store(velocity + o, v); else storePartial(velocity + o, v, rest);
      next = nesterov ? f32x4.add(p, f32x4.sub(f32x4.mul(vmu, v), g)) : f32x4.add(p, v);
    }
    if (rest >= 4) v128.store(params + o, next); else storePartial(params + o, next, rest);
  }
}

// Adam as Keras 3, and AdamW when decay > 0:
//   p -= decay·p                       (decay = lr·weight_decay, decoupled)
//   m += (g - m)(1 - β1);  v += (g² - v)(1 - β2)
//   p -= alpha·m / (√v + ε)            (alpha = lr·√(1 - β2^t) / (1 - β1^t))
export function adamStep(params: usize, grads: usize, m: usize, v: usize, n: i32,
                         alpha: f32, beta1: f32, beta2: f32, epsilon: f32, decay: f32): void {
  const va = f32x4.splat(alpha), vb1 = f32x4.splat(1 - beta1), vb2 = f32x4.splat(1 - beta2);
  const veps = f32x4.splat(epsilon), vdecay = f32x4.splat(decay);
  const n4 = (n + 3) & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const rest = n - i;
    const full = rest >= 4;
    let p = full ? v128.load(params + o) : loadPartial(params + o, rest);
    const g = full ? v128.load(grads + o) : loadPartial(grads + o, rest);
    let mi = full ? v128.load(m + o) : loadPartial(m + o, rest);
    let vi = full ? v128.load(v + o) : loadPartial(v + o, rest);
    if (decay != 0) p = f32x4.sub(p, f32x4.mul(vdecay, p));
    mi = f32x4.add(mi, f32x4.mul(f32x4.sub(g, mi), vb1));
    vi = f32x4.add(vi, f32x4.mul(f32x4.sub(f32x4.mul(g, g), vi), vb2));
    p = f32x4.sub(p, f32x4.div(f32x4.mul(va, mi), f32x4.add(f32x4.sqrt(vi), veps)));
    if (full) {
      v128.store(params + o, p); v128.store(m + o, mi); v128.store(v + o, vi);
    } else {
      storePartial(params + o, p, rest); storePartial(m + o, mi, rest); storePartial(v + o, vi, rest);
    }
  }
}
