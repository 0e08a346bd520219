// `wasm-autoencoder denoise`: noisy images in, the model's clean versions out; --noise adds noise
// to clean images first, to show what a denoising model (train --noise) does.
import type { NoiseOptions } from '../entries/index.js';
import { HELP_OPTION, PROGRAM, formatHelp, intOption, optionsOrHelp, str, type OptionGroup } from './args.js';
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
import { checkWritable } from './files.js';
import { imagesOutChoice, imagesOutFormat, imagesOutGroup, writeImages, type Panel } from './output.js';
import { noiseOption } from './trainPlan.js';

const NOISE: OptionGroup = {
  title: 'Noise',
  options: {
    noise: {
      type: 'string',
      value: 'TYPE:LEVEL',
      help: 'add noise to the images first (a demo on clean images): gaussian (x + LEVEL·N(0, 1), clipped to [0, 1]), masking or salt-and-pepper (each value with probability LEVEL), like gaussian:0.3',
      default: 'none: the images are the noisy ones',
    },
    seed: { type: 'string', value: 'N', help: 'seed of the added noise', default: '0' },
    'noisy-out': { type: 'string', value: 'FILE', help: 'also write the noisy inputs (PNG grid or IDX, by the name)' },
  },
};

const GROUPS = [
  MODEL_GROUP,
  sourceGroup('the 10,000 test images'),
  NOISE,
  imagesOutGroup('denoised.png', 'the denoised images (the PNG shows the noisy ones beside them)'),
  RUNTIME_GROUP,
  HELP_OPTION,
];

export const DENOISE_HELP = formatHelp(
  `${PROGRAM} denoise [options]`,
  'Runs noisy images through a model (ae.denoise) and writes the results; with --noise, adds that noise to\n' +
    'the images first and prints the mean squared error to the clean images before and after. Train a\n' +
    'denoising model with train --noise.',
  GROUPS,
  `${IMAGES_HELP}

Examples:
  ${PROGRAM} denoise --model denoise.wae --noise gaussian:0.3 --limit 25 --out denoised.png
  ${PROGRAM} denoise --model denoise.wae --images noisy/ --out clean.idx`,
);

/** 32-bit seeded generator (mulberry32): the added noise is the same for the same seed. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Pixels as [0, 1] values with `noise` added (gaussian clipped to [0, 1]). */
function addNoise(pixels: Uint8Array, noise: NoiseOptions, seed: number): Float32Array {
  const next = uniform(seed);
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const x = pixels[i] / 255;
    let v = x;
    if (noise.type === 'gaussian') {
      const g = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      v = Math.min(1, Math.max(0, x + noise.level * g));
    } else if (next() < noise.level) {
      v = noise.type === 'masking' ? 0 : next() < 0.5 ? 0 : 1;
    }
    out[i] = v;
  }
  return out;
}

function mse(a: Float32Array, pixels: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - pixels[i] / 255) ** 2;
  return sum / a.length;
}

export async function denoise(args: string[]): Promise<number> {
  const values = optionsOrHelp('denoise', args, GROUPS, DENOISE_HELP);
  if (!values) return 0;
  const noise = str(values, 'noise') === undefined ? undefined : noiseOption('--noise', str(values, 'noise')!);
  const seed = str(values, 'seed') === undefined ? 0 : intOption('--seed', str(values, 'seed')!, 0, 0xffffffff);
  const out = imagesOutChoice(values, 'denoise', 'denoised.png');
  const noisyPath = str(values, 'noisy-out');
  const noisyOut =
    noisyPath === undefined
      ? undefined
      : { ...out, path: noisyPath, format: imagesOutFormat('denoise', '--noisy-out', noisyPath) };
  const runtime = runtimeChoice(values);
  sourceChoice(values);
  await checkWritable(out.path, '--out');
  if (noisyOut) await checkWritable(noisyOut.path, '--noisy-out');
  const modelPath = str(values, 'model') ?? 'model.wae';
  const model = await loadModel(modelPath, runtime);
  try {
    const batch = await imagesForModel(values, model, modelPath);
    const noisy = noise ? addNoise(batch.images, noise, seed) : batch.images;
    let clean: Float32Array;
    try {
      clean = model.denoise(noisy, { labels: batch.labels });
    } catch (error) {
      throw libraryError(error);
    }
    const shape = shapeOf(model);
    const panels: Panel[] =
      out.format === 'png'
        ? [
            { title: noise ? 'noisy' : 'inputs', images: noisy },
            { title: 'denoised', images: clean },
            ...(noise ? [{ title: 'clean', images: batch.images }] : []),
          ]
        : [{ title: 'denoised', images: clean }];
    if (noise) {
      const before = mse(noisy as Float32Array, batch.images),
        after = mse(clean, batch.images);
      process.stdout.write(
        `MSE to the clean images: noisy ${before.toPrecision(6)}, denoised ${after.toPrecision(6)} over ${batch.count.toLocaleString('en-US')} images of ${batch.name}\n`,
      );
    }
    process.stdout.write(`wrote ${out.path} (${await writeImages(out, panels, batch.count, shape)})\n`);
    if (noisyOut) {
      const asFloat = noisy instanceof Float32Array ? noisy : Float32Array.from(noisy, (v) => v / 255);
      process.stdout.write(
        `wrote ${noisyOut.path} (${await writeImages(noisyOut, [{ title: 'noisy', images: asFloat }], batch.count, shape)})\n`,
      );
    }
    return 0;
  } finally {
    await model.dispose();
  }
}
