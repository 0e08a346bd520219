#!/usr/bin/env node
// The `wasm-autoencoder` command (package.json "bin"); `wasm-autoencoder --help` lists the commands.
import { main, report } from './cli/main.js';
import { relaxedRestart } from './cli/relaxed.js';

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

const args = process.argv.slice(2);
const restart = relaxedRestart(args);
process.exitCode = restart ? await restart() : await main(args);
