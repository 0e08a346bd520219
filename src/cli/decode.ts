// `wasm-autoencoder decode`: a code file → images (a PNG grid and/or an IDX file).
import { HELP_OPTION, PROGRAM, formatHelp, optionsOrHelp, str, type OptionGroup } from './args.js';
import { decodeCodes } from './codes.js';
import { MODEL_GROUP, RUNTIME_GROUP, libraryError, loadModel, runtimeChoice, shapeOf } from './common.js';
import { CODES_HELP } from './encode.js';
import { CliError } from './errors.js';
import { checkWritable, readBytes, writeAtomic } from './files.js';
import { autoScale, imagesIdx, panelsPng } from './output.js';
import { PICTURE_OPTIONS, pictureChoice } from './reconstruct.js';

const INPUT: OptionGroup = {
  title: 'Codes',
  options: { codes: { type: 'string', value: 'FILE', help: 'the code file (binary or JSON, told apart by content)', default: 'codes.waec' } },
};

const OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', help: 'a PNG grid of the first decoded images', default: 'decoded.png, unless only --idx is given' },
    ...PICTURE_OPTIONS,
  },
};

const GROUPS = [MODEL_GROUP, INPUT, OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const DECODE_HELP = formatHelp(`${PROGRAM} decode [options]`,
  "Runs codes through a model's decoder: writes a PNG grid of the first images, and/or every image to an\n" +
  'IDX file (--idx).',
  GROUPS,
  `${CODES_HELP}

Examples:
  ${PROGRAM} decode --model mnist.wae --codes codes.waec --out decoded.png
  ${PROGRAM} decode --model mnist.wae --codes codes.json --idx decoded.idx.gz`);

export async function decode(args: string[]): Promise<number> {
  const values = optionsOrHelp('decode', args, GROUPS, DECODE_HELP);
  if (!values) return 0;
  const picture = pictureChoice(values);
  const runtime = runtimeChoice(values);
  const givenOut = str(values, 'out');
  const out = givenOut ?? (picture.idx === undefined ? 'decoded.png' : undefined);
  if (out !== undefined) await checkWritable(out, '--out');
  if (picture.idx !== undefined) await checkWritable(picture.idx, '--idx');
  const codesPath = str(values, 'codes') ?? 'codes.waec';
  const codes = decodeCodes(await readBytes(codesPath, 'code file'), codesPath);
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    if (codes.latent !== model.latentSize) {
      throw new CliError(`${codesPath} holds codes of ${codes.latent} values, but model ${modelPath} has codes of ${model.latentSize}`);
    }
    let images: Float32Array;
    try {
      images = model.decode(codes.values);
    } catch (error) {
      throw libraryError(error);
    }
    const shape = shapeOf(model);
    const shown = Math.min(picture.count, codes.count);
    if (out !== undefined) {
      await writeAtomic(out, panelsPng([{ title: 'decoded', images }], shown, shape, picture.scale ?? autoScale(shape)));
      process.stdout.write(`wrote ${out} (${shown} of ${codes.count.toLocaleString('en-US')} decoded images)\n`);
    }
    if (picture.idx !== undefined) {
      await writeAtomic(picture.idx, imagesIdx(images, codes.count, shape, picture.idxType, picture.idx));
      process.stdout.write(`wrote ${picture.idx} (${codes.count.toLocaleString('en-US')} decoded images, ${picture.idxType})\n`);
    }
    return 0;
  } finally {
    await model.dispose();
  }
}
