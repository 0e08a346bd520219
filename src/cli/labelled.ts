// Images with their labels, for conditional models: MNIST's come with its label files; any other
// source takes them from an IDX labels file (--labels, as MNIST's: u8, dims [count]).
import { parseIdx } from '../entries/idx.js';
import { loadMnist } from '../entries/mnist.js';
import { CliError, UsageError, oneLine } from './errors.js';
import { readBytes } from './files.js';
import { checkSource, readImages, type ImageBatch, type SourceChoice } from './images.js';

export interface LabelledBatch extends ImageBatch {
  /** One class per image, when the source has labels. */
  labels?: Uint8Array;
}

const MNIST_TRAIN = 60000;
const MNIST_TEST = 10000;
export const MNIST_CLASSES = 10;

async function mnist(trainLimit: number, testLimit: number): Promise<{ train: LabelledBatch; test: LabelledBatch }> {
  let sets;
  try {
    sets = await loadMnist({ trainLimit, testLimit });
  } catch (error) {
    throw new CliError(oneLine(error));
  }
  const batch = (s: typeof sets.train, name: string): LabelledBatch => ({
    images: s.images,
    labels: s.labels,
    count: s.count,
    height: s.rows,
    width: s.cols,
    channels: 1,
    name,
  });
  return { train: batch(sets.train, 'MNIST training set'), test: batch(sets.test, 'MNIST test set') };
}

/** The first `count` labels of an IDX labels file (u8, dims [n], n ≥ count). */
async function readLabels(path: string, count: number): Promise<Uint8Array> {
  const bytes = await readBytes(path, '--labels');
  let idx;
  try {
    idx = parseIdx(bytes, path);
  } catch (error) {
    throw new CliError(oneLine(error).replace(/^parseIdx: /, ''));
  }
  if (idx.type !== 'u8' || idx.dims.length !== 1) {
    throw new CliError(
      `${path} must hold u8 labels with dims [count] (as MNIST's label files), got ${idx.type} with dims [${idx.dims.join(', ')}]`,
    );
  }
  if (idx.dims[0] < count) throw new CliError(`${path} holds ${idx.dims[0]} labels, fewer than the ${count} images`);
  return (idx.data as Uint8Array).slice(0, count);
}

/** Training images (MNIST's training set, with its test set to validate on, or the images given),
 *  labelled from MNIST or from `labelsPath`. */
export async function labelledTrainingSource(
  choice: SourceChoice,
  labelsPath?: string,
): Promise<{ set: LabelledBatch; mnistTest?: LabelledBatch }> {
  checkSource(choice);
  if (choice.images === undefined) {
    if (labelsPath !== undefined) throw new UsageError('--labels is for --images: MNIST comes with its labels');
    const limit = choice.limit;
    const { train, test } = await mnist(
      Math.min(limit ?? MNIST_TRAIN, MNIST_TRAIN),
      Math.min(limit ?? MNIST_TEST, MNIST_TEST),
    );
    return { set: train, mnistTest: test };
  }
  const set: LabelledBatch = await readImages(choice.images, choice.limit);
  if (labelsPath !== undefined) set.labels = await readLabels(labelsPath, set.count);
  return { set };
}

/** Images to run through a model (the images given, or MNIST's test set), labelled likewise. */
export async function labelledInputSource(choice: SourceChoice, labelsPath?: string): Promise<LabelledBatch> {
  checkSource(choice);
  if (choice.images === undefined) {
    if (labelsPath !== undefined) throw new UsageError('--labels is for --images: MNIST comes with its labels');
    return (await mnist(1, Math.min(choice.limit ?? MNIST_TEST, MNIST_TEST))).test;
  }
  const set: LabelledBatch = await readImages(choice.images, choice.limit);
  if (labelsPath !== undefined) set.labels = await readLabels(labelsPath, set.count);
  return set;
}
