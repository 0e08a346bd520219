// Compiles the AssemblyScript kernels into every build listed in asconfig.json's targets. asc runs
// with --pedantic (asconfig.json), and any warning it prints fails the build: the kernels are
// outside Biome's reach (see biome.jsonc), so asc is their linter.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8'));
const asc = fileURLToPath(new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url));
for (const target of Object.keys(config.targets)) {
  const run = spawnSync(process.execPath, [asc, ...config.entries, '--config', 'asconfig.json', '--target', target], {
    cwd: root,
    encoding: 'utf8',
  });
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  if (run.status !== 0) process.exit(run.status ?? 1);
  if (/\bWARNING\b/.test(run.stdout + run.stderr)) {
    console.error(`build-wasm: asc warned while building ${target} (above); the kernels must build without warnings`);
    process.exit(1);
  }
  console.log(`built ${config.targets[target].outFile}`);
}
