// Done-when of issue 11, the Node half: `npm pack` → the tarball unpacked into an empty folder →
// README.md's first example runs as written in Node, and `vite build` of a tiny app around the
// same example prints no warning and pulls no `node:` module into the bundle. The browser run of
// that bundle (Chromium) is test/package/pack-chromium.test.ts, in npm run test:runtimes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exampleAsJs,
  MAX_EXAMPLE_MSE,
  packAndInstall,
  printedMse,
  viteBuild,
  viteWarnings,
  writeViteApp,
  type Installed,
} from './helpers.js';

let installed: Installed;
let app: string;
let pkg: string;

beforeAll(() => {
  installed = packAndInstall();
  app = join(installed.dir, 'app');
  pkg = join(app, 'node_modules', 'wasm-autoencoder');
});

afterAll(() => {
  if (installed) rmSync(installed.dir, { recursive: true, force: true });
});

/** Every file a package.json target names (exports, imports), with the conditions that lead to it. */
function targets(map: unknown, path = ''): { path: string; file: string }[] {
  if (typeof map === 'string') return [{ path, file: map }];
  return Object.entries(map as Record<string, unknown>).flatMap(([k, v]) => targets(v, `${path} ${k}`.trim()));
}

describe('the packed package', () => {
  it('holds what its exports and imports name, and no sources, tests or demos', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const named = [
      ...targets(manifest.exports),
      ...targets(manifest.imports),
      { path: 'main', file: manifest.main },
      { path: 'types', file: manifest.types },
    ];
    const missing = named.filter((t) => !existsSync(join(pkg, t.file)));
    expect(missing).toEqual([]);
    // Each entry's declarations beside it (TypeScript finds them there: no "types" conditions).
    for (const t of named.filter((t) => t.file.endsWith('.js')))
      expect(existsSync(join(pkg, t.file.replace(/\.js$/, '.d.ts')))).toBe(true);
    expect(installed.files.filter((f) => /^(src|examples|test|bench|web|assembly)\//.test(f))).toEqual([]);
    expect(installed.files.some((f) => f.startsWith('dist/entries/'))).toBe(true);
  });

  it('ships each source map with its sources inside (inlineSources)', () => {
    const maps = installed.files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(40);
    const without = maps.filter((f) => {
      const map = JSON.parse(readFileSync(join(pkg, f), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      return (
        map.sources.length === 0 ||
        map.sourcesContent?.length !== map.sources.length ||
        map.sourcesContent.some((s) => typeof s !== 'string' || s === '')
      );
    });
    expect(without).toEqual([]);
  });
});

describe("README's first example", () => {
  it('runs as written in Node from the installed tarball', async () => {
    writeFileSync(join(app, 'example.mjs'), await exampleAsJs());
    const run = spawnSync(process.execPath, ['example.mjs'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const mse = printedMse(run.stdout);
    expect(mse).toBeGreaterThanOrEqual(0);
    expect(mse).toBeLessThan(MAX_EXAMPLE_MSE);
  });

  it('bundles with vite build: no warning, no node: module, the kernels and the worker emitted', async () => {
    await writeViteApp(app);
    const { status, output } = viteBuild(app);
    expect(status, output).toBe(0);
    expect(viteWarnings(output), output).toEqual([]);
    const assets = readdirSync(join(app, 'dist', 'assets'));
    expect(assets.filter((f) => f.endsWith('.wasm')).length).toBeGreaterThan(0);
    const js = assets.filter((f) => f.endsWith('.js'));
    expect(js.some((f) => f.startsWith('worker'))).toBe(true);
    const nodeImports = js.filter((f) =>
      /(?:from\s*|import\s*\(\s*|import\s*)["']node:/.test(readFileSync(join(app, 'dist', 'assets', f), 'utf8')),
    );
    expect(nodeImports).toEqual([]);
  });
});
