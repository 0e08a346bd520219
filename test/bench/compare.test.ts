// `npm run bench:compare -- --quick` runs end to end (against the built package in dist/) and
// prints the comparison tables (the dense model, then the conv model) naming every engine. It is
// started as a user of a source checkout would, through the built command line's `bench --quick`
// (which runs bench/compare.js under --experimental-wasm-relaxed-simd), so the CLI's bench command
// is tested on real MNIST too. No speed figure is asserted: CI machines vary.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runQuickCompare(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/entries/cli.js', 'bench', '--quick'],
      { cwd: root, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('wasm-autoencoder bench --quick (bench:compare --quick)', () => {
  it('exits 0 and prints a table row for every engine', async () => {
    const { code, stdout, stderr } = await runQuickCompare();
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    const relaxedSkipped = /relaxed SIMD is not available/.test(stdout);
    const engines = [
      'wasm-autoencoder:simd:1t',
      'wasm-autoencoder:simd:2t',
      ...(relaxedSkipped ? [] : ['wasm-autoencoder:relaxed:1t', 'wasm-autoencoder:relaxed:2t']),
      'tfjs:wasm',
      'tfjs:cpu',
    ];
    // console.table rows: │ index │ 'engine id' │ …
    const tableRows = stdout.split('\n').filter((line) => line.startsWith('│'));
    for (const id of engines) {
      expect(
        tableRows.some((line) => line.includes(`'${id}'`)),
        `no table row for ${id} in:\n${stdout}`,
      ).toBe(true);
    }
    expect(stdout).toMatch(/train samples\/s/);
    expect(stdout).toMatch(/inference images\/s/);

    // The conv comparison follows, with its own table: a row per engine that either trained
    // (a number) or says it cannot; an engine that cannot train says why.
    const convAt = stdout.indexOf('Conv model (conv2d');
    expect(convAt, `no conv table in:\n${stdout}`).toBeGreaterThan(-1);
    const convRows = stdout
      .slice(convAt)
      .split('\n')
      .filter((line) => line.startsWith('│'));
    const convEngines = [
      'wasm-autoencoder:simd:1t',
      'wasm-autoencoder:simd:2t',
      ...(relaxedSkipped ? [] : ['wasm-autoencoder:relaxed:1t']),
      'tfjs:wasm',
      'tfjs:cpu',
    ];
    for (const id of convEngines) {
      const row = convRows.find((line) => line.includes(`'${id}'`));
      expect(row, `no conv table row for ${id} in:\n${stdout}`).toBeDefined();
      const trainCell = row!.split('│')[4].trim(); // │ index │ engine │ threads │ train samples/s │ …
      expect(trainCell).toMatch(/^'(cannot train|[\d,.]+)'$/);
      if (row!.includes('cannot train')) expect(stdout).toContain(`${id} cannot train the conv model: `);
    }
  }, 240_000);
});
