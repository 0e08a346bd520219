// Activations, forward and backward, over n contiguous floats. Forward may run in place
// (out == inp). Backward takes the forward *output*: each derivative here is a function of it,
// so the pre-activations need not be kept. Also the conv2dTranspose bias with its activation
// (by code, simd.ts ACTIVATION_*), and the bias gradient.
import { ACTIVATION_LEAKY_RELU, ACTIVATION_RELU, ACTIVATION_SIGMOID, ACTIVATION_TANH, loadPartial, storePartial,
  vactivate } from './simd';

// One kernel per activation and direction, each its own loop from the two templates below (one
// kernel that took the activation's code and held all four loops measured slower for sigmoid in
// V8, with the same loop code). Forward: the quantized model runs these after its integer
// GEMM (relu it applies as it stores). Backward (dinp = dout ⊙ act'(·), from the forward output
// `out`: relu out > 0; leaky relu 1 where out > 0, else alpha, for alpha ≥ 0; sigmoid out(1 - out);
// tanh 1 - out²): the engine's, after each layer's output gradient. dinp may equal dout.
export function leakyReluForward(out: usize, inp: usize, n: i32, alpha: f32): void {
  mapForward(out, inp, n, ACTIVATION_LEAKY_RELU, f32x4.splat(alpha));
}

export function sigmoidForward(out: usize, inp: usize, n: i32): void {
  mapForward(out, inp, n, ACTIVATION_SIGMOID, f32x4.splat(0));
}

export function tanhForward(out: usize, inp: usize, n: i32): void {
  mapForward(out, inp, n, ACTIVATION_TANH, f32x4.splat(0));
}

export function reluBackward(dinp: usize, dout: usize, out: usize, n: i32): void {
  mapBackward(dinp, dout, out, n, ACTIVATION_RELU, f32x4.splat(0));
}

export function leakyReluBackward(dinp: usize, dout: usize, out: usize, n: i32, alpha: f32): void {
  mapBackward(dinp, dout, out, n, ACTIVATION_LEAKY_RELU, f32x4.splat(alpha));
}

export function sigmoidBackward(dinp: usize, dout: usize, out: usize, n: i32): void {
  mapBackward(dinp, dout, out, n, ACTIVATION_SIGMOID, f32x4.splat(0));
}

export function tanhBackward(dinp: usize, dout: usize, out: usize, n: i32): void {
  mapBackward(dinp, dout, out, n, ACTIVATION_TANH, f32x4.splat(0));
}

// out = act(inp) in place or not; `kind` a constant where inlined, so vactivate folds to one
// activation's code. With a variable kind (activateRows) it branches per vector.
// @ts-ignore: decorator
@inline function mapForward(out: usize, inp: usize, n: i32, kind: i32, a: v128): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vactivate(v128.load(inp + o), kind, a));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(out + o, vactivate(loadPartial(inp + o, n - i), kind, a), n - i);
  }
}

// act(x) in place over n floats, act by its code: gemmNN's activation over each block of rows it
// has just stored (the same vactivate as the kernels above, so the same bits).
export function activateRows(ptr: usize, n: i32, kind: i32, alpha: f32): void {
  mapForward(ptr, ptr, n, kind, f32x4.splat(alpha));
}

// @ts-ignore: decorator
@inline function mapBackward(dinp: usize, dout: usize, out: usize, n: i32, kind: i32, a: v128): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, vgrad(v128.load(dout + o), v128.load(out + o), kind, a));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(dinp + o, vgrad(loadPartial(dout + o, n - i), loadPartial(out + o, n - i), kind, a), n - i);
  }
}

// g ⊙ act'(·) from the output y.
// @ts-ignore: decorator
@inline function vgrad(g: v128, y: v128, kind: i32, a: v128): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  if (kind == ACTIVATION_RELU) return v128.and(g, f32x4.gt(y, zero));
  if (kind == ACTIVATION_LEAKY_RELU) return f32x4.mul(g, v128.bitselect(one, a, f32x4.gt(y, zero)));
  if (kind == ACTIVATION_SIGMOID) return f32x4.mul(g, f32x4.mul(y, f32x4.sub(one, y)));
  if (kind == ACTIVATION_TANH) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)));
  return g;
}

// out[r][c] = act(out[r][c] + bias[c]) in place, act by code: the same vector functions as the
// kernels above, so this gives the bits of adding the bias and then calling one of them. A conv2dTranspose output is col2im'd onto
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
