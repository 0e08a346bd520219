#!/usr/bin/env node
// The `wasm-autoencoder` command (package.json "bin"); `wasm-autoencoder --help` lists the commands.
// Whether to restart under --experimental-wasm-relaxed-simd is decided first, before the commands
// and their dependencies are imported, so that a restart costs one node start and little more.
import { relaxedRestart } from '../cli/relaxed.js';

const args = process.argv.slice(2);
const restart = relaxedRestart(args);
if (restart) {
  process.exitCode = await restart();
} else {
  const { main, report } = await import('../cli/main.js');

  // Whatever escapes the commands still ends as one line and exit code 1.
  process.on('uncaughtException', (error) => {
    report(error);
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    report(error);
    process.exit(1);
  });

  // Output piped into a program that stops reading (`| head`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    report(error);
    process.exit(1);
  });

  process.exitCode = await main(args);
}
