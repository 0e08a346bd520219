// The command line: dispatch, --help and --version, and one-line errors with exit codes.
import { PROGRAM } from './args.js';
import { bench } from './bench.js';
import { IMAGES_HELP } from './common.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { CliError, UsageError, exitCodeOf, oneLine } from './errors.js';
import { packageVersion } from './package.js';
import { reconstruct } from './reconstruct.js';
import { train } from './train.js';

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { train, reconstruct, encode, decode, bench };
const NAMES = Object.keys(COMMANDS).join(', ');

export function mainHelp(): string {
  return `${PROGRAM} ${packageVersion()}: train and run image autoencoders (WebAssembly SIMD kernels)

Usage: ${PROGRAM} <command> [options]
       ${PROGRAM} <command> --help

Commands:
  train         train a model on images (MNIST by default) and write it to a model file
  reconstruct   originals beside their reconstructions as a PNG; MSE and PSNR over the images
  encode        images → a code file (binary 'WAEC', or JSON)
  decode        a code file → images (a PNG grid and/or an IDX file)
  bench         the benchmark comparison (npm run bench:compare; needs the source repository)

Options:
  -h, --help     this help
  -v, --version  the version

${IMAGES_HELP}

Examples:
  ${PROGRAM} train --epochs 5 --out mnist.wae
  ${PROGRAM} reconstruct --model mnist.wae --out reconstructions.png
  ${PROGRAM} train --images faces/ --latent 16 --epochs 50 --validation-split 0.1 --out faces.wae
  ${PROGRAM} encode --model faces.wae --images faces/ --out faces.waec
  ${PROGRAM} decode --model faces.wae --codes faces.waec --out decoded.png --idx decoded.idx

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
    if (first.startsWith('-')) throw new UsageError(`unknown option ${first.split('=')[0]}; give a command first: ${NAMES} (see ${PROGRAM} --help)`);
    return await command(first)(rest);
  } catch (error) {
    report(error);
    return exitCodeOf(error);
  }
}

function command(name: string): (args: string[]) => Promise<number> {
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command '${name}'; commands: ${NAMES} (see ${PROGRAM} --help)`);
  return COMMANDS[name];
}

/** One line on stderr, never a stack trace. */
export function report(error: unknown): void {
  process.stderr.write(`${PROGRAM}: ${oneLine(error)}\n`);
}

export { CliError };
