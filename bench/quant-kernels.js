// The int8 GEMM against the float one on the shapes of the dense reference model and the conv
// model (1,000 images; conv: 16 images), each the minimum of 40 interleaved runs:
// `node --experimental-wasm-relaxed-simd bench/quant-kernels.js`. Also the cost of quantizing the
// GEMM's input rows (quantizeRows), which a layer pays before its integer GEMM.
import { readFileSync } from 'node:fs';
import { supportsRelaxedSimd } from '../dist/entries/index.js';

for (const build of supportsRelaxedSimd() ? ['simd', 'relaxed'] : ['simd']) {
  const module = new WebAssembly.Module(readFileSync(new URL(`../build/kernels-${build}.wasm`, import.meta.url)));
  const memory = new WebAssembly.Memory({ initial: 2000 });
  const k = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort() {
        throw new Error('abort');
      },
    },
  }).exports;
  const f32 = new Float32Array(memory.buffer);
  let top = k.heapBase() + (1 << 16);
  const alloc = (bytes) => {
    const p = Math.ceil(top / 64) * 64;
    top = p + bytes;
    return p;
  };
  const rows = [];
  for (const [M, K, N] of [
    [1000, 784, 64],
    [1000, 64, 784],
    [3136, 144, 32],
    [3136, 32, 144],
    [12544, 16, 9],
    [12544, 10, 16],
  ]) {
    const a = alloc(4 * M * K),
      w = alloc(4 * K * N),
      bias = alloc(4 * (N + 8)),
      out = alloc(4 * M * N);
    for (let i = 0; i < M * K; i++) f32[(a >> 2) + i] = ((i * 37) % 101) / 101;
    for (let i = 0; i < K * N; i++) f32[(w >> 2) + i] = ((i * 53) % 97) / 97 - 0.5;
    const Kp = K + (K & 1),
      Np = Math.ceil(N / 8) * 8;
    const q = alloc(2 * M * Kp),
      scales = alloc(4 * M),
      wq = alloc(Kp * Np),
      ws = alloc(4 * Np);
    const t = { float: Infinity, int8: Infinity, quantize: Infinity };
    const time = (key, fn) => {
      const t0 = performance.now();
      fn();
      t[key] = Math.min(t[key], performance.now() - t0);
    };
    for (let r = 0; r < 40; r++) {
      time('float', () => k.gemmNN(out, a, w, bias, M, K, N, 1));
      time('quantize', () => k.quantizeRows(q, Kp, scales, a, M, K, 32767));
      time('int8', () => k.qgemm(out, q, scales, 1, wq, ws, bias, M, Kp, N, 1));
    }
    rows.push({
      build,
      shape: `${M}×${K}×${N}`,
      'float ms': t.float.toFixed(3),
      'int8 ms': t.int8.toFixed(3),
      'int8 ×': (t.float / t.int8).toFixed(2),
      'quantizeRows ms': t.quantize.toFixed(3),
    });
  }
  console.table(rows);
}
