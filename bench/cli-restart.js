// What the CLI's relaxed-SIMD restart (src/cli/relaxed.ts) costs a short command on Node 20/21, and
// what it gains on a training run: the same commands with the restart (relaxed kernels) and with
// WASM_AUTOENCODER_NO_RELAXED=1 (plain SIMD, one process), interleaved, wall time per run.
//   node bench/cli-restart.js [--runs 15]   (after npm run build)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/entries/cli.js', import.meta.url));
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 15;
const dir = mkdtempSync(join(tmpdir(), 'wae-cli-restart-'));

function time(args, env) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

try {
  execFileSync(process.execPath, [CLI, 'train', '--limit', '1000', '--threads', '1', '--out', 'm.wae'], {
    cwd: dir,
    stdio: 'ignore',
  });
  const jobs = {
    'anomaly, 100 images (short)': [
      'anomaly',
      '--model',
      'm.wae',
      '--limit',
      '100',
      '--threads',
      '1',
      '--out',
      'a.csv',
    ],
    'train, 20,000 images, 3 epochs': [
      'train',
      '--limit',
      '20000',
      '--epochs',
      '3',
      '--threads',
      '1',
      '--out',
      't.wae',
    ],
  };
  for (const [name, args] of Object.entries(jobs)) {
    const restart = [],
      plain = [];
    for (let i = 0; i < RUNS; i++) {
      restart.push(time(args, {}));
      plain.push(time(args, { WASM_AUTOENCODER_NO_RELAXED: '1' }));
    }
    const [a, b] = [median(restart), median(plain)];
    console.log(
      `${name}: restart + relaxed ${a.toFixed(0)} ms, one process + simd ${b.toFixed(0)} ms (medians of ${RUNS}); ratio ${(a / b).toFixed(3)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
