// `wasm-autoencoder encode`: images → a code file.
import {
  HELP_OPTION,
  PROGRAM,
  choiceOption,
  formatHelp,
  optionsOrHelp,
  str,
  type OptionGroup,
  outOption,
} from './args.js';
import { encodeCodesJson } from './codes.js';
import {
  IMAGES_HELP,
  MODEL_GROUP,
  RUNTIME_GROUP,
  imagesForModel,
  libraryError,
  loadModel,
  runtimeChoice,
  sourceChoice,
  sourceGroup,
} from './common.js';
import { UsageError } from './errors.js';
import { checkWritable, writeAtomic } from './files.js';
import { outputFormat } from './formats.js';

const OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: outOption('the code file: a code stream (.waez, .bin) or JSON (.json), by its name', 'codes.waez'),
    format: {
      type: 'string',
      value: 'binary|json',
      help: 'must agree with the name of --out when given (kept for scripts)',
      default: 'from the name of --out',
    },
  },
};

const GROUPS = [MODEL_GROUP, sourceGroup('the 10,000 test images'), OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const CODES_HELP = `Code files:
  binary  the library's code stream (ae.compress with bits 32; 'WAEZ', versioned, CRC-32 checked):
          the codes as f32, exactly, with the model's id, so that only that model decodes them
          (compress writes the same format with codes of 1 to 8 bits).
  json    { "latent": k, "codes": [[k numbers], ...] } (and "labels" for conditional models);
          any model with codes of k values decodes it.
  Both keep every f32 exactly: decode(encode(images)) gives the same values as reconstruct.
  Files of wasm-autoencoder 0.1's encode ('WAEC') are no longer read: encode the images again.`;

export const ENCODE_HELP = formatHelp(
  `${PROGRAM} encode [options]`,
  "Runs images through a model's encoder and writes their codes (one per image) to a code file.",
  GROUPS,
  `${CODES_HELP}

${IMAGES_HELP}

Examples:
  ${PROGRAM} encode --model mnist.wae --limit 100 --out codes.waez
  ${PROGRAM} encode --model faces.wae --images faces/ --out faces.json`,
);

export async function encode(args: string[]): Promise<number> {
  const values = optionsOrHelp('encode', args, GROUPS, ENCODE_HELP);
  if (!values) return 0;
  const runtime = runtimeChoice(values);
  sourceChoice(values);
  const out = str(values, 'out') ?? 'codes.waez';
  const format = outputFormat('encode', '--out', out, ['codes', 'json'] as const) === 'json' ? 'json' : 'binary';
  const formatRaw = str(values, 'format');
  if (formatRaw !== undefined && choiceOption('--format', formatRaw, ['binary', 'json'] as const) !== format) {
    throw new UsageError(`--format ${formatRaw} disagrees with --out ${out}, whose name asks for ${format}`);
  }
  await checkWritable(out, '--out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const batch = await imagesForModel(values, model, modelPath);
    let bytes: Uint8Array | string;
    try {
      bytes =
        format === 'json'
          ? encodeCodesJson({
              count: batch.count,
              latent: model.latentSize,
              values: model.encode(batch.images, { labels: batch.labels }),
              labels: batch.labels,
            })
          : model.compress(batch.images, { bits: 32, labels: batch.labels });
    } catch (error) {
      throw libraryError(error);
    }
    await writeAtomic(out, bytes);
    process.stdout.write(
      `wrote ${out} (${batch.count.toLocaleString('en-US')} codes of ${model.latentSize} values, ${format}) from ${batch.name}\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
