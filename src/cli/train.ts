// `wasm-autoencoder train`: images → a trained model file.
import { Autoencoder } from '../entries/index.js';
import { PROGRAM, optionsOrHelp } from './args.js';
import { checkFits, checkLabels, libraryError, loadModel, runtimeChoice, sourceChoice } from './common.js';
import { CliError, UsageError } from './errors.js';
import { checkWritable, removePendingTemporaries, writeAtomic } from './files.js';
import { refuseOtherFormat } from './formats.js';
import { MAX_IMAGE_VALUES, describeShape, firstImages, imagesFrom } from './images.js';
import { MNIST_CLASSES, labelledTrainingSource, type LabelledBatch } from './labelled.js';
import { layerText } from './layers.js';
import { Progress } from './progress.js';
import { printFitWarning } from './warnings.js';
import { GROUPS, TRAIN_HELP, optionalVariational, plan, type TrainPlan } from './trainPlan.js';

/** The layers in --encoder/--decoder syntax, between the values per image: 784-64-32 → code 32 → 32-64-784. */
function architecture(model: Autoencoder): string {
  const c = model.config;
  const size = model.inputSize;
  return `${[size, ...c.encoder.map(layerText)].join('-')} → code ${c.latent} → ${[...c.decoder.map(layerText), size].join('-')}`;
}

function split(set: LabelledBatch, fraction: number): { train: LabelledBatch; validation?: LabelledBatch } {
  if (fraction === 0) return { train: set };
  const at = Math.floor(set.count * (1 - fraction));
  if (at === set.count)
    throw new UsageError(
      `--validation-split ${fraction} of ${set.count} images leaves no validation images; use a larger fraction or more images`,
    );
  if (at === 0) throw new UsageError(`--validation-split ${fraction} of ${set.count} images leaves no training images`);
  return {
    train: { ...firstImages(set, at, `${set.name} (first ${at})`), labels: set.labels?.subarray(0, at) },
    validation: { ...imagesFrom(set, at, `${set.name} (last ${set.count - at})`), labels: set.labels?.subarray(at) },
  };
}

/** The classes of a conditional model: MNIST's 10, or the largest label + 1 (at least 2). */
function classesOf(set: LabelledBatch, mnist: boolean): number {
  if (mnist) return MNIST_CLASSES;
  let top = 0;
  for (const l of set.labels!) if (l > top) top = l;
  return Math.max(2, top + 1);
}

export async function train(args: string[]): Promise<number> {
  const values = optionsOrHelp('train', optionalVariational(args), GROUPS, TRAIN_HELP);
  if (!values) return 0;
  const p = plan(values);
  const runtime = runtimeChoice(values);
  if (p.labels !== undefined && !p.conditional && p.resume === undefined)
    throw new UsageError('--labels is for --conditional models (or --resume of one)');
  const choice = sourceChoice(values);
  if (p.conditional && choice.images !== undefined && p.labels === undefined) {
    throw new UsageError(
      '--conditional needs a label per image: give --labels FILE (an IDX file of u8 labels) with --images',
    );
  }
  refuseOtherFormat('train', '--out', p.out, 'a model file');
  await checkWritable(p.out, '--out');
  const source = await labelledTrainingSource(choice, p.labels);
  let train = source.set,
    validation: LabelledBatch | undefined;
  if (p.validationSplit !== undefined) ({ train, validation } = split(source.set, p.validationSplit));
  else validation = source.mnistTest;

  const valuesPerImage = train.height * train.width * train.channels;
  if (valuesPerImage > MAX_IMAGE_VALUES) {
    throw new CliError(
      `the images of ${train.name} are ${describeShape(train.height, train.width, train.channels)}: ` +
        `${valuesPerImage.toLocaleString('en-US')} values each, more than the ${MAX_IMAGE_VALUES.toLocaleString('en-US')} a model takes (height × width × channels)`,
    );
  }
  let model: Autoencoder;
  if (p.resume !== undefined) {
    model = await loadModel(p.resume, runtime);
    try {
      checkFits(train, model, p.resume);
      const classes = model.config.classes;
      if (classes > 0) {
        if (!train.labels)
          throw new UsageError(
            `model ${p.resume} is conditional (${classes} classes): give --labels FILE with --images`,
          );
        checkLabels(train.labels, classes, p.labels ?? train.name, `model ${p.resume}`);
        if (validation?.labels)
          checkLabels(validation.labels, classes, p.labels ?? validation.name, `model ${p.resume}`);
      } else if (p.labels !== undefined) {
        throw new UsageError(`--labels is for conditional models, and model ${p.resume} is not one`);
      }
    } catch (error) {
      await model.dispose();
      throw error;
    }
    // A file saved with the optimizer's state loads with its step count (the state of a model
    // never trained is zeros, as a fresh optimizer's).
    if (model.steps === 0 && model.epochs > 0) {
      process.stderr.write(
        `${PROGRAM}: warning: ${p.resume} was saved without the optimizer's state: the ${model.config.optimizer.type} ` +
          'optimizer starts afresh (its moments and step count from zero), so training does not continue exactly where it stopped\n',
      );
    }
  } else {
    const conditional = p.conditional
      ? { conditional: { classes: classesOf(source.set, choice.images === undefined) } }
      : {};
    try {
      model = await Autoencoder.create({
        ...p.model,
        ...conditional,
        inputShape: [train.height, train.width, train.channels],
        ...runtime,
      });
    } catch (error) {
      throw libraryError(error);
    }
  }
  if (model.config.classes === 0) {
    train = { ...train, labels: undefined };
    if (validation) validation = { ...validation, labels: undefined };
  }
  try {
    return await run(model, p, train, validation);
  } finally {
    await model.dispose();
  }
}

async function run(
  model: Autoencoder,
  p: TrainPlan,
  train: LabelledBatch,
  validation: LabelledBatch | undefined,
): Promise<number> {
  const err = process.stderr;
  const b = model.backend;
  err.write(
    `training on ${train.count.toLocaleString('en-US')} images (${describeShape(train.height, train.width, train.channels)}) of ${train.name}` +
      (validation ? `, validating on ${validation.count.toLocaleString('en-US')} of ${validation.name}` : '') +
      '\n',
  );
  err.write(
    `model ${architecture(model)}, ${model.paramCount.toLocaleString('en-US')} parameters` +
      (p.resume ? `, resumed from ${p.resume}` : '') +
      `; kernels: ${b.kernels} SIMD, ${b.threads} thread${b.threads > 1 ? 's' : ''}` +
      (b.note ? ` (${b.note})` : '') +
      '\n',
  );
  if (p.summary) err.write(`${model.summary()}\n`);

  const batchSize = Math.min(p.batchSize, train.count);
  const progress = new Progress(err, p.epochs, train.count, batchSize, model.epochs + 1);
  const controller = new AbortController();
  const interrupted = new Error('interrupted');
  let presses = 0;
  const onSigint = (): void => {
    presses++;
    progress.clear();
    if (presses > 1) {
      err.write(`${PROGRAM}: interrupted again: quitting without saving\n`);
      removePendingTemporaries();
      process.exit(130);
    }
    err.write(
      `${PROGRAM}: interrupted: stopping after the current step to save the model (Ctrl-C again to quit at once)\n`,
    );
    controller.abort(interrupted);
  };
  process.on('SIGINT', onSigint);
  try {
    let stopped = false;
    try {
      await model.fit(train.labels ? { images: train.images, labels: train.labels } : train.images, {
        epochs: p.epochs,
        batchSize: p.batchSize,
        shuffle: p.shuffle,
        onWarning: printFitWarning,
        ...(p.noise ? { noise: p.noise } : {}),
        ...(validation
          ? {
              validation: validation.labels
                ? { images: validation.images, labels: validation.labels }
                : validation.images,
            }
          : {}),
        onEpochEnd: progress.onEpochEnd,
        ...(progress.interactive ? { onBatchEnd: progress.onBatchEnd } : {}),
        signal: controller.signal,
      });
    } catch (error) {
      progress.clear();
      if (error !== interrupted) throw new CliError((error as Error).message ?? String(error));
      stopped = true;
    }
    const bytes = model.save({ optimizer: p.keepOptimizer });
    await writeAtomic(p.out, bytes);
    const what =
      `${describeShape(train.height, train.width, train.channels)} → code ${model.latentSize}, ` +
      `${model.paramCount.toLocaleString('en-US')} parameters, ${model.steps.toLocaleString('en-US')} step${model.steps === 1 ? '' : 's'}`;
    if (stopped) {
      err.write(
        `${PROGRAM}: stopped after ${progress.epochsDone} of ${p.epochs} epochs (${model.steps.toLocaleString('en-US')} steps in all); ` +
          `saved what was learned to ${p.out}\n`,
      );
    }
    process.stdout.write(`saved ${p.out} (${what})\n`);
    return stopped ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
