// The package as a stranger gets it: `npm pack` of this repository (as built: `npm run build`
// first), unpacked into node_modules/wasm-autoencoder of an empty folder, and README.md's first
// example. No network: the package's dependencies are linked from this repository's
// node_modules (the folder npm ci filled), where `npm install <tarball>` would download them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
/** The vite CLI a user's project would run (this repository's devDependency). */
export const viteCli = join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');

export interface Installed {
  /** The empty folder the package was installed into (remove it when done). */
  dir: string;
  /** The tarball's file names, as npm pack listed them. */
  files: string[];
}

/** Packs the repository and installs the tarball into a new empty folder. */
export function packAndInstall(): Installed {
  for (const built of ['dist/entries/index.js', 'build/kernels-simd.wasm']) {
    if (!existsSync(join(repoRoot, built)))
      throw new Error(`${built} is missing: run npm run build first (npm test does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'wasm-autoencoder-pack-'));
  // --ignore-scripts: 'prepare' would rebuild what npm test has just built.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, packed[0].filename);
  const app = join(dir, 'app');
  const target = join(app, 'node_modules', 'wasm-autoencoder');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const from = join(repoRoot, 'node_modules', name);
    if (!existsSync(from))
      throw new Error(`dependency ${name} is not in ${join(repoRoot, 'node_modules')}: run npm ci`);
    mkdirSync(join(app, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(realpathSync(from), join(app, 'node_modules', name), 'dir');
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'stranger-app', private: true, type: 'module' }, null, 2),
  );
  return { dir, files: packed[0].files.map((f) => f.path) };
}

/** README.md's first ```js (or ```ts) block under its first "## Quick start"/"## Install"/
 *  "## Getting started"/"## Usage" heading: the example a reader of the npm page meets first. */
export function readmeExample(): { code: string; lang: 'js' | 'ts' } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const heading = /^## (quick start|install(ation)?|getting started|usage)\b.*$/im.exec(readme);
  if (!heading) throw new Error('README.md has no "## Quick start" (or Install, Getting started, Usage) heading');
  const block = /^```(js|javascript|ts|typescript)\s*\n([\s\S]*?)^```/m.exec(readme.slice(heading.index));
  if (!block) throw new Error(`README.md has no js or ts code block after "${heading[0]}"`);
  return { code: block[2], lang: block[1].startsWith('t') ? 'ts' : 'js' };
}

/** The example as JavaScript (a ts block's types removed by TypeScript, nothing else changed). */
export async function exampleAsJs(): Promise<string> {
  const { code, lang } = readmeExample();
  if (lang === 'js') return code;
  const ts = (await import('typescript')).default;
  return ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
    .outputText;
}

/** The reconstruction MSE the example prints: the number after "MSE" on its output. */
export function printedMse(output: string): number {
  const m = /MSE\D{0,20}?(\d+(?:\.\d+)?(?:e-?\d+)?)/i.exec(output);
  if (!m) throw new Error(`the example printed no MSE: ${JSON.stringify(output.slice(0, 2000))}`);
  return Number(m[1]);
}

/** Largest MSE the example may print: well below what predicting each pixel's mean over the
 *  example's images gives (their mean per-pixel variance), so a model that learnt nothing fails.
 *  Set for the README's 500 bars; a rewritten example with harder images may need its own. */
export const MAX_EXAMPLE_MSE = 0.03;

/** A stranger's smallest Vite app around the example: index.html and main.js, no vite config. */
export async function writeViteApp(app: string): Promise<void> {
  writeFileSync(join(app, 'main.js'), await exampleAsJs());
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html>\n<html><head><meta charset="utf-8"><title>example</title><link rel="icon" href="data:,"></head>\n' +
      '<body><script type="module" src="./main.js"></script></body></html>\n',
  );
}

/** `vite build` in `app`, as its user runs it: exit status and everything it printed. */
export function viteBuild(app: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [viteCli, 'build'], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Lines of Vite's output that are warnings (or errors): anything but its progress and file list. */
export function viteWarnings(output: string): string[] {
  return output.split('\n').filter((line) => /warn|\(!\)|error|externalized|missing source|sourcemap/i.test(line));
}
