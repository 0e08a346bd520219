// The command line: dispatch, --help and --version, and one-line errors with exit codes.
import { PROGRAM } from './args.js';
import { anomaly } from './anomaly.js';
import { bench } from './bench.js';
import { IMAGES_HELP } from './common.js';
import { compress, decompress } from './compress.js';
import { decode } from './decode.js';
import { denoise } from './denoise.js';
import { encode } from './encode.js';
import { CliError, UsageError, exitCodeOf, oneLine } from './errors.js';
import { packageVersion } from './package.js';
import { interpolate } from './interpolate.js';
import { reconstruct } from './reconstruct.js';
import { sample } from './sample.js';
import { train } from './train.js';

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  train,
  reconstruct,
  encode,
  decode,
  sample,
  interpolate,
  compress,
  decompress,
  denoise,
  anomaly,
  bench,
};
const NAMES = Object.keys(COMMANDS).join(', ');

export function mainHelp(): string {
  return `${PROGRAM} ${packageVersion()}: train and run image autoencoders (WebAssembly SIMD kernels)

Usage: ${PROGRAM} <command> [options]
       ${PROGRAM} <command> --help

Commands:
  train         train a model on images (MNIST by default) and write it to a model file
  reconstruct   originals beside their reconstructions as a PNG; MSE and PSNR over the images
  encode        images → a code file (the exact f32 codes: a code stream, or JSON)
  decode        a code file → images (a PNG grid or an IDX file)
  sample        images drawn from a variational model (train --variational) → a PNG grid
  interpolate   two images → the strip of images between their codes
  compress      images → a code stream of a few bits per code value (--bits)
  decompress    a code stream → images (a PNG grid or an IDX file)
  denoise       noisy images → denoised ones (--noise adds noise to clean images, for a demo)
  anomaly       an anomaly score per image (CSV, JSON or text), a threshold from normal images
  bench         the benchmark comparison (npm run bench:compare; needs the source repository)

Options:
  -h, --help     this help
  -v, --version  the version

${IMAGES_HELP}

Output formats follow the file name: .png a PNG grid, .idx/-ubyte (.gz) an IDX file, .json, .csv,
.txt, .waez a code stream; a name a command cannot write is refused with the formats it can.

Examples:
  ${PROGRAM} train --epochs 5 --out mnist.wae
  ${PROGRAM} reconstruct --model mnist.wae --out reconstructions.png
  ${PROGRAM} train --variational --loss bce --epochs 10 --out vae.wae
  ${PROGRAM} sample --model vae.wae --count 64 --seed 7 --out samples.png
  ${PROGRAM} interpolate --model vae.wae --from 0 --to 1 --steps 10 --out strip.png
  ${PROGRAM} compress --model mnist.wae --bits 8 --out test.waez
  ${PROGRAM} decompress --model mnist.wae --in test.waez --out test.png
  ${PROGRAM} train --noise gaussian:0.3 --epochs 5 --out denoise.wae
  ${PROGRAM} denoise --model denoise.wae --noise gaussian:0.3 --out denoised.png
  ${PROGRAM} anomaly --model mnist.wae --method normalized --threshold-quantile 0.99 --out scores.csv
  ${PROGRAM} train --images faces/ --latent 16 --epochs 50 --batch-size 16 --validation-split 0.1 --out faces.wae
  ${PROGRAM} encode --model faces.wae --images faces/ --out faces.waez

Relaxed SIMD: on Node 20 and 21 a command that computes restarts itself once under
--experimental-wasm-relaxed-simd (faster kernels); --no-relaxed or WASM_AUTOENCODER_NO_RELAXED=1
keeps the plain SIMD kernels.

Exit codes: 0 done, 1 failed, 2 bad command line, 130 interrupted (train saves what it learned).
`;
}

/** Runs the command line `args` (without node and the script); resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const [first, ...rest] = args;
    if (first === undefined) throw new UsageError(`no command given; commands: ${NAMES} (see ${PROGRAM} --help)`);
    if (first === '-h' || first === '--help' || first === 'help') {
      if (first === 'help' && rest[0] !== undefined) return await command(rest[0])(['--help']);
      process.stdout.write(mainHelp());
      return 0;
    }
    if (first === '-v' || first === '--version') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-'))
      throw new UsageError(
        `unknown option ${first.split('=')[0]}; give a command first: ${NAMES} (see ${PROGRAM} --help)`,
      );
    return await command(first)(rest);
  } catch (error) {
    report(error);
    return exitCodeOf(error);
  }
}

function command(name: string): (args: string[]) => Promise<number> {
  if (!Object.hasOwn(COMMANDS, name))
    throw new UsageError(`unknown command '${name}'; commands: ${NAMES} (see ${PROGRAM} --help)`);
  return COMMANDS[name];
}

/** One line on stderr, never a stack trace. */
export function report(error: unknown): void {
  process.stderr.write(`${PROGRAM}: ${oneLine(error)}\n`);
}

export { CliError };
