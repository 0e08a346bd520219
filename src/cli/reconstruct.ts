// `wasm-autoencoder reconstruct`: originals beside reconstructions, and the error over the set.
import {
  HELP_OPTION,
  PROGRAM,
  choiceOption,
  formatHelp,
  intOption,
  optionsOrHelp,
  str,
  type OptionGroup,
  type ParsedOptions,
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
import { checkWritable, writeAtomic } from './files.js';
import { firstImages } from './images.js';
import { outputFormat } from './formats.js';
import { autoScale, imagesIdx, panelsPng } from './output.js';

const PICTURE_OPTIONS: OptionGroup['options'] = {
  count: { type: 'string', value: 'N', help: 'images shown in the PNG (the first N)', default: '25' },
  scale: {
    type: 'string',
    value: 'N',
    help: 'upscaling of each image in the PNG (1 to 16)',
    default: '4 for 16 px, 3 for 28 px, 1 from 64 px',
  },
  idx: { type: 'string', value: 'FILE', help: 'also write every image to an IDX file (gzipped if FILE ends in .gz)' },
  'idx-type': {
    type: 'string',
    value: 'u8|f32',
    help: 'u8: values × 255, rounded as in the PNG; f32: the exact [0, 1] values',
    default: 'u8',
  },
};

const OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: outOption('the PNG: originals beside their reconstructions', 'reconstructions.png'),
    ...PICTURE_OPTIONS,
  },
};

const GROUPS = [MODEL_GROUP, sourceGroup('the 10,000 test images'), OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const RECONSTRUCT_HELP = formatHelp(
  `${PROGRAM} reconstruct [options]`,
  'Runs images through a model: writes a PNG of the first originals beside their reconstructions, and\n' +
    'prints the mean squared error (pixels in [0, 1]) and the PSNR over every image given.',
  GROUPS,
  `${IMAGES_HELP}

Examples:
  ${PROGRAM} reconstruct --model mnist.wae
  ${PROGRAM} reconstruct --model faces.wae --images faces/ --count 16 --out faces.png --idx faces-out.idx`,
);

interface PictureChoice {
  count: number;
  scale?: number;
  idx?: string;
  idxType: 'u8' | 'f32';
}

function pictureChoice(values: ParsedOptions): PictureChoice {
  const count = str(values, 'count'),
    scale = str(values, 'scale'),
    idxType = str(values, 'idx-type');
  return {
    count: count === undefined ? 25 : intOption('--count', count, 1, 10000),
    scale: scale === undefined ? undefined : intOption('--scale', scale, 1, 16),
    idx: str(values, 'idx'),
    idxType: idxType === undefined ? 'u8' : choiceOption('--idx-type', idxType, ['u8', 'f32'] as const),
  };
}

export async function reconstruct(args: string[]): Promise<number> {
  const values = optionsOrHelp('reconstruct', args, GROUPS, RECONSTRUCT_HELP);
  if (!values) return 0;
  const picture = pictureChoice(values);
  const runtime = runtimeChoice(values);
  sourceChoice(values);
  const modelPath = str(values, 'model') ?? 'model.wae';
  const out = str(values, 'out') ?? 'reconstructions.png';
  outputFormat('reconstruct', '--out', out, ['png'] as const);
  if (picture.idx !== undefined) outputFormat('reconstruct', '--idx', picture.idx, ['idx'] as const);
  await checkWritable(out, '--out');
  if (picture.idx !== undefined) await checkWritable(picture.idx, '--idx');
  const model = await loadModel(modelPath, runtime);
  try {
    const batch = await imagesForModel(values, model, modelPath);
    const shape = shapeOf(model);
    const shown = Math.min(picture.count, batch.count);
    let evaluation, all: Float32Array | undefined, some: Float32Array;
    try {
      const labels = batch.labels;
      evaluation = model.evaluate(batch.images, { labels });
      if (picture.idx !== undefined) all = model.reconstruct(batch.images, { labels });
      some = all ?? model.reconstruct(firstImages(batch, shown).images, { labels: labels?.subarray(0, shown) });
    } catch (error) {
      throw libraryError(error);
    }
    const png = panelsPng(
      [
        { title: 'originals', images: batch.images },
        { title: 'reconstructions', images: some },
      ],
      shown,
      shape,
      picture.scale ?? autoScale(shape),
    );
    await writeAtomic(out, png);
    if (all && picture.idx !== undefined)
      await writeAtomic(picture.idx, imagesIdx(all, batch.count, shape, picture.idxType, picture.idx));
    const { mse, psnr, count } = evaluation;
    process.stdout.write(
      `MSE ${mse.toPrecision(6)}  PSNR ${psnr.toFixed(2)} dB  over ${count.toLocaleString('en-US')} images of ${batch.name}\n`,
    );
    process.stdout.write(`wrote ${out} (${shown} originals beside their reconstructions)\n`);
    if (picture.idx !== undefined)
      process.stdout.write(
        `wrote ${picture.idx} (${count.toLocaleString('en-US')} reconstructions, ${picture.idxType})\n`,
      );
    return 0;
  } finally {
    await model.dispose();
  }
}
