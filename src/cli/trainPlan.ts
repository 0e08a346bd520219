// `wasm-autoencoder train`'s flags: the option groups and help, and every value checked into a
// TrainPlan before anything is read (train.ts runs it).
import {
  fitDefaults,
  type Activation,
  type AutoencoderOptions,
  type Loss,
  type NoiseOptions,
} from '../entries/index.js';
import {
  HELP_OPTION,
  PROGRAM,
  choiceOption,
  flag,
  formatHelp,
  intOption,
  numberOption,
  str,
  type OptionGroup,
  type ParsedOptions,
  outOption,
} from './args.js';
import { IMAGES_HELP, RUNTIME_GROUP, sourceGroup } from './common.js';
import { UsageError } from './errors.js';
import { LAYERS_HELP, MODEL_PRESETS, decoderOption, encoderOption } from './layers.js';

const ACTIVATIONS: readonly Activation[] = ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'linear'];
const ACTIVATION_ALIASES: Record<string, Activation> = {
  'leaky-relu': 'leakyRelu',
  leaky_relu: 'leakyRelu',
  leakyrelu: 'leakyRelu',
};
const LOSSES: readonly Loss[] = ['mse', 'bce'];
const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
/** The optimizer flags each optimizer uses: any other is refused, not ignored. */
const OPTIMIZER_FLAGS: Record<string, readonly (typeof OPTIMIZERS)[number][]> = {
  beta1: ['adam', 'adamw'],
  beta2: ['adam', 'adamw'],
  epsilon: ['adam', 'adamw'],
  'weight-decay': ['adamw'],
  momentum: ['sgd'],
  nesterov: ['sgd'],
};
const MAX_WIDTH = 1 << 16;

const ARCHITECTURE: OptionGroup = {
  title: 'Model',
  options: {
    model: {
      type: 'string',
      value: 'dense|conv',
      help: 'a ready-made encoder: dense is 64,32, conv is c16k3s2,c32k3s2',
      default: 'dense',
    },
    encoder: {
      type: 'string',
      value: 'LAYER,...',
      help: 'dense widths and conv2d layers, like 64,32 or c16k3s2,c32k3s2 (see "Layers" below); \'\' for none',
      default: '64,32',
      allowEmpty: true,
    },
    latent: { type: 'string', value: 'N', help: 'size of the code', default: '32' },
    decoder: {
      type: 'string',
      value: 'LAYER,...|mirror',
      help: "as --encoder, with conv2dTranspose layers (t16k3s2); '' for none",
      default: 'mirror: the encoder reversed',
      allowEmpty: true,
    },
    activation: {
      type: 'string',
      value: 'NAME[,NAME...]',
      help: 'hidden layers: relu, leakyRelu, sigmoid, tanh or linear; one for all, or one per hidden layer',
      default: 'relu',
    },
    'latent-activation': { type: 'string', value: 'NAME', help: 'activation of the code layer', default: 'linear' },
    output: { type: 'string', value: 'NAME', help: 'activation of the output layer', default: 'sigmoid' },
    'leaky-relu-alpha': { type: 'string', value: 'X', help: 'slope of leakyRelu below 0', default: '0.3' },
    loss: {
      type: 'string',
      value: 'mse|bce',
      help: 'mean squared error, or binary cross-entropy (needs --output sigmoid)',
      default: 'mse',
    },
    seed: { type: 'string', value: 'N', help: 'seed of the initial weights and of the shuffles', default: '42' },
    variational: {
      type: 'string',
      value: '[BETA]',
      help: 'a variational autoencoder (for sample, interpolate, anomaly --method elbo): the code is a mean and a log-variance, the loss adds BETA × KL',
      default: 'not variational; BETA 1',
    },
    conditional: {
      type: 'boolean',
      help: "a conditional model: each image's label goes to the encoder and the decoder (MNIST's labels, or --labels FILE; classes: the largest label + 1)",
    },
  },
};

const OPTIMIZER: OptionGroup = {
  title: 'Optimizer',
  options: {
    optimizer: { type: 'string', value: 'adam|adamw|sgd', help: 'the optimizer', default: 'adam' },
    'learning-rate': { type: 'string', value: 'X', help: 'learning rate', default: '0.001; sgd: 0.01' },
    beta1: { type: 'string', value: 'X', help: "Adam's beta1 (adam, adamw)", default: '0.9' },
    beta2: { type: 'string', value: 'X', help: "Adam's beta2 (adam, adamw)", default: '0.999' },
    epsilon: { type: 'string', value: 'X', help: "Adam's epsilon (adam, adamw)", default: '1e-7' },
    'weight-decay': { type: 'string', value: 'X', help: "AdamW's decoupled weight decay", default: '0.004 for adamw' },
    momentum: { type: 'string', value: 'X', help: 'SGD momentum (sgd)', default: '0' },
    nesterov: { type: 'boolean', help: 'Nesterov momentum (sgd, with --momentum)' },
  },
};

const TRAINING: OptionGroup = {
  title: 'Training',
  options: {
    epochs: {
      type: 'string',
      value: 'N',
      help: 'passes over the training images',
      default: `${fitDefaults.epochs}, as the library's fit`,
    },
    'batch-size': {
      type: 'string',
      value: 'N',
      help: 'images per optimizer step (a warning when an epoch makes fewer than 10 steps)',
      default: `${fitDefaults.batchSize}, as the library's fit`,
    },
    noise: {
      type: 'string',
      value: 'TYPE:LEVEL',
      help: 'denoising training: corrupt each input (fresh noise every step) and learn the clean image; TYPE gaussian (x + LEVEL·N(0, 1)), masking or salt-and-pepper (each value with probability LEVEL), like gaussian:0.3',
    },
    'validation-split': {
      type: 'string',
      value: 'F',
      help: 'hold out the last fraction F (0 ≤ F < 1) of the images to report validation MSE/PSNR after each epoch',
      default: "0; --data mnist: MNIST's test set is the validation set",
    },
    'no-shuffle': { type: 'boolean', help: 'keep the images in order (default: shuffled every epoch)' },
    summary: {
      type: 'boolean',
      help: "print the model's layers (a Keras-style table) before training (default: when stderr is a terminal)",
    },
  },
};

const OUTPUT: OptionGroup = {
  title: 'Output',
  options: {
    out: outOption('the model file to write (replaced atomically)', 'model.wae; with --resume, that file'),
    'no-optimizer-state': {
      type: 'boolean',
      help: "leave the optimizer's state out of the file (about 3 times smaller; --resume then starts the optimizer afresh)",
    },
    'keep-optimizer': {
      type: 'boolean',
      help: "store the optimizer's state, so that --resume continues exactly (the default)",
    },
    resume: {
      type: 'string',
      value: 'FILE',
      help: 'continue training this model file (its architecture and optimizer; model and optimizer options are not allowed)',
    },
  },
};

export const GROUPS = [
  sourceGroup('the 60,000 training images, validated on the 10,000 test images'),
  ARCHITECTURE,
  OPTIMIZER,
  TRAINING,
  OUTPUT,
  RUNTIME_GROUP,
  HELP_OPTION,
];

export const TRAIN_HELP = formatHelp(
  `${PROGRAM} train [options]`,
  'Trains an autoencoder on images and writes it to a model file. Progress goes to stderr: on a terminal a\n' +
    'bar redrawn in place, otherwise one line per epoch. Ctrl-C stops after the current step and saves what\n' +
    'was learned (exit code 130); a second Ctrl-C quits at once, leaving any old model file as it was.',
  GROUPS,
  `${LAYERS_HELP}

${IMAGES_HELP}

Examples:
  ${PROGRAM} train --epochs 5 --out mnist.wae
  ${PROGRAM} train --model conv --epochs 5 --out mnist-conv.wae
  ${PROGRAM} train --variational --encoder 256,128 --latent 16 --loss bce --epochs 10 --batch-size 128 --out vae.wae
  ${PROGRAM} train --variational 4 --conditional --loss bce --epochs 10 --out cvae.wae
  ${PROGRAM} train --noise gaussian:0.3 --epochs 5 --out denoise.wae
  ${PROGRAM} train --encoder c16k3s2,c32k3s2,128 --latent 16 --decoder 128,t16k3s2 --summary --out conv.wae
  ${PROGRAM} train --images faces/ --encoder 256,64 --latent 16 --epochs 50 --batch-size 16 --validation-split 0.1 --out faces.wae
  ${PROGRAM} train --resume faces.wae --images faces/ --epochs 20`,
);

export interface TrainPlan {
  model: AutoencoderOptions | null;
  epochs: number;
  batchSize: number;
  validationSplit?: number;
  shuffle: boolean;
  summary: boolean;
  out: string;
  resume?: string;
  keepOptimizer: boolean;
  noise?: NoiseOptions;
  conditional: boolean;
  labels?: string;
}

const NOISE_TYPES = ['gaussian', 'masking', 'saltAndPepper'] as const;
const NOISE_ALIASES: Record<string, (typeof NOISE_TYPES)[number]> = {
  'salt-and-pepper': 'saltAndPepper',
  saltandpepper: 'saltAndPepper',
  salt_and_pepper: 'saltAndPepper',
};

/** --noise TYPE:LEVEL (also used by denoise). */
export function noiseOption(flagName: string, raw: string): NoiseOptions {
  const m = /^([A-Za-z_-]+):(.+)$/.exec(raw.trim());
  if (!m)
    throw new UsageError(
      `${flagName} must be TYPE:LEVEL with TYPE gaussian, masking or salt-and-pepper, like gaussian:0.3; got '${raw}'`,
    );
  const type = choiceOption(`${flagName} type`, m[1], NOISE_TYPES, NOISE_ALIASES);
  const level =
    type === 'gaussian'
      ? numberOption(`${flagName} level`, m[2], 0, 10, true)
      : numberOption(`${flagName} level`, m[2], 0, 1, true, true);
  return { type, level };
}

/** `--variational` with no value is `--variational=` BETA 1; parseArgs has no optional values. */
export function optionalVariational(args: string[]): string[] {
  return args.flatMap((a, i) => {
    if (a !== '--variational') return [a];
    const next = args[i + 1];
    return next === undefined || next.startsWith('-') || !/^[\d.]/.test(next) ? ['--variational=1'] : [a];
  });
}

function activationList(flagName: string, raw: string): Activation | Activation[] {
  const parts = raw.split(',').map((p) => choiceOption(flagName, p.trim(), ACTIVATIONS, ACTIVATION_ALIASES));
  return parts.length === 1 ? parts[0] : parts;
}

function numberFlag(values: ParsedOptions, name: string): number | undefined {
  const raw = str(values, name);
  return raw === undefined ? undefined : numberOption(`--${name}`, raw, -Infinity, Infinity);
}

/** Every value checked before anything is read. */
export function plan(values: ParsedOptions): TrainPlan {
  const given = (name: string): string | undefined => str(values, name);
  const epochs = given('epochs') === undefined ? fitDefaults.epochs : intOption('--epochs', given('epochs')!, 1, 1e6);
  const batchSize =
    given('batch-size') === undefined
      ? fitDefaults.batchSize
      : intOption('--batch-size', given('batch-size')!, 1, 65536);
  const noise = given('noise') === undefined ? undefined : noiseOption('--noise', given('noise')!);
  if (flag(values, 'no-optimizer-state') && flag(values, 'keep-optimizer'))
    throw new UsageError('give --keep-optimizer or --no-optimizer-state, not both');
  const split = given('validation-split');
  const validationSplit =
    split === undefined ? undefined : numberOption('--validation-split', split, 0, 1, false, true);
  const resume = given('resume');
  const modelFlags = [...Object.keys(ARCHITECTURE.options), ...Object.keys(OPTIMIZER.options)].filter(
    (k) => values[k] !== undefined,
  );
  if (resume !== undefined && modelFlags.length > 0) {
    throw new UsageError(
      `--${modelFlags[0]} cannot be used with --resume: the model file sets the architecture and the optimizer`,
    );
  }
  let model: AutoencoderOptions | null = null;
  if (resume === undefined) {
    const m: AutoencoderOptions = {};
    const preset = given('model');
    if (preset !== undefined) {
      if (!Object.hasOwn(MODEL_PRESETS, preset)) {
        throw new UsageError(
          `--model must be dense or conv, got '${preset}'${/\.wae$/.test(preset) ? ' (to continue training a model file, use --resume)' : ''}`,
        );
      }
      if (given('encoder') !== undefined)
        throw new UsageError('--model and --encoder both set the encoder; give one of them');
    }
    const encoder = given('encoder') ?? (preset !== undefined ? MODEL_PRESETS[preset].encoder : undefined);
    if (encoder !== undefined) m.encoder = encoderOption(encoder);
    if (given('latent') !== undefined) m.latent = intOption('--latent', given('latent')!, 1, MAX_WIDTH);
    if (given('decoder') !== undefined) m.decoder = decoderOption(given('decoder')!);
    if (given('activation') !== undefined) m.activation = activationList('--activation', given('activation')!);
    if (given('latent-activation') !== undefined)
      m.latentActivation = choiceOption(
        '--latent-activation',
        given('latent-activation')!,
        ACTIVATIONS,
        ACTIVATION_ALIASES,
      );
    if (given('output') !== undefined)
      m.output = choiceOption('--output', given('output')!, ACTIVATIONS, ACTIVATION_ALIASES);
    if (given('leaky-relu-alpha') !== undefined) m.leakyReluAlpha = numberFlag(values, 'leaky-relu-alpha');
    if (given('loss') !== undefined) m.loss = choiceOption('--loss', given('loss')!, LOSSES);
    if (given('seed') !== undefined) m.seed = intOption('--seed', given('seed')!, 0, 0xffffffff);
    if (given('variational') !== undefined)
      m.variational = { beta: numberOption('--variational', given('variational')!, 0, 1000) };
    const type =
      given('optimizer') === undefined ? 'adam' : choiceOption('--optimizer', given('optimizer')!, OPTIMIZERS);
    for (const [name, types] of Object.entries(OPTIMIZER_FLAGS)) {
      if (values[name] !== undefined && !types.includes(type)) {
        throw new UsageError(
          `--${name} does not apply to --optimizer ${type}${given('optimizer') === undefined ? ' (the default)' : ''}: ` +
            `it is for ${types.join(' and ')}`,
        );
      }
    }
    const optimizer: Exclude<AutoencoderOptions['optimizer'], string | undefined> = { type };
    const lr = numberFlag(values, 'learning-rate');
    if (lr !== undefined) optimizer.learningRate = lr;
    for (const [name, key] of [
      ['beta1', 'beta1'],
      ['beta2', 'beta2'],
      ['epsilon', 'epsilon'],
      ['weight-decay', 'weightDecay'],
      ['momentum', 'momentum'],
    ] as const) {
      const v = numberFlag(values, name);
      if (v !== undefined) optimizer[key] = v;
    }
    if (flag(values, 'nesterov')) {
      if (optimizer.momentum === undefined || optimizer.momentum === 0)
        throw new UsageError('--nesterov needs --momentum above 0: without momentum it changes nothing');
      optimizer.nesterov = true;
    }
    m.optimizer = optimizer;
    model = m;
  }
  return {
    model,
    epochs,
    batchSize,
    validationSplit,
    resume,
    shuffle: !flag(values, 'no-shuffle'),
    summary: flag(values, 'summary') || process.stderr.isTTY === true,
    out: given('out') ?? resume ?? 'model.wae',
    keepOptimizer: !flag(values, 'no-optimizer-state'),
    noise,
    conditional: flag(values, 'conditional'),
    labels: given('labels'),
  };
}
