// `npm run bench:compare -- --quick` runs end to end (against the built package in dist/) and
// prints the comparison table naming every engine. No speed figure is asserted: CI machines vary.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runQuickCompare(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--experimental-wasm-relaxed-simd', 'bench/compare.js', '--quick'],
      { cwd: root, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

describe('bench:compare --quick', () => {
  it('exits 0 and prints a table row for every engine', async () => {
    const { code, stdout, stderr } = await runQuickCompare();
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    const relaxedSkipped = /relaxed SIMD is not available/.test(stdout);
    const engines = [
      'wasm-autoencoder:simd:1t', 'wasm-autoencoder:simd:2t',
      ...(relaxedSkipped ? [] : ['wasm-autoencoder:relaxed:1t', 'wasm-autoencoder:relaxed:2t']),
      'tfjs:wasm', 'tfjs:cpu',
    ];
    // console.table rows: │ index │ 'engine id' │ …
    const tableRows = stdout.split('\n').filter((line) => line.startsWith('│'));
    for (const id of engines) {
      expect(tableRows.some((line) => line.includes(`'${id}'`)), `no table row for ${id} in:\n${stdout}`).toBe(true);
    }
    expect(stdout).toMatch(/train samples\/s/);
    expect(stdout).toMatch(/inference images\/s/);
  }, 240_000);
});
