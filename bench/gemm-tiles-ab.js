// `node bench/gemm-tiles-ab.js [rounds] [simd|relaxed]`: is it worth keeping gemm.ts's NN and TN
// tiles written out separately? Compiles bench/gemm-tiles-ab/merged.ts (the same two products
// over one shared set of tiles: the a-pointer step and the accumulators' start as arguments)
// and times it against build/kernels-<build>.wasm (npm run build first) on the reference model's
// GEMM shapes at batch 256, interleaved in one process: per round, each shape runs A then B (or
// B then A, alternating) for ~20 ms each. Prints, per shape and overall, merged ÷ separate time
// (ratio of the medians and of the minimums over rounds; > 1 means the shared tiles are slower). Also checks that both
// give the same bits. The relaxed build needs node --experimental-wasm-relaxed-simd.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gemmShapes } from './core.js';

const rounds = Number(process.argv[2] ?? 15);
const build = process.argv[3] ?? 'simd';
const root = fileURLToPath(new URL('..', import.meta.url));
const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
const dir = mkdtempSync(join(tmpdir(), 'gemm-ab-'));
const outFile = join(dir, 'merged.wasm');
copyFileSync(join(root, 'bench/gemm-tiles-ab/merged.as'), join(dir, 'merged.ts'));
copyFileSync(join(root, 'assembly/simd.ts'), join(dir, 'simd.ts'));
execFileSync(
  process.execPath,
  [
    asc,
    join(dir, 'merged.ts'),
    '--outFile',
    outFile,
    '--runtime',
    'stub',
    '--importMemory',
    '--noExportMemory',
    '--initialMemory',
    '1',
    '--optimizeLevel',
    '3',
    '--shrinkLevel',
    '0',
    '--noAssert',
    '--enable',
    build === 'relaxed' ? 'simd,relaxed-simd' : 'simd',
  ],
  { cwd: root, stdio: 'inherit' },
);
const merged = readFileSync(outFile);
rmSync(dir, { recursive: true });
const separate = readFileSync(join(root, `build/kernels-${build}.wasm`));

function instance(bytes) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  const base = Math.ceil(k.heapBase() / 64) * 64,
    slot = 4 << 20;
  memory.grow(Math.ceil((base + 4 * slot) / 65536));
  const f32 = new Float32Array(memory.buffer);
  let s = 1;
  for (let i = base / 4; i < (base + 3 * slot) / 4; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    f32[i] = (s >>> 8) / 2 ** 24 - 0.5;
  }
  return { k, f32, a: base, b: base + slot, bias: base + 2 * slot, c: base + 3 * slot };
}
const A = instance(merged),
  B = instance(separate);
const shapes = gemmShapes().filter((s) => s.kind !== 'NT'); // NT is transpose + NN: the NN tiles again
const call = (x, s) =>
  s.kind === 'NN'
    ? x.k.gemmNN(x.c, x.a, x.b, x.bias, s.M, s.K, s.N, 1, 0)
    : x.k.gemmTN(x.c, x.a, x.b, s.M, s.K, s.N, 0);

for (const s of shapes) {
  call(A, s);
  call(B, s);
  const n = s.M * s.N;
  const got = new Uint32Array(A.f32.buffer, A.c, n),
    want = new Uint32Array(B.f32.buffer, B.c, n);
  for (let i = 0; i < n; i++)
    if (got[i] !== want[i]) throw new Error(`${s.kind} ${s.label}: merged and separate tiles differ at ${i}`);
}

function time(x, s, reps) {
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) call(x, s);
  return (performance.now() - t0) / reps;
}
const reps = shapes.map((s) => {
  for (let w = 0; w < 20; w++) {
    call(A, s);
    call(B, s);
  }
  return Math.max(1, Math.round(20 / time(B, s, 5)));
});
const times = shapes.map(() => ({ A: [], B: [] }));
for (let r = 0; r < rounds; r++) {
  shapes.forEach((s, i) => {
    const t = times[i];
    if (r % 2) {
      t.B.push(time(B, s, reps[i]));
      t.A.push(time(A, s, reps[i]));
    } else {
      t.A.push(time(A, s, reps[i]));
      t.B.push(time(B, s, reps[i]));
    }
  });
}
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const geo = (xs) => Math.exp(xs.reduce((t, x) => t + Math.log(x), 0) / xs.length);
const byMedian = [],
  byMin = [];
shapes.forEach((s, i) => {
  const { A: a, B: b } = times[i];
  byMedian.push(median(a) / median(b));
  byMin.push(Math.min(...a) / Math.min(...b));
  console.log(
    `${build} ${s.kind} ${s.label}: merged ÷ separate time, medians ${byMedian[i].toFixed(3)}, minimums ${byMin[i].toFixed(3)}`,
  );
});
console.log(
  `${build}, ${rounds} rounds, same bits: merged ÷ separate time over ${shapes.length} shapes (geometric mean): medians ${geo(byMedian).toFixed(3)}, minimums ${geo(byMin).toFixed(3)}`,
);
