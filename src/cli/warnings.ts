// Warnings the commands print on stderr before they work: one function each, so that a warning
// can move into the library (fit's own onWarning) without the commands changing.
import { PROGRAM } from './args.js';

/** Steps per epoch below which a model barely trains (200 images at batch 256: one step, every
 *  reconstruction the same blur). */
const MIN_STEPS_PER_EPOCH = 10;

/** The warning for an epoch of `images` images at `batchSize` (fit makes ⌈images / batch⌉ steps),
 *  or null when it has enough steps. */
export function smallEpochWarning(images: number, batchSize: number): string | null {
  const steps = Math.ceil(images / batchSize);
  if (steps >= MIN_STEPS_PER_EPOCH) return null;
  const enough = Math.max(1, Math.floor(images / MIN_STEPS_PER_EPOCH));
  return `${PROGRAM}: warning: an epoch of ${images.toLocaleString('en-US')} images at batch size ${batchSize} makes ` +
    `${steps} optimizer step${steps === 1 ? '' : 's'}; the model learns little per epoch. ` +
    `Give --batch-size ${enough} or less for ${MIN_STEPS_PER_EPOCH} steps per epoch, or more --epochs.`;
}

/** Prints a warning, if any, on stderr. */
export function warn(message: string | null): void {
  if (message !== null) process.stderr.write(`${message}\n`);
}
