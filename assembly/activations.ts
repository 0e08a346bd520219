// Activations, forward and backward, over n contiguous floats. Forward may run in place
// (out == inp). Backward takes the forward *output*: each derivative here is a function of it
// (relu: y > 0, leaky relu: y > 0 or alpha with alpha ≥ 0, sigmoid: y(1-y), tanh: 1-y²), so the
// pre-activations need not be kept. dinp may equal dout.
import { loadPartial, storePartial, vactivate, vexp, vleaky, vrelu, vsigmoid, vtanh } from './simd';

export function reluForward(out: usize, inp: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vrelu(v128.load(inp + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(out + o, vrelu(loadPartial(inp + o, n - i)), n - i);
  }
}

export function reluBackward(dinp: usize, dout: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, v128.and(v128.load(dout + o), f32x4.gt(v128.load(out + o), zero)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const g = v128.and(loadPartial(dout + o, n - i), f32x4.gt(loadPartial(out + o, n - i), zero));
    storePartial(dinp + o, g, n - i);
  }
}

export function leakyReluForward(out: usize, inp: usize, n: i32, alpha: f32): void {
  const a = f32x4.splat(alpha);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vleaky(v128.load(inp + o), a));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(out + o, vleaky(loadPartial(inp + o, n - i), a), n - i);
  }
}

export function leakyReluBackward(dinp: usize, dout: usize, out: usize, n: i32, alpha: f32): void {
  const a = f32x4.splat(alpha), one = f32x4.splat(1), zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const slope = v128.bitselect(one, a, f32x4.gt(v128.load(out + o), zero));
    v128.store(dinp + o, f32x4.mul(v128.load(dout + o), slope));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const slope = v128.bitselect(one, a, f32x4.gt(loadPartial(out + o, n - i), zero));
    storePartial(dinp + o, f32x4.mul(loadPartial(dout + o, n - i), slope), n - i);
  }
}

export function sigmoidForward(out: usize, inp: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vsigmoid(v128.load(inp + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(out + o, vsigmoid(loadPartial(inp + o, n - i)), n - i);
  }
}

// @ts-ignore: decorator
@inline function sigmoidGrad(g: v128, y: v128): v128 {
  return f32x4.mul(g, f32x4.mul(y, f32x4.sub(f32x4.splat(1), y)));
}

export function sigmoidBackward(dinp: usize, dout: usize, out: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, sigmoidGrad(v128.load(dout + o), v128.load(out + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(dinp + o, sigmoidGrad(loadPartial(dout + o, n - i), loadPartial(out + o, n - i)), n - i);
  }
}

export function tanhForward(out: usize, inp: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vtanh(v128.load(inp + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(out + o, vtanh(loadPartial(inp + o, n - i)), n - i);
  }
}

// @ts-ignore: decorator
@inline function tanhGrad(g: v128, y: v128): v128 {
  return f32x4.mul(g, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)));
}

export function tanhBackward(dinp: usize, dout: usize, out: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, tanhGrad(v128.load(dout + o), v128.load(out + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(dinp + o, tanhGrad(loadPartial(dout + o, n - i), loadPartial(out + o, n - i)), n - i);
  }
}

// out[r][c] = act(out[r][c] + bias[c]) in place, act by code (0 linear, 1 relu, 2 leaky relu,
// 3 sigmoid, 4 tanh): the same vector functions as the activations above, so this gives the bits
// of adding the bias and then calling one of them. A conv2dTranspose output is col2im'd onto
// zeros and finished by this one pass, instead of a bias broadcast before and an activation after.
export function biasActivation(out: usize, bias: usize, rows: i32, cols: i32, kind: i32, alpha: f32): void {
  const a = f32x4.splat(alpha);
  if (cols == 1) {
    // One channel: the rows are contiguous, one bias for all.
    const b = v128.load32_splat(bias);
    const n4 = rows & ~3;
    let i = 0;
    for (; i < n4; i += 4) {
      const o = out + (<usize>i << 2);
      v128.store(o, vactivate(f32x4.add(v128.load(o), b), kind, a));
    }
    if (i < rows) {
      const o = out + (<usize>i << 2);
      storePartial(o, vactivate(f32x4.add(loadPartial(o, rows - i), b), kind, a), rows - i);
    }
    return;
  }
  const c4 = cols & ~3;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = out + <usize>r * rowBytes;
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, vactivate(f32x4.add(v128.load(row + o), v128.load(bias + o)), kind, a));
    }
    if (j < cols) {
      const o = <usize>j << 2;
      storePartial(row + o, vactivate(f32x4.add(loadPartial(row + o, cols - j), loadPartial(bias + o, cols - j)), kind, a), cols - j);
    }
  }
}

// e^x element-wise; exported so the tests can measure the approximation's error.
export function expForward(out: usize, inp: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vexp(v128.load(inp + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(out + o, vexp(loadPartial(inp + o, n - i)), n - i);
  }
}

// Bias gradient: db[j] += Σ_rows dz[r][j] when `accumulate`, else db[j] = Σ_rows dz[r][j] (the
// bits of zeroing db first), each column summed in row order. Blocks of 16 columns
// keep four accumulators, so one pass over the rows serves 16 columns (conv layers sum over
// every output position: 12,544 rows of 16 channels for a chunk of the MNIST model).
export function biasBackward(db: usize, dz: usize, rows: i32, cols: i32, accumulate: i32): void {
  const c16 = cols & ~15, c4 = cols & ~3;
  const rowBytes = <usize>cols << 2;
  let j = 0;
  for (; j < c16; j += 16) {
    const o = <usize>j << 2;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    if (accumulate) { a0 = v128.load(db + o); a1 = v128.load(db + o, 16); a2 = v128.load(db + o, 32); a3 = v128.load(db + o, 48); }
    let p = dz + o;
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32)); a3 = f32x4.add(a3, v128.load(p, 48));
      p += rowBytes;
    }
    v128.store(db + o, a0); v128.store(db + o, a1, 16); v128.store(db + o, a2, 32); v128.store(db + o, a3, 48);
  }
  for (; j < c4; j += 4) {
    const o = <usize>j << 2;
    let acc = accumulate ? v128.load(db + o) : f32x4.splat(0);
    let p = dz + o;
    for (let r = 0; r < rows; r++) { acc = f32x4.add(acc, v128.load(p)); p += rowBytes; }
    v128.store(db + o, acc);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    let acc: f32 = accumulate ? load<f32>(db + o) : 0;
    let p = dz + o;
    for (let r = 0; r < rows; r++) { acc += load<f32>(p); p += rowBytes; }
    store<f32>(db + o, acc);
  }
}
