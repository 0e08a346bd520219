// The platform modules (src/platform/): package.json's "imports" map picks the right one for each
// runtime's conditions, every variant exports the same names, and the web variant has no files.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as deno from '../../src/platform/deno.js';
import * as node from '../../src/platform/node.js';
import * as web from '../../src/platform/web.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  imports: Record<string, Record<string, string>>;
};

/** Node's resolution of a conditional target: the first key, in the map's order, that is set. */
function resolveImport(specifier: string, conditions: string[]): string | undefined {
  const targets = manifest.imports[specifier];
  const key = Object.keys(targets).find((k) => k === 'default' || conditions.includes(k));
  return key === undefined ? undefined : targets[key];
}

/** How many of a chain of 1000 microtasks ran before `yieldTo` resolved: all of them when it
 *  yields to the event loop (a task), only a few when it is a microtask itself. */
async function microtasksBefore(yieldTo: () => Promise<void>): Promise<number> {
  let n = 0;
  const step = (): void => {
    if (++n < 1000) queueMicrotask(step);
  };
  queueMicrotask(step);
  await yieldTo();
  return n;
}

describe('#platform', () => {
  it.each([
    ['Node', ['node', 'import'], 'node'],
    ['Bun', ['bun', 'node', 'import'], 'node'],
    ['Deno', ['deno', 'node', 'import'], 'deno'],
    ['Vite and other bundlers for pages', ['browser', 'import', 'module', 'production'], 'web'],
    ['a tool that sets both browser and node', ['browser', 'node', 'import'], 'web'],
    ['wrangler (workerd)', ['workerd', 'worker', 'browser', 'import'], 'web'],
    ['a runtime with no known condition', ['import'], 'web'],
  ])('resolves to the right variant for %s', (_, conditions, variant) => {
    expect(resolveImport('#platform', conditions)).toBe(`./dist/platform/${variant}.js`);
  });

  it('every variant exports the same names, and says which it is', () => {
    const names = Object.keys(node).sort();
    expect(Object.keys(web).sort()).toEqual(names);
    expect(Object.keys(deno).sort()).toEqual(names);
    expect([node.platformName, deno.platformName, web.platformName]).toEqual(['node', 'deno', 'web']);
    expect([node.needsWorkerGlobal, deno.needsWorkerGlobal, web.needsWorkerGlobal]).toEqual([false, true, true]);
  });

  it('web: no file system, with an error naming the function and what needed one', async () => {
    await expect(web.fileSystem('Autoencoder.saveTo', 'a file path')).rejects.toThrow(
      /^Autoencoder\.saveTo: a file path needs a file system.*'indexeddb:\/\/name'/,
    );
    expect(web.fileUrlBytes()).toBeNull();
    expect(web.processId()).toBe(0);
  });

  it("node: a file: URL's bytes, the process id, the cores, a yield past every queued microtask", async () => {
    const url = new URL('../../build/kernels-simd.wasm', import.meta.url);
    expect(Buffer.from(await node.fileUrlBytes(url)).equals(readFileSync(url))).toBe(true);
    expect(node.processId()).toBe(process.pid);
    expect(await node.cores()).toBeGreaterThanOrEqual(1);
    expect(await microtasksBefore(node.yieldToEventLoop)).toBe(1000);
  });

  it('web: the yield is a task (a MessageChannel turn), the cores are navigator.hardwareConcurrency', async () => {
    expect(await microtasksBefore(web.yieldToEventLoop)).toBe(1000);
    expect(await microtasksBefore(() => Promise.resolve())).toBeLessThan(10); // what a non-yield gives
    expect(await web.cores()).toBe(globalThis.navigator?.hardwareConcurrency || 1);
  });
});
