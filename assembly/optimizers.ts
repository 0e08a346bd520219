// Optimizers over one flat parameter vector (or a slice of it: a thread passes its own range).
// Each reads the current parameters and state and writes the next ones, which may be the same
// buffers (in place) or others: the engine keeps two banks and alternates, so that a step that
// fails half-way never damages the last completed one.
// Hyper-parameters that depend on the step (Adam's bias correction) are computed by the caller.
import { loadPartial, storePartial } from './simd';

// @ts-ignore: decorator
@inline function load4(ptr: usize, rest: i32): v128 {
  return rest >= 4 ? v128.load(ptr) : loadPartial(ptr, rest);
}

// @ts-ignore: decorator
@inline function store4(ptr: usize, v: v128, rest: i32): void {
  if (rest >= 4) v128.store(ptr, v); else storePartial(ptr, v, rest);
}

// SGD as Keras: v = μ·v - lr·g; p += v (Nesterov: p += μ·v - lr·g). With μ = 0 the velocity
// is neither read nor written (its pointers may be 0).
export function sgdStep(paramsOut: usize, velocityOut: usize, params: usize, velocity: usize, grads: usize,
                        n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const rest = n - i;
    const p = load4(params + o, rest);
    const g = f32x4.mul(vlr, load4(grads + o, rest));
    let next: v128;
    if (momentum == 0) {
      next = f32x4.sub(p, g);
    } else {
      const v = f32x4.sub(f32x4.mul(vmu, load4(velocity + o, rest)), g);
      store4(velocityOut + o, v, rest);
      next = nesterov ? f32x4.add(p, f32x4.sub(f32x4.mul(vmu, v), g)) : f32x4.add(p, v);
    }
    store4(paramsOut + o, next, rest);
  }
}

// Adam as Keras 3, and AdamW when decay > 0:
//   p -= decay·p                       (decay = lr·weight_decay, decoupled)
//   m += (g - m)(1 - β1);  v += (g² - v)(1 - β2)
//   p -= alpha·m / (√v + ε)            (alpha = lr·√(1 - β2^t) / (1 - β1^t))
export function adamStep(paramsOut: usize, mOut: usize, vOut: usize, params: usize, m: usize, v: usize, grads: usize,
                         n: i32, alpha: f32, beta1: f32, beta2: f32, epsilon: f32, decay: f32): void {
  const va = f32x4.splat(alpha), vb1 = f32x4.splat(1 - beta1), vb2 = f32x4.splat(1 - beta2);
  const veps = f32x4.splat(epsilon), vdecay = f32x4.splat(decay);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const rest = n - i;
    let p = load4(params + o, rest);
    const g = load4(grads + o, rest);
    let mi = load4(m + o, rest);
    let vi = load4(v + o, rest);
    if (decay != 0) p = f32x4.sub(p, f32x4.mul(vdecay, p));
    mi = f32x4.add(mi, f32x4.mul(f32x4.sub(g, mi), vb1));
    vi = f32x4.add(vi, f32x4.mul(f32x4.sub(f32x4.mul(g, g), vi), vb2));
    p = f32x4.sub(p, f32x4.div(f32x4.mul(va, mi), f32x4.add(f32x4.sqrt(vi), veps)));
    store4(paramsOut + o, p, rest);
    store4(mOut + o, mi, rest);
    store4(vOut + o, vi, rest);
  }
}
