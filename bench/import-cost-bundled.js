// `node bench/import-cost-bundled.js` (after `npm run build`): what bundling the Node build would
// save at import. It bundles the main entry and the worker body with rolldown (Vite 8's bundler,
// in node_modules through vite; '#platform' resolved with the 'node' condition, node: modules and
// packages left as imports) into dist/bench-bundled-node/ (the same depth as dist/entries/, so the
// kernels' relative URLs hold; removed at the end), checks the bundle trains with two threads,
// then runs bench/import-cost.js on both entries, interleaved.
//
// Not shipped: bundling "." alone would give Node two copies of the model code (the subpath
// entries import dist/model/ unbundled), and `toOnnx(ae)`/`toTfjs(ae)` check `instanceof
// Autoencoder`; a shipped bundle must take every Node entry in one build (shared chunks).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rolldown } from 'rolldown';

const out = 'dist/bench-bundled-node';
try {
  const bundle = await rolldown({
    input: { index: 'dist/entries/index.js', worker: 'dist/parallel/worker.js' },
    platform: 'node',
    resolve: { conditionNames: ['node', 'import', 'default'] },
    external: [/^node:/, /^[a-z@]/],
    logLevel: 'warn',
  });
  const { output } = await bundle.write({ dir: out, format: 'esm', chunkFileNames: 'shared-[hash].js' });
  console.log(`bundled: ${output.map((o) => o.fileName).join(', ')}`);
  const check = `const m = await import('./${out}/index.js');
    const ae = await m.Autoencoder.create({ encoder: [32], latent: 8, seed: 1, threads: 2 });
    await ae.fit(new Uint8Array(784 * 256).fill(7), { epochs: 1, batchSize: 128 });
    console.log('bundle trains: ' + JSON.stringify(ae.backend)); await ae.dispose();`;
  process.stdout.write(execFileSync(process.execPath, ['--input-type=module', '-e', check], { encoding: 'utf8' }));
  process.stdout.write(
    execFileSync(process.execPath, ['bench/import-cost.js', 'dist/entries/index.js', `${out}/index.js`], {
      encoding: 'utf8',
    }),
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
