// Compiles the AssemblyScript kernels into every build listed in asconfig.json's targets.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8'));
const asc = fileURLToPath(new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url));
for (const target of Object.keys(config.targets)) {
  execFileSync(process.execPath, [asc, ...config.entries, '--config', 'asconfig.json', '--target', target],
    { cwd: root, stdio: 'inherit' });
  console.log(`built ${config.targets[target].outFile}`);
}
