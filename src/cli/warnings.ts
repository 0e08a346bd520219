// Warnings the commands print on stderr. fit decides when to warn (its onWarning); the CLI only
// words it in its own flags.
import type { FitWarning } from '../entries/index.js';
import { PROGRAM } from './args.js';

/** fit's onWarning for the command line: the same facts, named by the flags that change them. */
export function printFitWarning(_message: string, w: FitWarning): void {
  process.stderr.write(
    `${PROGRAM}: warning: an epoch of ${w.images.toLocaleString('en-US')} images at batch size ${w.batchSize} makes ` +
      `${w.steps} optimizer step${w.steps === 1 ? '' : 's'}; the model learns little per epoch. ` +
      `Give --batch-size ${w.suggestedBatchSize} or less for 10 steps per epoch, or more --epochs.\n`,
  );
}
