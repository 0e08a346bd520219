// Target `cli-file`: readImages(path), the command line's reader of an --images file
// (src/cli/images.ts): PNG, JPEG or IDX (plain or gzipped) told apart by content, IDX dims
// checked as u8 [n, h, w] or [n, h, w, c]. The bytes are written to a temporary file; the ops are
// those of the `idx` and `image` targets. Errors are CliErrors whose message starts with the path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readImages } from '../../dist/cli/images.js';
import { buildPlan, planArb } from '../mutate.js';
import { accepted, judgeThrown, wrong, sameBytes } from '../oracle.js';
import { idxSeeds, idxFormat, idxDocOp, IDX_FIELDS } from './idx.js';
import { imageSeeds, imageFormat, pngOp, jpegOp } from './image.js';

const FORMAT = {
  parse: (bytes, seed) =>
    seed.kind === 'idx' ? { ...idxFormat.parse(bytes), kind: 'idx' } : imageFormat.parse(bytes, seed),
  encode: (doc) => (doc.kind === 'idx' ? idxFormat.encode(doc) : imageFormat.encode(doc)),
  applyDocOp: (doc, op, seeds) =>
    doc.kind === 'idx' ? idxFormat.applyDocOp(doc, op, seeds) : imageFormat.applyDocOp(doc, op, seeds),
  fix: (bytes, plan) => idxFormat.fix(imageFormat.fix(bytes, plan), plan),
};

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-autoencoder-fuzz-cli-'));
  const idx = idxSeeds()
    .filter((s) => s.label.startsWith('u8'))
    .map((s) => ({ ...s, kind: 'idx' }));
  return { dir, path: join(dir, 'input'), seeds: [...idx, ...imageSeeds()] };
}

export const cliFileTarget = {
  name: 'cli-file',
  fn: 'readImages',
  async setup() {
    return setup();
  },
  async teardown(ctx) {
    rmSync(ctx.dir, { recursive: true, force: true });
  },
  seeds: (ctx) => ctx.seeds,
  mutate: (ctx) =>
    planArb({
      seedCount: ctx.seeds.length,
      docOp: (seed) => ({ idx: idxDocOp, png: pngOp, jpeg: jpegOp })[ctx.seeds[seed].kind],
      fields: IDX_FIELDS,
    }),
  build: (plan, ctx) => buildPlan(plan, ctx.seeds, FORMAT),
  async run(input, ctx) {
    writeFileSync(ctx.path, input);
    return readImages(ctx.path);
  },
  oracle(outcome, bytes, ctx) {
    if ('thrown' in outcome) return judgeThrown(outcome.thrown, ctx.path, ['CliError']);
    const { images, count, height, width, channels } = outcome.value;
    const positive = (v) => Number.isInteger(v) && v > 0;
    if (![count, height, width, channels].every(positive)) {
      return wrong(
        'silent wrong batch: count, height, width or channels not a positive integer',
        `${count} × ${height}×${width}×${channels}`,
      );
    }
    if (!(images instanceof Uint8Array) || images.length !== count * height * width * channels) {
      return wrong(
        'silent wrong batch: images are not count × height × width × channels bytes',
        `${images?.length} for ${count} × ${height}×${width}×${channels}`,
      );
    }
    const seed = ctx.seeds.find((s) => sameBytes(s.bytes, bytes));
    if (seed?.kind === 'idx' && !seed.label.includes('gzip')) {
      const head = 4 + 4 * bytes[3];
      if (!sameBytes(images, bytes.subarray(head)))
        return wrong('silent wrong batch: an unmutated IDX seed reads as other pixels', seed.label);
    }
    if (seed?.expected && !sameBytes(images, seed.expected.data))
      return wrong('silent wrong batch: an unmutated image seed reads as other pixels', seed.label);
    return accepted();
  },
};
