// `wasm-autoencoder interpolate`: images along the straight line between two images' codes.
import { HELP_OPTION, PROGRAM, formatHelp, intOption, optionsOrHelp, str, type OptionGroup } from './args.js';
import {
  IMAGES_HELP,
  MODEL_GROUP,
  RUNTIME_GROUP,
  checkFits,
  checkLabels,
  libraryError,
  loadModel,
  runtimeChoice,
  shapeOf,
  sourceChoice,
  sourceGroup,
} from './common.js';
import { CliError, UsageError } from './errors.js';
import { checkWritable } from './files.js';
import { readImages } from './images.js';
import { labelledInputSource, type LabelledBatch } from './labelled.js';
import { imagesOutChoice, imagesOutGroup, writeImages } from './output.js';

const ENDS: OptionGroup = {
  title: 'Ends',
  options: {
    from: {
      type: 'string',
      value: 'INDEX|FILE',
      help: "the first image: its index (from 0) among the images (MNIST's test set, or --images), or a PNG/JPEG file",
      default: '0',
    },
    to: { type: 'string', value: 'INDEX|FILE', help: 'the last image, the same way', default: '1' },
    steps: { type: 'string', value: 'N', help: 'images in the strip, both ends included (2 to 4096)', default: '10' },
  },
};

const OUTPUT = imagesOutGroup('interpolation.png', 'the strip');
delete OUTPUT.options.count;

const GROUPS = [MODEL_GROUP, ENDS, sourceGroup('the 10,000 test images'), OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const INTERPOLATE_HELP = formatHelp(
  `${PROGRAM} interpolate [options]`,
  'Encodes two images, interpolates their codes linearly in N steps and decodes each (ae.interpolate):\n' +
    "a strip from the first image's reconstruction to the second's. A variational model (train\n" +
    '--variational) gives the smoothest path; any model works.',
  GROUPS,
  `${IMAGES_HELP}

Examples:
  ${PROGRAM} interpolate --model vae.wae --from 0 --to 1 --steps 10 --out interpolation.png
  ${PROGRAM} interpolate --model faces.wae --from faces/a.png --to faces/b.png --steps 8 --out ab.png`,
);

/** An end: an index into the source, or an image file. */
function endOf(raw: string, flag: string): number | string {
  return /^\d+$/.test(raw) ? intOption(flag, raw, 0, Number.MAX_SAFE_INTEGER) : raw;
}

export async function interpolate(args: string[]): Promise<number> {
  const values = optionsOrHelp('interpolate', args, GROUPS, INTERPOLATE_HELP);
  if (!values) return 0;
  const from = endOf(str(values, 'from') ?? '0', '--from'),
    to = endOf(str(values, 'to') ?? '1', '--to');
  const steps = str(values, 'steps') === undefined ? 10 : intOption('--steps', str(values, 'steps')!, 2, 4096);
  const out = imagesOutChoice(values, 'interpolate', 'interpolation.png', steps);
  const runtime = runtimeChoice(values);
  const choice = sourceChoice(values);
  const indices = [from, to].filter((e): e is number => typeof e === 'number');
  if (
    indices.length === 0 &&
    (choice.images !== undefined || choice.data !== undefined || choice.limit !== undefined)
  ) {
    throw new UsageError(
      '--images, --data and --limit choose images for --from/--to given as indices; both ends are files here',
    );
  }
  await checkWritable(out.path, '--out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const classes = model.config.classes;
    let source: LabelledBatch | undefined;
    if (indices.length > 0) {
      const need = Math.max(...indices) + 1;
      if (choice.limit !== undefined && need > choice.limit)
        throw new UsageError(`--limit ${choice.limit} leaves out image ${need - 1}`);
      source = await labelledInputSource({ ...choice, limit: need }, str(values, 'labels'));
      if (source.count < need)
        throw new UsageError(`there is no image ${need - 1} in ${source.name}: it holds ${source.count}`);
      checkFits(source, model, modelPath);
    }
    const size = model.config.inputShape[0] * model.config.inputShape[1] * model.config.inputShape[2];
    const end = async (e: number | string): Promise<{ image: Uint8Array; label?: number; name: string }> => {
      if (typeof e === 'number')
        return {
          image: source!.images.subarray(e * size, (e + 1) * size),
          label: source!.labels?.[e],
          name: `image ${e} of ${source!.name}`,
        };
      const one = await readImages(e);
      if (one.count !== 1) throw new UsageError(`${e} holds ${one.count} images; give one image file, or an index`);
      checkFits(one, model, modelPath);
      return { image: one.images, name: e };
    };
    const a = await end(from),
      b = await end(to);
    let labels: Uint8Array | undefined;
    if (classes > 0) {
      if (a.label === undefined || b.label === undefined) {
        throw new CliError(
          `model ${modelPath} is conditional: give both ends as indices into labelled images (MNIST, or --images with --labels)`,
        );
      }
      labels = Uint8Array.of(a.label, b.label);
      checkLabels(labels, classes, 'the ends', `model ${modelPath}`);
    }
    let images: Float32Array;
    try {
      images = model.interpolate(a.image, b.image, steps, labels ? { labels } : {});
    } catch (error) {
      throw libraryError(error);
    }
    process.stdout.write(
      `wrote ${out.path} (${await writeImages(out, [{ title: 'interpolation', images }], steps, shapeOf(model), steps)}) from ${a.name} to ${b.name}\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
