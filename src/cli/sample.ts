// `wasm-autoencoder sample`: images drawn from a variational model's prior.
import { HELP_OPTION, PROGRAM, formatHelp, intOption, optionsOrHelp, str, type OptionGroup } from './args.js';
import { MODEL_GROUP, RUNTIME_GROUP, libraryError, loadModel, runtimeChoice, shapeOf } from './common.js';
import { CliError, UsageError } from './errors.js';
import { checkWritable } from './files.js';
import { imagesOutChoice, imagesOutGroup, writeImages } from './output.js';

const OUTPUT = imagesOutGroup('samples.png', 'the samples');
delete OUTPUT.options.count;

const SAMPLING: OptionGroup = {
  title: 'Sampling',
  options: {
    count: { type: 'string', value: 'N', help: 'images to draw (all of them are in the PNG)', default: '64' },
    seed: { type: 'string', value: 'N', help: 'seed of the draws: the same seed gives the same images', default: '0' },
    label: {
      type: 'string',
      value: 'K',
      help: 'conditional models: draw images of class K',
      default: 'every class in turn, one column per class',
    },
  },
};

const GROUPS = [MODEL_GROUP, SAMPLING, OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const SAMPLE_HELP = formatHelp(
  `${PROGRAM} sample [options]`,
  "Draws codes from a variational model's prior (a standard normal per dimension) and decodes them\n" +
    '(ae.sample). The model must have been trained with train --variational.',
  GROUPS,
  `Examples:
  ${PROGRAM} sample --model vae.wae --count 64 --seed 7 --out samples.png
  ${PROGRAM} sample --model cvae.wae --label 3 --count 16 --out threes.png
  ${PROGRAM} sample --model vae.wae --count 1000 --out samples.idx`,
);

export async function sample(args: string[]): Promise<number> {
  const values = optionsOrHelp('sample', args, GROUPS, SAMPLE_HELP);
  if (!values) return 0;
  const count = str(values, 'count') === undefined ? 64 : intOption('--count', str(values, 'count')!, 1, 1 << 20);
  const seed = str(values, 'seed') === undefined ? 0 : intOption('--seed', str(values, 'seed')!, 0, 0xffffffff);
  const label = str(values, 'label') === undefined ? undefined : intOption('--label', str(values, 'label')!, 0, 255);
  const out = imagesOutChoice(values, 'sample', 'samples.png', count);
  const runtime = runtimeChoice(values);
  await checkWritable(out.path, '--out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const { variational, classes } = model.config;
    if (!variational)
      throw new CliError(
        `model ${modelPath} is not variational: sample needs a model trained with train --variational`,
      );
    if (label !== undefined && classes === 0)
      throw new UsageError(`--label is for conditional models, and model ${modelPath} is not one`);
    if (label !== undefined && label >= classes)
      throw new UsageError(`--label must be a class of model ${modelPath} (0 to ${classes - 1}), got ${label}`);
    const labels =
      classes > 0 && label === undefined ? Uint8Array.from({ length: count }, (_, i) => i % classes) : undefined;
    let images: Float32Array;
    try {
      images = model.sample(count, { seed, ...(label !== undefined ? { label } : {}), ...(labels ? { labels } : {}) });
    } catch (error) {
      throw libraryError(error);
    }
    const cols = labels ? classes : undefined;
    process.stdout.write(
      `wrote ${out.path} (${await writeImages(out, [{ title: 'samples', images }], count, shapeOf(model), cols)}, seed ${seed})\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
