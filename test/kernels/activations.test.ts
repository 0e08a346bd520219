// Element-wise activations and their gradients, biasActivation and biasBackward against
// independent references, at sizes that hit the 4-wide body, every tail length and n = 0. Relu
// forward has no kernel of its own (gemmNN and qgemm apply it as they store, biasActivation after
// col2im): it is checked through biasActivation with a zero bias.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KernelHarness,
  U32,
  buildsToTest,
  expectClose,
  expectExact,
  expectSameBits,
  mulberry32,
  randomF32,
} from '../helpers/kernel-harness.js';

const SIZES = [0, 1, 3, 4, 5, 17, 783, 785];
const f = Math.fround;
const ACT = { linear: 0, relu: 1, leakyRelu: 2, sigmoid: 3, tanh: 4 } as const;
// The sigmoid has a cheaper e^-x of its own (simd.ts vsigmoid), bounded in absolute error, which is
// what matters for outputs in [0, 1].
const SIGMOID_ABS = 1e-6;

describe.each(buildsToTest())('%s build: activations', (build) => {
  const h = new KernelHarness(build);
  afterEach(() => h.reset());

  /** Runs `fwd(out, inp, n)` on random data in [lo, hi) and returns input and output. */
  function forward(
    n: number,
    seed: number,
    lo: number,
    hi: number,
    fwd: (out: number, inp: number, n: number) => void,
  ) {
    const inp = h.randomF32(n, mulberry32(seed), lo, hi);
    const out = h.allocF32(n);
    fwd(out, inp.ptr, n);
    const got = h.readF32(out, n);
    expectSameBits(h.readF32(inp.ptr, n), inp.data, 'input unchanged');
    return { x: inp.data, got };
  }

  /** Runs `bwd(dinp, dout, out, n)` with the given forward outputs y. */
  function backward(y: Float32Array, seed: number, bwd: (dinp: number, dout: number, out: number, n: number) => void) {
    const n = y.length;
    const g = h.randomF32(n, mulberry32(seed), -2, 2);
    const yp = h.putF32(y);
    const dinp = h.allocF32(n);
    bwd(dinp, g.ptr, yp, n);
    return { g: g.data, got: h.readF32(dinp, n) };
  }

  type Fwd = (out: number, inp: number, n: number) => void;
  type Bwd = (dinp: number, dout: number, out: number, n: number) => void;
  /** act(x) by biasActivation over one column with a zero bias (x + 0 changes only -0 to +0). */
  const viaBias =
    (act: number, alpha = 0): Fwd =>
    (o, i, m) => {
      h.writeF32(o, h.readF32(i, m));
      h.k.biasActivation(o, h.allocF32(1), m, 1, act, alpha);
    };
  const fwdOf = (act: number, alpha = 0): Fwd => {
    if (act === ACT.leakyRelu) return (o, i, m) => h.k.leakyReluForward(o, i, m, alpha);
    if (act === ACT.sigmoid) return (o, i, m) => h.k.sigmoidForward(o, i, m);
    if (act === ACT.tanh) return (o, i, m) => h.k.tanhForward(o, i, m);
    return viaBias(act, alpha);
  };
  const bwdOf = (act: number, alpha = 0): Bwd => {
    if (act === ACT.relu) return (d, g, y, m) => h.k.reluBackward(d, g, y, m);
    if (act === ACT.leakyRelu) return (d, g, y, m) => h.k.leakyReluBackward(d, g, y, m, alpha);
    if (act === ACT.sigmoid) return (d, g, y, m) => h.k.sigmoidBackward(d, g, y, m);
    return (d, g, y, m) => h.k.tanhBackward(d, g, y, m);
  };

  it.each(SIZES)('relu forward / backward, n = %i (exact)', (n) => {
    const { x, got } = forward(n, n + 1, -1, 1, fwdOf(ACT.relu));
    // max(x, 0) + 0: -0 → +0, as the kernel's pmax(x, 0) + 0.
    expectSameBits(
      got,
      x.map((v) => Math.max(v, 0) + 0),
      'relu',
    );
    const { g, got: dx } = backward(got, n + 2, bwdOf(ACT.relu));
    expectExact(
      dx,
      g.map((v, i) => (got[i] > 0 ? v : 0)),
      'relu grad',
    );
  });

  it.each([0.3, 0])('leaky relu forward / backward, alpha = %s (exact)', (alpha) => {
    for (const n of SIZES) {
      const a = f(alpha);
      const { x, got } = forward(n, n + 3, -1, 1, fwdOf(ACT.leakyRelu, alpha));
      expectExact(
        got,
        x.map((v) => (v > 0 ? v : f(v * a))),
        `leaky relu n=${n}`,
      );
      const { g, got: dx } = backward(got, n + 4, bwdOf(ACT.leakyRelu, alpha));
      expectExact(
        dx,
        g.map((v, i) => (got[i] > 0 ? v : f(v * a))),
        `leaky relu grad n=${n}`,
      );
      h.reset();
    }
  });

  it.each(SIZES)('sigmoid forward / backward, n = %i', (n) => {
    const { x, got } = forward(n, n + 5, -12, 12, fwdOf(ACT.sigmoid));
    const ref = Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
    expectClose(got, ref, () => SIGMOID_ABS, 'sigmoid');
    // g·y·(1-y): three f32 roundings, 1 - y exact in the reference's f64, so ≤ 4·2^-24 relative.
    const { g, got: dx } = backward(got, n + 6, bwdOf(ACT.sigmoid));
    const r = Array.from(g, (v, i) => v * got[i] * (1 - got[i]));
    expectClose(dx, r, (i) => 4 * U32 * Math.abs(r[i]) + 1e-38, 'sigmoid grad');
  });

  it.each(SIZES)('tanh forward / backward, n = %i', (n) => {
    const { x, got } = forward(n, n + 7, -6, 6, fwdOf(ACT.tanh));
    const ref = Array.from(x, Math.tanh);
    // (1 - e)/(1 + e) loses relative accuracy near 0 where 1 - e cancels, so the bound is
    // absolute, at the level measured in exp.test.ts (max abs error ≈ 1.2e-7) with margin.
    expectClose(got, ref, (i) => 3e-7 + 2 * U32 * Math.abs(ref[i]), 'tanh');
    // g·(1 - y²): y² rounds (2^-24·y²), then 1 - y² and the product round: relative to the
    // terms' magnitude |g|·(y² + |1 - y²|).
    const { g, got: dx } = backward(got, n + 8, bwdOf(ACT.tanh));
    const r = Array.from(g, (v, i) => v * (1 - got[i] * got[i]));
    expectClose(
      dx,
      r,
      (i) => 4 * U32 * Math.abs(g[i]) * (got[i] ** 2 + Math.abs(1 - got[i] ** 2)) + 1e-38,
      'tanh grad',
    );
  });

  it('biasActivation gives the bits of adding the bias (f32) and then the activation kernel', () => {
    let seed = 700;
    for (const [name, kind] of Object.entries(ACT)) {
      for (const [rows, cols] of [
        [0, 3],
        [1, 1],
        [7, 1],
        [5, 3],
        [3, 4],
        [4, 16],
        [2, 17],
        [9, 33],
      ]) {
        const rng = mulberry32(seed++);
        const out = h.randomF32(rows * cols, rng, -6, 6),
          bias = h.randomF32(cols, rng, -2, 2);
        h.k.biasActivation(out.ptr, bias.ptr, rows, cols, kind, 0.3);
        const sum = Float32Array.from(out.data, (x, i) => Math.fround(x + bias.data[i % cols]));
        const ref = h.putF32(sum);
        if (name === 'relu')
          h.writeF32(
            ref,
            sum.map((v) => Math.max(v, 0) + 0),
          );
        else if (name !== 'linear') fwdOf(kind, 0.3)(ref, ref, sum.length);
        expectSameBits(
          h.readF32(out.ptr, rows * cols),
          h.readF32(ref, sum.length),
          `biasActivation ${name} ${rows}×${cols}`,
        );
        expectSameBits(h.readF32(bias.ptr, cols), bias.data, 'bias unchanged');
        h.reset();
      }
    }
  });

  it('sigmoid and tanh saturate cleanly for large |x|', () => {
    const xs = [-1000, -100, -50, 50, 100, 1000, -0, 0];
    const inp = h.putF32(xs);
    const s = h.allocF32(xs.length),
      t = h.allocF32(xs.length);
    h.k.sigmoidForward(s, inp, xs.length);
    h.k.tanhForward(t, inp, xs.length);
    const sg = h.readF32(s, xs.length),
      th = h.readF32(t, xs.length);
    for (let i = 0; i < 3; i++) {
      expect(sg[i]).toBeGreaterThanOrEqual(0);
      expect(sg[i]).toBeLessThan(1e-20);
      expect(th[i]).toBe(-1);
    }
    for (let i = 3; i < 6; i++) {
      expect(sg[i]).toBe(1);
      expect(th[i]).toBe(1);
    }
    expect(sg[6]).toBe(0.5);
    expect(sg[7]).toBe(0.5);
    expect(Object.is(th[6], -0)).toBe(true);
    expect(Object.is(th[7], 0)).toBe(true);
  });

  it.each([...SIZES, 16, 32, 35, 53])(
    'biasBackward accumulates column sums into db (or writes them), cols = %i',
    (cols) => {
      for (const rows of [1, 3, 5, 17, 256]) {
        const rng = mulberry32(rows * 1000 + cols);
        const dz = h.randomF32(rows * cols, rng);
        const db = h.randomF32(cols, rng);
        h.k.biasBackward(db.ptr, dz.ptr, rows, cols, 1);
        const ref = new Float64Array(cols),
          tol = new Float64Array(cols);
        for (let j = 0; j < cols; j++) {
          let s = db.data[j],
            mag = Math.abs(s);
          for (let r = 0; r < rows; r++) {
            s += dz.data[r * cols + j];
            mag += Math.abs(dz.data[r * cols + j]);
          }
          // f32 sum of rows + 1 terms: same bound and reasoning as the dot products in gemm.test.ts.
          ref[j] = s;
          tol[j] = 1e-5 * mag + 1e-6;
        }
        expectClose(h.readF32(db.ptr, cols), ref, tol, `biasBackward ${rows}x${cols}`);
        // Each column is summed in row order in f32, whichever block (16, 4 or 1 wide) holds it.
        const sequential = Float32Array.from(db.data);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < cols; j++) sequential[j] = Math.fround(sequential[j] + dz.data[r * cols + j]);
        expectSameBits(h.readF32(db.ptr, cols), sequential, `biasBackward ${rows}x${cols} in row order`);
        // accumulate = 0: the sums alone, whatever db held (the bits of accumulating onto zeros).
        const assigned = h.randomF32(cols, rng),
          zeros = h.allocF32(cols);
        h.k.biasBackward(assigned.ptr, dz.ptr, rows, cols, 0);
        h.k.biasBackward(zeros, dz.ptr, rows, cols, 1);
        expectSameBits(h.readF32(assigned.ptr, cols), h.readF32(zeros, cols), `biasBackward ${rows}x${cols} assign`);
        h.reset();
      }
    },
  );

  describe('in place gives the same bits as out of place', () => {
    const cases = (['leakyRelu', 'sigmoid', 'tanh'] as const).map((name) => [name, fwdOf(ACT[name], 0.3)] as const);
    it.each(cases)('%s forward with out == inp', (_name, fwd) => {
      for (const n of SIZES) {
        const x = randomF32(n, mulberry32(n + 11), -5, 5);
        const inp = h.putF32(x),
          out = h.allocF32(n);
        fwd(out, inp, n);
        fwd(inp, inp, n);
        expectSameBits(h.readF32(inp, n), h.readF32(out, n), `n=${n}`);
        h.reset();
      }
    });

    const bcases = (['relu', 'leakyRelu', 'sigmoid', 'tanh'] as const).map(
      (name) => [name, bwdOf(ACT[name], 0.3)] as const,
    );
    it.each(bcases)('%s backward with dinp == dout', (_name, bwd) => {
      for (const n of SIZES) {
        const rng = mulberry32(n + 13);
        const y = h.randomF32(n, rng, -1, 1),
          g = h.randomF32(n, rng, -2, 2);
        const dinp = h.allocF32(n);
        bwd(dinp, g.ptr, y.ptr, n);
        bwd(g.ptr, g.ptr, y.ptr, n);
        expectSameBits(h.readF32(g.ptr, n), h.readF32(dinp, n), `n=${n}`);
        h.reset();
      }
    });
  });
});
