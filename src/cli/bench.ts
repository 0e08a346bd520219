// `wasm-autoencoder bench`: what `npm run bench:compare` runs, from a source checkout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HELP_OPTION, PROGRAM, flag, formatHelp, optionsOrHelp, type OptionGroup } from './args.js';
import { CliError } from './errors.js';
import { packageRoot } from './package.js';

const OPTIONS: OptionGroup = {
  title: 'Options',
  options: { quick: { type: 'boolean', help: 'a shorter run (passed on to bench/compare.js)' } },
};

const GROUPS = [OPTIONS, HELP_OPTION];

export const BENCH_HELP = formatHelp(
  `${PROGRAM} bench [--quick]`,
  'Runs the benchmark comparison, as `npm run bench:compare` does: bench/compare.js under\n' +
    'node --experimental-wasm-relaxed-simd. The benchmarks ship with the source repository, not with\n' +
    'the npm package.',
  GROUPS,
);

export async function bench(args: string[]): Promise<number> {
  const values = optionsOrHelp('bench', args, GROUPS, BENCH_HELP);
  if (!values) return 0;
  const script = join(packageRoot(), 'bench', 'compare.js');
  if (!existsSync(script)) {
    throw new CliError(
      `bench needs ${script}, which is not there: the benchmarks come with the source repository ` +
        '(git clone, npm ci, npm run build), not with the installed package',
    );
  }
  const child = spawn(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', script, ...(flag(values, 'quick') ? ['--quick'] : [])],
    { stdio: 'inherit', cwd: packageRoot() },
  );
  // Ctrl-C reaches the child too (same process group); wait for it instead of dying first.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (error) => reject(new CliError(`cannot run ${script}: ${error.message}`)));
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', ignore);
  }
}
