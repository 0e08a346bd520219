// `node bench/all-finite.js`: the cost of the non-finite weight guard. Every training step runs
// the allFinite kernel over each thread's freshly updated slice of the parameters; this times it
// over the reference model's whole parameter vector (one thread's share at one thread), to set
// beside that step's time in docs/benchmarks.md.
import { loadKernels, instantiateKernels } from '../dist/runtime/wasm.js';
import { REFERENCE } from './reference.js';

const { module } = await loadKernels({ build: 'simd', shared: false });
const memory = new WebAssembly.Memory({ initial: 64 });
const k = instantiateKernels(module, memory);
const widths = [784, ...REFERENCE.encoder, REFERENCE.latent, ...REFERENCE.decoder, 784];
let P = 0;
for (let l = 1; l < widths.length; l++)
  P += Math.ceil((widths[l - 1] * widths[l]) / 4) * 4 + Math.ceil(widths[l] / 4) * 4;
const at = 1 << 16;
new Float32Array(memory.buffer, at, P).fill(0.5);
for (let i = 0; i < 2000; i++) k.allFinite(at, P);
const micros = [];
for (let r = 0; r < 15; r++) {
  const t = performance.now();
  for (let i = 0; i < 1000; i++) k.allFinite(at, P);
  micros.push(performance.now() - t); // ms per 1,000 calls = µs per call
}
micros.sort((a, b) => a - b);
console.log(
  `allFinite over ${P} floats (the reference model's parameters): median of 15 × 1,000 calls ${micros[7].toFixed(1)} µs per call`,
);
