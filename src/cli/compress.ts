// `wasm-autoencoder compress` and `decompress`: images ⇄ a code stream of a few bits per value.
import {
  HELP_OPTION,
  PROGRAM,
  formatHelp,
  intOption,
  optionsOrHelp,
  str,
  type OptionGroup,
  outOption,
} from './args.js';
import {
  IMAGES_HELP,
  MODEL_GROUP,
  RUNTIME_GROUP,
  imagesForModel,
  libraryError,
  loadModel,
  runtimeChoice,
  shapeOf,
  sourceChoice,
  sourceGroup,
} from './common.js';
import { CliError, oneLine } from './errors.js';
import { checkWritable, readBytes, writeAtomic } from './files.js';
import { outputFormat } from './formats.js';
import { imagesOutChoice, imagesOutGroup, writeImages } from './output.js';

const STREAM_HELP = `Code streams (.waez): the library's format (ae.compress, ae.decompress): 'WAEZ', versioned, a
  CRC-32 over it all, the model's id (only that model decompresses it), per dimension an offset and
  a step, then each code's values at --bits bits (--bits 32: the f32 codes, exactly, as encode
  writes them).`;

const COMPRESS_OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: outOption('the code stream (.waez or .bin)', 'compressed.waez'),
    bits: { type: 'string', value: 'N', help: 'bits per code value: 1 to 8, or 32 for exact f32 codes', default: '8' },
  },
};

const COMPRESS_GROUPS = [
  MODEL_GROUP,
  sourceGroup('the 10,000 test images'),
  COMPRESS_OUTPUT,
  RUNTIME_GROUP,
  HELP_OPTION,
];

export const COMPRESS_HELP = formatHelp(
  `${PROGRAM} compress [options]`,
  "Compresses images to a code stream: each image's code, quantized to --bits bits per value\n" +
    '(ae.compress). decompress gives the images back.',
  COMPRESS_GROUPS,
  `${STREAM_HELP}

${IMAGES_HELP}

Examples:
  ${PROGRAM} compress --model mnist.wae --limit 1000 --bits 8 --out digits.waez
  ${PROGRAM} compress --model faces.wae --images faces/ --bits 4 --out faces.waez`,
);

export async function compress(args: string[]): Promise<number> {
  const values = optionsOrHelp('compress', args, COMPRESS_GROUPS, COMPRESS_HELP);
  if (!values) return 0;
  const bitsRaw = str(values, 'bits');
  const bits = bitsRaw === undefined ? 8 : bitsRaw === '32' ? 32 : intOption('--bits', bitsRaw, 1, 8);
  const out = str(values, 'out') ?? 'compressed.waez';
  outputFormat('compress', '--out', out, ['codes'] as const);
  const runtime = runtimeChoice(values);
  sourceChoice(values);
  await checkWritable(out, '--out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const batch = await imagesForModel(values, model, modelPath);
    let bytes: Uint8Array;
    try {
      bytes = model.compress(batch.images, { bits, labels: batch.labels });
    } catch (error) {
      throw libraryError(error);
    }
    await writeAtomic(out, bytes);
    const raw = batch.images.length;
    process.stdout.write(
      `wrote ${out} (${batch.count.toLocaleString('en-US')} images of ${batch.name} at ${bits} bits per code value: ` +
        `${bytes.length.toLocaleString('en-US')} bytes, ${(bytes.length / batch.count).toFixed(2)} per image, ${(raw / bytes.length).toFixed(1)}× smaller than their pixels)\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}

const DECOMPRESS_INPUT: OptionGroup = {
  title: 'Input',
  options: {
    in: {
      type: 'string',
      value: 'FILE',
      help: 'the code stream compress (or encode) wrote',
      default: 'compressed.waez',
    },
  },
};

const DECOMPRESS_GROUPS = [
  MODEL_GROUP,
  DECOMPRESS_INPUT,
  imagesOutGroup('decompressed.png', 'the images'),
  RUNTIME_GROUP,
  HELP_OPTION,
];

export const DECOMPRESS_HELP = formatHelp(
  `${PROGRAM} decompress [options]`,
  'Decodes a code stream back to images with the model that wrote it (ae.decompress): a PNG grid of the\n' +
    'first images, or every image in an IDX file, by the name of --out.',
  DECOMPRESS_GROUPS,
  `${STREAM_HELP}

Examples:
  ${PROGRAM} decompress --model mnist.wae --in digits.waez --out digits.png
  ${PROGRAM} decompress --model mnist.wae --in digits.waez --out digits.idx --idx-type f32`,
);

export async function decompress(args: string[]): Promise<number> {
  const values = optionsOrHelp('decompress', args, DECOMPRESS_GROUPS, DECOMPRESS_HELP);
  if (!values) return 0;
  const out = imagesOutChoice(values, 'decompress', 'decompressed.png');
  const runtime = runtimeChoice(values);
  await checkWritable(out.path, '--out');
  const input = str(values, 'in') ?? 'compressed.waez';
  const bytes = await readBytes(input, 'code stream');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    let result;
    try {
      result = model.decompress(bytes);
    } catch (error) {
      throw new CliError(
        `cannot decompress ${input} with model ${modelPath}: ${oneLine(error).replace(/^Autoencoder\.decompress: /, '')}`,
      );
    }
    process.stdout.write(
      `wrote ${out.path} (${await writeImages(out, [{ title: 'decompressed', images: result.images }], result.count, shapeOf(model))})\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
