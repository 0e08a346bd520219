// `wasm-autoencoder decode`: a code file → images (a PNG grid or an IDX file).
import { HELP_OPTION, PROGRAM, formatHelp, optionsOrHelp, str, type OptionGroup } from './args.js';
import { decodeCodesJson, isJsonCodes } from './codes.js';
import { MODEL_GROUP, RUNTIME_GROUP, checkLabels, libraryError, loadModel, runtimeChoice, shapeOf } from './common.js';
import { CODES_HELP } from './encode.js';
import { CliError, oneLine } from './errors.js';
import { checkWritable, readBytes } from './files.js';
import { outputFormat } from './formats.js';
import { imagesOutChoice, imagesOutGroup, writeImages } from './output.js';

const INPUT: OptionGroup = {
  title: 'Codes',
  options: {
    codes: {
      type: 'string',
      value: 'FILE',
      help: 'the code file (binary or JSON, told apart by content)',
      default: 'codes.waez',
    },
  },
};

const OUTPUT = imagesOutGroup('decoded.png, unless only --idx is given', 'the decoded images');
OUTPUT.options.idx = {
  type: 'string',
  value: 'FILE',
  help: 'also write every image to an IDX file (gzipped if FILE ends in .gz)',
};

const GROUPS = [MODEL_GROUP, INPUT, OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const DECODE_HELP = formatHelp(
  `${PROGRAM} decode [options]`,
  "Runs codes through a model's decoder: writes a PNG grid of the first images or every image to an IDX\n" +
    'file, by the name of --out (and/or every image to --idx).',
  GROUPS,
  `${CODES_HELP}

Examples:
  ${PROGRAM} decode --model mnist.wae --codes codes.waez --out decoded.png
  ${PROGRAM} decode --model mnist.wae --codes codes.json --out decoded.idx.gz`,
);

/** Decoded images of a code file: a code stream through ae.decompress, JSON through ae.decode. */
async function decodeFile(
  model: Awaited<ReturnType<typeof loadModel>>,
  codesPath: string,
  modelPath: string,
): Promise<{ images: Float32Array; count: number }> {
  const bytes = await readBytes(codesPath, 'code file');
  if (!isJsonCodes(bytes)) {
    try {
      const { images, count } = model.decompress(bytes);
      return { images, count };
    } catch (error) {
      throw new CliError(
        `cannot decode ${codesPath} with model ${modelPath}: ${oneLine(error).replace(/^Autoencoder\.decompress: /, '')}`,
      );
    }
  }
  const codes = decodeCodesJson(bytes, codesPath);
  if (codes.latent !== model.latentSize) {
    throw new CliError(
      `${codesPath} holds codes of ${codes.latent} values, but model ${modelPath} has codes of ${model.latentSize}`,
    );
  }
  const classes = model.config.classes;
  if (classes > 0 && !codes.labels)
    throw new CliError(`model ${modelPath} is conditional: ${codesPath} needs "labels", one per code`);
  if (classes === 0 && codes.labels)
    throw new CliError(`${codesPath} has "labels", but model ${modelPath} is not conditional`);
  if (codes.labels) checkLabels(codes.labels, classes, codesPath, `model ${modelPath}`);
  try {
    return { images: model.decode(codes.values, { labels: codes.labels }), count: codes.count };
  } catch (error) {
    throw libraryError(error);
  }
}

export async function decode(args: string[]): Promise<number> {
  const values = optionsOrHelp('decode', args, GROUPS, DECODE_HELP);
  if (!values) return 0;
  const idx = str(values, 'idx');
  if (idx !== undefined) outputFormat('decode', '--idx', idx, ['idx'] as const);
  const choice = imagesOutChoice(values, 'decode', 'decoded.png');
  const out = str(values, 'out') !== undefined || idx === undefined ? choice : undefined;
  const runtime = runtimeChoice(values);
  if (out !== undefined) await checkWritable(out.path, '--out');
  if (idx !== undefined) await checkWritable(idx, '--idx');
  const codesPath = str(values, 'codes') ?? 'codes.waez';
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const { images, count } = await decodeFile(model, codesPath, modelPath);
    const shape = shapeOf(model);
    if (out !== undefined)
      process.stdout.write(
        `wrote ${out.path} (${await writeImages(out, [{ title: 'decoded', images }], count, shape)})\n`,
      );
    if (idx !== undefined) {
      const asIdx = { ...choice, path: idx, format: 'idx' as const };
      process.stdout.write(
        `wrote ${idx} (${await writeImages(asIdx, [{ title: 'decoded', images }], count, shape)})\n`,
      );
    }
    return 0;
  } finally {
    await model.dispose();
  }
}
