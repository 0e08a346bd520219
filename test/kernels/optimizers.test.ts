// SGD and Adam steps against float64 implementations of the Keras 3 formulas, fed the same
// f32-rounded hyper-parameters the kernels receive.
//
// Each updated value is a short chain of f32 operations, so its error is a few units of 2^-24
// relative to the magnitudes of the terms it combines; the bounds below are 1e-6 (≈ 17·2^-24)
// times those magnitudes, which still catches any wrong sign, factor or missing term.
import { afterEach, describe, expect, it } from 'vitest';
import { KernelHarness, buildsToTest, expectClose, expectSameBits, mulberry32 } from '../helpers/kernel-harness.js';

const SIZES = [1, 3, 4, 5, 17, 783, 785];
const f = Math.fround;
const REL = 1e-6;

describe.each(buildsToTest())('%s build: optimizers', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  it.each(SIZES)('sgdStep, momentum 0 and no velocity buffer: p -= lr·g, n = %i', (n) => {
    const rng = mulberry32(n);
    const p = h.randomF32(n, rng),
      g = h.randomF32(n, rng);
    const lr = f(0.01);
    const before = h.snapshot();
    h.k.sgdStep(p.ptr, 0, p.ptr, 0, g.ptr, n, lr, 0, 0);
    const got = h.readF32(p.ptr, n);
    const ref = Array.from(p.data, (v, i) => v - lr * g.data[i]);
    expectClose(got, ref, (i) => REL * (Math.abs(p.data[i]) + Math.abs(lr * g.data[i])), 'params');
    // Nothing but params changed (the velocity pointer 0 was neither read nor written).
    const after = h.snapshot();
    after.set(before.subarray(p.ptr, p.ptr + 4 * n), p.ptr);
    expect(after).toEqual(before);
    // The Nesterov flag makes no difference without momentum.
    h.writeF32(p.ptr, p.data);
    h.k.sgdStep(p.ptr, 0, p.ptr, 0, g.ptr, n, lr, 0, 1);
    expectSameBits(h.readF32(p.ptr, n), got, 'nesterov without momentum');
  });

  it.each([0, 1])('sgdStep, momentum 0.9, nesterov = %i', (nesterov) => {
    for (const n of SIZES) {
      const rng = mulberry32(100 + n);
      const p = h.randomF32(n, rng),
        g = h.randomF32(n, rng),
        v = h.randomF32(n, rng, -0.1, 0.1);
      const lr = f(0.01),
        mu = f(0.9);
      h.k.sgdStep(p.ptr, v.ptr, p.ptr, v.ptr, g.ptr, n, lr, mu, nesterov);
      // Keras: v = μ·v - lr·g; p += v, or with Nesterov p += μ·v - lr·g (the new v).
      const vRef = Array.from(v.data, (vi, i) => mu * vi - lr * g.data[i]);
      const vMag = Array.from(v.data, (vi, i) => Math.abs(mu * vi) + Math.abs(lr * g.data[i]));
      expectClose(h.readF32(v.ptr, n), vRef, (i) => REL * vMag[i], `velocity n=${n}`);
      const pRef = Array.from(p.data, (pi, i) => pi + (nesterov ? mu * vRef[i] - lr * g.data[i] : vRef[i]));
      expectClose(h.readF32(p.ptr, n), pRef, (i) => REL * (Math.abs(p.data[i]) + 2 * vMag[i]), `params n=${n}`);
      h.reset();
    }
  });

  it('sgdStep, three momentum steps follow the reference trajectory', () => {
    const n = 785,
      rng = mulberry32(7);
    const p = h.randomF32(n, rng),
      v = h.allocF32(n);
    const lr = f(0.05),
      mu = f(0.9);
    const pRef = Float64Array.from(p.data),
      vRef = new Float64Array(n);
    for (let step = 0; step < 3; step++) {
      const g = h.randomF32(n, rng);
      h.k.sgdStep(p.ptr, v, p.ptr, v, g.ptr, n, lr, mu, 0);
      for (let i = 0; i < n; i++) {
        vRef[i] = mu * vRef[i] - lr * g.data[i];
        pRef[i] += vRef[i];
      }
    }
    expectClose(h.readF32(p.ptr, n), pRef, 1e-6 * 4, 'params after 3 steps'); // |p| ≤ 1.2, ~4 ops/step
  });

  // Keras 3: alpha = lr·√(1 - β2^t)/(1 - β1^t); m += (g - m)(1 - β1); v += (g² - v)(1 - β2);
  // p -= alpha·m/(√v + ε); AdamW first does p -= lr·wd·p.
  it.each([0, f(1e-3 * 4e-3), f(0.01)])('adamStep, decay = %s', (decay) => {
    for (const n of SIZES) {
      const rng = mulberry32(200 + n);
      const p = h.randomF32(n, rng),
        g = h.randomF32(n, rng);
      const m = h.randomF32(n, rng, -0.1, 0.1),
        v = h.randomF32(n, rng, 0, 0.01);
      const lr = 1e-3,
        b1 = f(0.9),
        b2 = f(0.999),
        eps = f(1e-7),
        t = 3;
      const alpha = f((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t));
      h.k.adamStep(p.ptr, m.ptr, v.ptr, p.ptr, m.ptr, v.ptr, g.ptr, n, alpha, b1, b2, eps, decay);
      const mRef = [],
        vRef = [],
        pRef = [],
        pTol = [];
      for (let i = 0; i < n; i++) {
        const gi = g.data[i];
        mRef.push(m.data[i] + (gi - m.data[i]) * (1 - b1));
        vRef.push(v.data[i] + (gi * gi - v.data[i]) * (1 - b2));
        const p1 = p.data[i] - decay * p.data[i];
        const den = Math.sqrt(vRef[i]) + eps;
        pRef.push(p1 - (alpha * mRef[i]) / den);
        pTol.push(REL * (Math.abs(p.data[i]) + (alpha * (Math.abs(m.data[i]) + Math.abs(gi))) / den));
      }
      expectClose(h.readF32(m.ptr, n), mRef, (i) => REL * (Math.abs(m.data[i]) + Math.abs(g.data[i])), `m n=${n}`);
      expectClose(h.readF32(v.ptr, n), vRef, (i) => REL * (v.data[i] + g.data[i] ** 2), `v n=${n}`);
      expectClose(h.readF32(p.ptr, n), pRef, pTol, `params n=${n}`);
      h.reset();
    }
  });

  it('adamStep weight decay moves parameters toward 0 when the gradient is 0', () => {
    const n = 5;
    const p = h.putF32([1, -2, 0.5, 3, -4]),
      g = h.allocF32(n),
      m = h.allocF32(n),
      v = h.allocF32(n);
    h.k.adamStep(p, m, v, p, m, v, g, n, 0.1, 0.9, 0.999, 1e-7, 0.25);
    expect([...h.readF32(p, n)]).toEqual([0.75, -1.5, 0.375, 2.25, -3]);
    expect([...h.readF32(m, n)]).toEqual([0, 0, 0, 0, 0]);
    expect([...h.readF32(v, n)]).toEqual([0, 0, 0, 0, 0]);
  });

  it.each(SIZES)(
    'out of place (into another bank) gives the in-place bits and leaves the inputs alone, n = %i',
    (n) => {
      const rng = mulberry32(900 + n);
      const p = h.randomF32(n, rng),
        g = h.randomF32(n, rng);
      const m = h.randomF32(n, rng, -0.1, 0.1),
        v = h.randomF32(n, rng, 0, 0.01);
      const pOut = h.allocF32(n),
        mOut = h.allocF32(n),
        vOut = h.allocF32(n);
      h.k.adamStep(pOut, mOut, vOut, p.ptr, m.ptr, v.ptr, g.ptr, n, 1e-3, 0.9, 0.999, 1e-7, 4e-6);
      expectSameBits(h.readF32(p.ptr, n), p.data, 'params in');
      expectSameBits(h.readF32(m.ptr, n), m.data, 'm in');
      expectSameBits(h.readF32(v.ptr, n), v.data, 'v in');
      h.k.adamStep(p.ptr, m.ptr, v.ptr, p.ptr, m.ptr, v.ptr, g.ptr, n, 1e-3, 0.9, 0.999, 1e-7, 4e-6);
      expectSameBits(h.readF32(pOut, n), h.readF32(p.ptr, n), 'params');
      expectSameBits(h.readF32(mOut, n), h.readF32(m.ptr, n), 'm');
      expectSameBits(h.readF32(vOut, n), h.readF32(v.ptr, n), 'v');
      const q = h.randomF32(n, rng),
        vel = h.randomF32(n, rng),
        qOut = h.allocF32(n),
        velOut = h.allocF32(n);
      h.k.sgdStep(qOut, velOut, q.ptr, vel.ptr, g.ptr, n, 0.1, 0.9, 1);
      expectSameBits(h.readF32(q.ptr, n), q.data, 'sgd params in');
      h.k.sgdStep(q.ptr, vel.ptr, q.ptr, vel.ptr, g.ptr, n, 0.1, 0.9, 1);
      expectSameBits(h.readF32(qOut, n), h.readF32(q.ptr, n), 'sgd params');
      expectSameBits(h.readF32(velOut, n), h.readF32(vel.ptr, n), 'sgd velocity');
    },
  );
});
