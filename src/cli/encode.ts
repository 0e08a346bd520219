// `wasm-autoencoder encode`: images → a code file.
import { HELP_OPTION, PROGRAM, choiceOption, formatHelp, optionsOrHelp, str, type OptionGroup } from './args.js';
import { encodeCodesBinary, encodeCodesJson } from './codes.js';
import { IMAGES_HELP, MODEL_GROUP, RUNTIME_GROUP, imagesForModel, libraryError, loadModel, runtimeChoice, sourceChoice, sourceGroup } from './common.js';
import { checkWritable, writeAtomic } from './files.js';

const OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', help: 'the code file', default: 'codes.waec' },
    format: { type: 'string', value: 'binary|json', help: 'binary (f32, exact) or JSON (exact too, larger)', default: 'json if FILE ends in .json, else binary' },
  },
};

const GROUPS = [MODEL_GROUP, sourceGroup('the 10,000 test images'), OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const CODES_HELP = `Code files:
  binary  16-byte header, little-endian: 'WAEC', u16 version (1), u16 dims (2), u32 count,
          u32 latent; then count × latent f32 values, one code after the other.
  json    { "latent": k, "codes": [[k numbers], ...] }
  Both keep every f32 exactly: decode(encode(images)) gives the same values as reconstruct.`;

export const ENCODE_HELP = formatHelp(`${PROGRAM} encode [options]`,
  "Runs images through a model's encoder and writes their codes (one per image) to a code file.",
  GROUPS,
  `${CODES_HELP}

${IMAGES_HELP}

Examples:
  ${PROGRAM} encode --model mnist.wae --out codes.waec
  ${PROGRAM} encode --model faces.wae --images faces/ --out faces.json`);

export async function encode(args: string[]): Promise<number> {
  const values = optionsOrHelp('encode', args, GROUPS, ENCODE_HELP);
  if (!values) return 0;
  const runtime = runtimeChoice(values);
  sourceChoice(values);
  const out = str(values, 'out') ?? 'codes.waec';
  const formatRaw = str(values, 'format');
  const format = formatRaw === undefined ? (/\.json$/i.test(out) ? 'json' : 'binary') : choiceOption('--format', formatRaw, ['binary', 'json'] as const);
  await checkWritable(out, '--out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const batch = await imagesForModel(values, model, modelPath);
    let codes: Float32Array;
    try {
      codes = model.encode(batch.images);
    } catch (error) {
      throw libraryError(error);
    }
    const file = { count: batch.count, latent: model.latentSize, values: codes };
    await writeAtomic(out, format === 'json' ? encodeCodesJson(file) : encodeCodesBinary(file));
    process.stdout.write(`wrote ${out} (${batch.count.toLocaleString('en-US')} codes of ${model.latentSize} values, ${format}) from ${batch.name}\n`);
    return 0;
  } finally {
    await model.dispose();
  }
}
