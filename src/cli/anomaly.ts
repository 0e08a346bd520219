// `wasm-autoencoder anomaly`: one anomaly score per image, and with a reference set of normal
// images a threshold above which an image is called anomalous.
import {
  HELP_OPTION,
  PROGRAM,
  choiceOption,
  formatHelp,
  intOption,
  numberOption,
  optionsOrHelp,
  str,
  type OptionGroup,
  outOption,
} from './args.js';
import {
  IMAGES_HELP,
  MODEL_GROUP,
  RUNTIME_GROUP,
  checkFits,
  checkLabels,
  imagesForModel,
  libraryError,
  loadModel,
  runtimeChoice,
  sourceChoice,
  sourceGroup,
} from './common.js';
import { CliError, UsageError } from './errors.js';
import { checkWritable, writeAtomic } from './files.js';
import { outputFormat } from './formats.js';
import { labelledTrainingSource } from './labelled.js';

const METHODS = ['reconstruction', 'normalized', 'elbo'] as const;
type Method = (typeof METHODS)[number];

const SCORING: OptionGroup = {
  title: 'Scores',
  options: {
    method: {
      type: 'string',
      value: 'NAME',
      help: "reconstruction (mean squared error per pixel), normalized (the error over the images' energy: fairer to images with little ink) or elbo (variational models: error + β·KL per pixel)",
      default: 'reconstruction',
    },
    'threshold-quantile': {
      type: 'string',
      value: 'Q',
      help: 'flag images scoring above the Q-quantile (0 to 1) of the scores of --reference (ae.anomalyThreshold)',
    },
    reference: {
      type: 'string',
      value: 'mnist|PATH',
      help: 'normal images for the threshold: mnist (its training set) or a folder or file of images as --images',
      default: 'mnist',
    },
    'reference-limit': { type: 'string', value: 'N', help: 'use only the first N reference images' },
  },
};

const OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: outOption('the scores: CSV (.csv), JSON (.json) or text (.txt), by the name', 'text on stdout'),
  },
};

const GROUPS = [MODEL_GROUP, sourceGroup('the 10,000 test images'), SCORING, OUTPUT, RUNTIME_GROUP, HELP_OPTION];

export const ANOMALY_HELP = formatHelp(
  `${PROGRAM} anomaly [options]`,
  'Scores each image by how unlike the training data it is (ae.anomalyScores); with\n' +
    "--threshold-quantile, also flags the images above that quantile of a reference set's scores.",
  GROUPS,
  `Output: text has one line per image ("index score", and "anomalous" when flagged); CSV the columns
  index,score (and anomalous, 0 or 1); JSON { "method", "threshold"?, "scores": [...], "anomalous"?: [...] }.
  Scores are f32 values written so that they read back exactly.

${IMAGES_HELP}

Examples:
  ${PROGRAM} anomaly --model mnist.wae --limit 100 --out scores.csv
  ${PROGRAM} anomaly --model mnist.wae --images odd/ --method normalized --threshold-quantile 0.99 --reference-limit 10000`,
);

export async function anomaly(args: string[]): Promise<number> {
  const values = optionsOrHelp('anomaly', args, GROUPS, ANOMALY_HELP);
  if (!values) return 0;
  const method: Method =
    str(values, 'method') === undefined ? 'reconstruction' : choiceOption('--method', str(values, 'method')!, METHODS);
  const q = str(values, 'threshold-quantile');
  const quantile = q === undefined ? undefined : numberOption('--threshold-quantile', q, 0, 1);
  const refRaw = str(values, 'reference'),
    refLimitRaw = str(values, 'reference-limit');
  if (quantile === undefined && (refRaw !== undefined || refLimitRaw !== undefined)) {
    throw new UsageError('--reference and --reference-limit set the threshold: give --threshold-quantile too');
  }
  const refLimit =
    refLimitRaw === undefined ? undefined : intOption('--reference-limit', refLimitRaw, 1, Number.MAX_SAFE_INTEGER);
  const out = str(values, 'out');
  const format = out === undefined ? 'text' : outputFormat('anomaly', '--out', out, ['csv', 'json', 'text'] as const);
  const runtime = runtimeChoice(values);
  sourceChoice(values);
  if (out !== undefined) await checkWritable(out, '--out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    if (method === 'elbo' && !model.config.variational)
      throw new UsageError(`--method elbo needs a variational model, and model ${modelPath} is not one`);
    const batch = await imagesForModel(values, model, modelPath);
    let scores: Float32Array, threshold: number | undefined;
    try {
      scores = model.anomalyScores(batch.images, { method, labels: batch.labels });
    } catch (error) {
      throw libraryError(error);
    }
    if (quantile !== undefined) {
      const choice =
        refRaw === undefined || refRaw === 'mnist'
          ? { data: 'mnist', limit: refLimit }
          : { images: refRaw, limit: refLimit };
      const { set } = await labelledTrainingSource(choice);
      checkFits(set, model, modelPath);
      const classes = model.config.classes;
      if (classes > 0 && !set.labels)
        throw new CliError(
          `model ${modelPath} is conditional: the reference images need labels (use --reference mnist)`,
        );
      if (classes > 0) checkLabels(set.labels!, classes, set.name, `model ${modelPath}`);
      try {
        threshold = model.anomalyThreshold(set.images, {
          quantile,
          method,
          labels: classes > 0 ? set.labels : undefined,
        });
      } catch (error) {
        throw libraryError(error);
      }
      process.stderr.write(
        `threshold ${threshold} (the ${quantile}-quantile of the ${method} scores of ${set.count.toLocaleString('en-US')} images of ${set.name})\n`,
      );
    }
    const flagged = threshold === undefined ? undefined : Array.from(scores, (s) => s > threshold!);
    const text = formatScores(format, method, scores, threshold, flagged);
    if (out === undefined) {
      process.stdout.write(text);
    } else {
      await writeAtomic(out, text);
      const n = flagged ? flagged.filter(Boolean).length : 0;
      process.stdout.write(
        `wrote ${out} (${scores.length.toLocaleString('en-US')} ${method} scores of ${batch.name}` +
          (flagged ? `, ${n} above the threshold` : '') +
          ')\n',
      );
    }
    return 0;
  } finally {
    await model.dispose();
  }
}

/** Each f32 score as the decimal of its double, which reads back to the same f32. */
function formatScores(
  format: 'csv' | 'json' | 'text',
  method: Method,
  scores: Float32Array,
  threshold: number | undefined,
  flagged: boolean[] | undefined,
): string {
  const list = Array.from(scores, (s) => String(s));
  if (format === 'json') {
    return (
      `{ "method": "${method}",${threshold !== undefined ? ` "threshold": ${threshold},` : ''}\n"scores": [${list.join(', ')}]` +
      (flagged ? `,\n"anomalous": [${flagged.join(', ')}]` : '') +
      ' }\n'
    );
  }
  if (format === 'csv') {
    const rows = list.map((s, i) => `${i},${s}${flagged ? `,${flagged[i] ? 1 : 0}` : ''}`);
    return `index,score${flagged ? ',anomalous' : ''}\n${rows.join('\n')}\n`;
  }
  return list.map((s, i) => `${i} ${s}${flagged?.[i] ? ' anomalous' : ''}\n`).join('');
}
