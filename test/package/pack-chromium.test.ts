// Done-when of issue 11, the browser half (npm run test:runtimes: it needs Debian's Chromium):
// the packed tarball installed in an empty folder, README.md's first example as a tiny Vite app's
// main.js, run in Chromium twice: bundled by `vite build` (no warning) and served with COOP/COEP
// (cross-origin isolated: worker threads), and through the Vite dev server as a stranger starts it
// (no config: one thread), which must log no warning (source maps pointing to missing sources
// were one). Each page must print the example's MSE, as Node does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createLogger, createServer, type ViteDevServer } from 'vite';
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

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

let installed: Installed;
let app: string;
let context: BrowserContext;
let userDataDir: string;
let nodeMse: number;
let setupError: unknown = null;

beforeAll(async () => {
  try {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: apt-get install -y chromium (Playwright never downloads a browser here)`,
      );
    installed = packAndInstall();
    app = join(installed.dir, 'app');
    await writeViteApp(app);
    writeFileSync(join(app, 'example.mjs'), await exampleAsJs());
    const run = spawnSync(process.execPath, ['example.mjs'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`the example failed in Node: ${run.stderr}`);
    nodeMse = printedMse(run.stdout);
    userDataDir = mkdtempSync(join(tmpdir(), 'wasm-autoencoder-pack-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
  } catch (error) {
    setupError = error;
  }
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (installed) rmSync(installed.dir, { recursive: true, force: true });
});

function ready(): void {
  if (setupError !== null) throw setupError;
}

/** Opens `url` and waits for the example's MSE line; page errors and console errors fail it. */
async function runPage(url: string): Promise<{ mse: number; logs: string[]; isolated: boolean; requests: string[] }> {
  const page = await context.newPage();
  const logs: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => {
    requests.push(r.url());
  });
  const errors: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  try {
    await page.goto(url);
    const deadline = Date.now() + 120_000;
    while (!logs.some((l) => /MSE/i.test(l)) && errors.length === 0 && Date.now() < deadline)
      await page.waitForTimeout(100);
    expect(errors).toEqual([]);
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    return { mse: printedMse(logs.join('\n')), logs, isolated, requests };
  } finally {
    await page.close();
  }
}

/** A static server for the built app, cross-origin isolated as a page that wants threads must be. */
async function serveStatic(root: string): Promise<{ server: Server; base: string }> {
  const server = createHttpServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      })
      .end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("README's first example in Chromium, from the packed tarball", () => {
  it("bundled by vite build (no warning), cross-origin isolated: prints an MSE close to Node's", async () => {
    ready();
    const { status, output } = viteBuild(app);
    expect(status, output).toBe(0);
    expect(viteWarnings(output), output).toEqual([]);
    const { server, base } = await serveStatic(join(app, 'dist'));
    try {
      const page = await runPage(`${base}/`);
      expect(page.isolated).toBe(true);
      expect(page.mse).toBeLessThan(MAX_EXAMPLE_MSE);
      // Not the same bits: Chromium may take the relaxed-SIMD build where Node 20 takes plain SIMD.
      expect(Math.abs(page.mse - nodeMse)).toBeLessThan(0.5 * nodeMse + 1e-3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('through the Vite dev server, cross-origin isolated: prints the MSE, and Vite logs no warning', async () => {
    ready();
    const warnings: string[] = [];
    const logger = createLogger('info');
    logger.warn = (msg) => {
      warnings.push(msg);
    };
    logger.warnOnce = (msg) => {
      warnings.push(msg);
    };
    logger.error = (msg) => {
      warnings.push(msg);
    };
    let server: ViteDevServer | null = null;
    try {
      server = await createServer({
        root: app,
        configFile: false,
        customLogger: logger,
        cacheDir: join(app, 'node_modules', '.vite'),
        server: {
          host: '127.0.0.1',
          port: 0,
          strictPort: true,
          hmr: false,
          watch: null,
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
      });
      await server.listen();
      const page = await runPage(`http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/`);
      expect(page.isolated).toBe(true);
      // The worker's modules came from node_modules through the dev server (where maps are read).
      expect(page.requests.some((u) => u.includes('/node_modules/wasm-autoencoder/dist/parallel/worker.js'))).toBe(
        true,
      );
      expect(page.mse).toBeLessThan(MAX_EXAMPLE_MSE);
      expect(Math.abs(page.mse - nodeMse)).toBeLessThan(0.5 * nodeMse + 1e-3);
      expect(warnings).toEqual([]);
    } finally {
      await server?.close();
    }
  });
});
